// A table of strings rendered as aligned text, Markdown or CSV.
#pragma once

#include <string>
#include <vector>

namespace cnnzoo {

struct TextTable {
  std::vector<std::string> header{};
  std::vector<bool> numeric{};  ///< right-aligned columns
  std::vector<std::vector<std::string>> rows{};
  /// Rows drawn after a rule (totals).
  std::vector<std::vector<std::string>> footer{};

  std::string text() const;
  std::string markdown() const;
  /// RFC 4180: fields with commas or quotes are quoted. Header, rows, then footer rows.
  std::string csv() const;
};

}  // namespace cnnzoo
