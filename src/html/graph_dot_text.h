// Text that goes into a DOT file from outside: node names come from ONNX files anyone wrote, so every
// string is made valid UTF-8, shortened where it labels a box, and escaped for a DOT quoted string.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cnnzoo::html {

/// `text` as valid UTF-8 without control characters: a byte that does not belong to a well-formed UTF-8
/// sequence becomes '?', a control character (line breaks included) a space. Graphviz would otherwise warn
/// and write the bytes into the SVG as they are, which is then not valid XML.
std::string clean_text(std::string_view text);

/// Clean `text` of at most `max_chars` characters (code points): a longer one keeps its start and its end,
/// which tells modules apart, around an ellipsis ("features.denseb…layer12.conv2").
std::string shortened(std::string_view text, std::size_t max_chars);

/// Clean `text` between double quotes as a DOT string that Graphviz shows as written: quotes and
/// backslashes escaped (a backslash starts Graphviz's own escapes such as \N), '&' as "&amp;" (Graphviz
/// reads entities in labels, so "&lt;" in a name would show as '<').
std::string dot_quoted(std::string_view text);

/// Lines of text as one DOT string, each line centred ("\n" between them) or left-justified ("\l" after each).
std::string dot_lines(const std::vector<std::string>& lines, bool left_justified = false);

}  // namespace cnnzoo::html
