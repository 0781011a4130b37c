// Graphviz (libgvc) behind one function: DOT text in, SVG text ready to inline in an HTML page out.
//
// Graphviz keeps global state (its error handler, its parser), so every call here runs under one mutex, and
// its messages are collected instead of printed to stderr: a failure becomes a cnnzoo::Error carrying them.
#pragma once

#include <string>
#include <vector>

namespace cnnzoo::html {

/// A DOT text and the name its errors call it by ("the overview of resnet50", "part layer1").
struct DotText {
  std::string name;
  std::string dot;
};

/// Each DOT text laid out by Graphviz's `dot` engine and rendered as SVG, in order. The SVG has no XML
/// prolog, doctype, comments or <title> elements, and keeps its width, height and viewBox. Throws Error naming the
/// drawing and quoting Graphviz's messages when Graphviz cannot read, lay out or render it.
std::vector<std::string> svg_from_dot(const std::vector<DotText>& dots);

/// `svg` without its XML prolog, doctype, comments and <title> elements (Graphviz writes its version, the
/// graph's name and each element's DOT id there; a page needs none of them, and a title shows on hover).
std::string inline_svg(const std::string& svg);

}  // namespace cnnzoo::html
