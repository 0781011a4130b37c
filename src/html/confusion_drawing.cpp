// The confusion matrix heat map (confusion_drawing.h).
#include "html/confusion_drawing.h"

#include <fmt/format.h>

#include <algorithm>

#include "html/page.h"

namespace cnnzoo::html {
namespace {

// Beyond this many classes the counts no longer fit in a readable cell; the shade alone remains.
constexpr std::size_t kMaxClassesWithCounts = 20;
constexpr std::size_t kMaxLabelCharacters = 18;

std::string short_label(const std::string& name) {
  return name.size() <= kMaxLabelCharacters ? name : name.substr(0, kMaxLabelCharacters - 1) + "\u2026";
}

// White to the palette's blue as the share goes from 0 to 1.
std::string shade(double share) {
  const auto mix = [&](int full) { return static_cast<int>(255.0 + (full - 255.0) * share + 0.5); };
  return fmt::format("rgb({},{},{})", mix(0), mix(114), mix(178));
}

}  // namespace

std::string confusion_svg(const std::vector<std::string>& class_names,
                          const std::vector<std::vector<int64_t>>& confusion) {
  const std::size_t n = confusion.size();
  const bool counts = n <= kMaxClassesWithCounts;
  const int cell = counts ? 44 : std::max(4, 880 / static_cast<int>(std::max<std::size_t>(n, 1)));
  const int margin = counts ? 140 : 40;  // room for the class names
  const int size = margin + cell * static_cast<int>(n) + 10;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{0}\" viewBox=\"0 0 {0} {0}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n",
      size);
  for (std::size_t t = 0; t < n; ++t) {
    int64_t total = 0;
    for (const int64_t v : confusion[t]) total += v;
    const int y = margin + cell * static_cast<int>(t);
    if (counts) {
      svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", margin - 6, y + cell / 2 + 4,
                         escape(short_label(class_names[t])));
      const int x = margin + cell * static_cast<int>(t) + cell / 2;
      svg += fmt::format("<text x=\"{0}\" y=\"{1}\" transform=\"rotate(-60 {0} {1})\">{2}</text>\n", x, margin - 6,
                         escape(short_label(class_names[t])));
    }
    for (std::size_t p = 0; p < n; ++p) {
      const double share = total == 0 ? 0.0 : static_cast<double>(confusion[t][p]) / static_cast<double>(total);
      const int x = margin + cell * static_cast<int>(p);
      svg += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#e4e6ee\"><title>true {}, predicted "
          "{}: {} of {}</title></rect>\n",
          x, y, cell, cell, shade(share), escape(class_names[t]), escape(class_names[p]), confusion[t][p], total);
      if (counts && confusion[t][p] != 0) {
        svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n", x + cell / 2,
                           y + cell / 2 + 4, share > 0.5 ? "white" : "#1d2330", confusion[t][p]);
      }
    }
  }
  if (counts) {
    // The axes named where the class names leave room: the corner above the row names.
    svg += fmt::format(
        "<text x=\"{0}\" y=\"{0}\" text-anchor=\"end\" font-weight=\"bold\">true \u2193 / predicted "
        "\u2192</text>\n",
        margin - 6);
  }
  return svg + "</svg>\n";
}

}  // namespace cnnzoo::html
