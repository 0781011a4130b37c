// A small well-formedness check for the SVG the charts write: every element closed in order, attributes quoted,
// only the five XML entities and numeric references. Enough to catch an unescaped '<' or '&' in a label or a
// broken tag, which a browser would show as a broken figure.
#pragma once

#include <string>
#include <vector>

namespace cnnzoo::test {

/// "" when `xml` is well-formed, else what is wrong and where.
inline std::string xml_problem(const std::string& xml) {
  std::vector<std::string> open;
  std::size_t i = 0;
  const auto at = [&](std::size_t pos) { return " at offset " + std::to_string(pos); };
  while (i < xml.size()) {
    const char c = xml[i];
    if (c == '&') {
      const std::size_t end = xml.find(';', i);
      if (end == std::string::npos || end - i > 8) return "a bare '&'" + at(i);
      const std::string entity = xml.substr(i + 1, end - i - 1);
      if (entity != "amp" && entity != "lt" && entity != "gt" && entity != "quot" && entity != "apos" &&
          entity.rfind('#', 0) != 0) {
        return "unknown entity &" + entity + ";" + at(i);
      }
      i = end + 1;
      continue;
    }
    if (c == '>') return "a bare '>'" + at(i);
    if (c != '<') {
      ++i;
      continue;
    }
    if (xml.compare(i, 2, "<?") == 0) {
      const std::size_t end = xml.find("?>", i);
      if (end == std::string::npos) return "an unclosed <?" + at(i);
      i = end + 2;
      continue;
    }
    // A tag: quoted attribute values may hold '>' only escaped; a '<' inside is an error.
    std::size_t j = i + 1;
    char quote = 0;
    for (; j < xml.size(); ++j) {
      if (quote != 0) {
        if (xml[j] == quote)
          quote = 0;
        else if (xml[j] == '<')
          return "a '<' inside an attribute" + at(j);
      } else if (xml[j] == '"' || xml[j] == '\'') {
        quote = xml[j];
      } else if (xml[j] == '>') {
        break;
      } else if (xml[j] == '<') {
        return "a '<' inside a tag" + at(j);
      }
    }
    if (j == xml.size()) return "an unclosed tag" + at(i);
    const std::string tag = xml.substr(i + 1, j - i - 1);
    if (tag.empty()) return "an empty tag" + at(i);
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes " + (open.empty() ? std::string("nothing") : "<" + open.back() + ">") + at(i);
      }
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
    }
    i = j + 1;
  }
  return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

}  // namespace cnnzoo::test
