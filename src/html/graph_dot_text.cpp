// Text from outside made safe for DOT (graph_dot_text.h).
#include "html/graph_dot_text.h"

#include <cstdint>

namespace cnnzoo::html {
namespace {

// The length of the well-formed UTF-8 sequence at the start of `text`, or 0 (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  uint8_t low = 0x80;  // the range of the second byte
  uint8_t high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    low = lead == 0xE0 ? 0xA0 : 0x80;
    high = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

bool is_continuation(char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; }

}  // namespace

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t length = utf8_sequence(text);
    const auto c = static_cast<uint8_t>(text[0]);
    if (length == 0) {
      out += '?';
    } else if (c < 0x20 || c == 0x7F) {
      out += ' ';
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length == 0 ? 1 : length);
  }
  return out;
}

std::string shortened(std::string_view text, std::size_t max_chars) {
  const std::string clean = clean_text(text);
  std::vector<std::size_t> starts;  // of each character
  for (std::size_t i = 0; i < clean.size(); ++i) {
    if (!is_continuation(clean[i])) starts.push_back(i);
  }
  if (starts.size() <= max_chars) return clean;
  if (max_chars == 0) return {};
  const std::size_t head = (max_chars - 1) / 3;  // the end of a module path tells more than its start
  const std::size_t tail = max_chars - 1 - head;
  const std::size_t tail_from = tail == 0 ? clean.size() : starts[starts.size() - tail];
  return clean.substr(0, starts[head]) + "\u2026" + clean.substr(tail_from);
}

std::string dot_quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : clean_text(text)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out += c;
    }
  }
  return out + '"';
}

std::string dot_lines(const std::vector<std::string>& lines, bool left_justified) {
  std::string joined;
  for (const std::string& line : lines) {
    const std::string quoted = dot_quoted(line);
    if (!joined.empty() && !left_justified) joined += "\\n";
    joined.append(quoted, 1, quoted.size() - 2);
    if (left_justified) joined += "\\l";
  }
  return '"' + joined + '"';
}

}  // namespace cnnzoo::html
