// Human-readable figures with their units.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace cnnzoo {

/// 1234567 -> "1,234,567".
inline std::string with_commas(int64_t n) {
  // The magnitude as unsigned: -INT64_MIN does not fit in int64.
  const uint64_t magnitude = n < 0 ? uint64_t{0} - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

/// Bytes in binary units: "42.9 MiB".
inline std::string bytes_text(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};  // int64 ends below 8 EiB
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

/// A count in decimal units with a suffix: "4.09 G", "25.56 M", "124.1 K".
inline std::string count_text(int64_t n) {
  const double v = static_cast<double>(n);
  if (v >= 1e18) return fmt::format("{:.2f} E", v / 1e18);  // int64 ends at 9.22 E
  if (v >= 1e15) return fmt::format("{:.2f} P", v / 1e15);
  if (v >= 1e12) return fmt::format("{:.2f} T", v / 1e12);
  if (v >= 1e9) return fmt::format("{:.2f} G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f} M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f} K", v / 1e3);
  return fmt::format("{}", n);
}

/// `value` in units of `unit` (1024 for KiB, 1e6 for M) with one decimal, and more where a small figure
/// needs them to show two significant digits: 640 MACs in M is "0.00064", never "0.0".
inline std::string scaled_text(int64_t value, double unit) {
  if (value == 0) return "0";
  const double v = static_cast<double>(value) / unit;
  if (std::abs(v) >= 0.1) return fmt::format("{:.1f}", v);
  const int decimals = static_cast<int>(std::ceil(-std::log10(std::abs(v)))) + 1;
  return fmt::format("{:.{}f}", v, decimals);
}

}  // namespace cnnzoo
