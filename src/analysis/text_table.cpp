#include "analysis/text_table.h"

#include <fmt/format.h>

#include <algorithm>

namespace cnnzoo {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Columns a cell takes on a terminal: UTF-8 code points (the tree's box-drawing characters are one each).
std::size_t display_width(const std::string& s) {
  std::size_t width = 0;
  for (char c : s) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return width;
}

std::string padded(const std::string& cell, std::size_t width, bool right) {
  const std::string fill(width - std::min(width, display_width(cell)), ' ');
  return right ? fill + cell : cell + fill;
}

}  // namespace

std::string TextTable::text() const {
  std::vector<std::size_t> width(header.size());
  auto widen = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], display_width(row[i]));
  };
  widen(header);
  for (const auto& r : rows) widen(r);
  for (const auto& r : footer) widen(r);
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      const bool right = i < numeric.size() && numeric[i];
      out += padded(cell, width[i], right);
      out += i + 1 < width.size() ? "  " : "";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::size_t total = 0;
  for (std::size_t w : width) total += w + 2;
  const std::string rule(total > 2 ? total - 2 : 0, '-');
  std::string out = line(header) + rule + "\n";
  for (const auto& r : rows) out += line(r);
  if (!footer.empty()) {
    out += rule + "\n";
    for (const auto& r : footer) out += line(r);
  }
  return out;
}

std::string TextTable::markdown() const {
  auto line = [](const std::vector<std::string>& row) { return fmt::format("| {} |\n", fmt::join(row, " | ")); };
  std::vector<std::string> rule;
  for (std::size_t i = 0; i < header.size(); ++i) rule.push_back(i < numeric.size() && numeric[i] ? "---:" : "---");
  std::string out = line(header) + line(rule);
  for (const auto& r : rows) out += line(r);
  for (const auto& r : footer) {
    std::vector<std::string> bold;
    for (const auto& cell : r) bold.push_back(cell.empty() ? cell : "**" + cell + "**");
    out += line(bold);
  }
  return out;
}

std::string TextTable::csv() const {
  auto line = [](const std::vector<std::string>& row) {
    std::vector<std::string> fields;
    for (const auto& cell : row) fields.push_back(csv_field(cell));
    return fmt::format("{}\n", fmt::join(fields, ","));
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  for (const auto& r : footer) out += line(r);
  return out;
}

}  // namespace cnnzoo
