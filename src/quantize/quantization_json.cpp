// Calibrated ranges as JSON, the form `cnnzoo quantize` stores in a safetensors file's metadata.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cnnzoo/error.h"
#include "cnnzoo/quantization.h"
#include "io/json_get.h"

namespace cnnzoo {
namespace {

constexpr int kFormatVersion = 1;

struct MethodName {
  CalibrationMethod method;
  const char* name;
};
constexpr MethodName kMethods[] = {{CalibrationMethod::MinMax, "minmax"},
                                   {CalibrationMethod::Percentile, "percentile"}};

}  // namespace

const char* calibration_method_name(CalibrationMethod method) {
  for (const MethodName& m : kMethods) {
    if (m.method == method) return m.name;
  }
  return "?";
}

CalibrationMethod calibration_method_from_name(const std::string& name) {
  for (const MethodName& m : kMethods) {
    if (name == m.name) return m.method;
  }
  throw InvalidArgument(fmt::format("unknown calibration method '{}'; known: minmax, percentile", name));
}

std::string quantization_json(const Quantization& q) {
  nlohmann::json ranges = nlohmann::json::object();
  for (const auto& [name, r] : q.ranges) ranges[name] = {r.min, r.max};
  nlohmann::json j{{"format_version", kFormatVersion},
                   {"method", calibration_method_name(q.method)},
                   {"images", q.images},
                   {"source", q.source},
                   {"ranges", ranges}};
  if (q.method == CalibrationMethod::Percentile) j["percentile"] = q.percentile;
  return j.dump();
}

Quantization quantization_from_json(const std::string& text, const std::string& origin) {
  const auto fail = [&origin](const std::string& what) {
    return Error(fmt::format("{}: its int8 calibration ({}) {}; write it again with `cnnzoo quantize`", origin,
                             kQuantizationKey, what));
  };
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw fail("is not a JSON object");
  if (!j.contains("format_version") || j.at("format_version") != kFormatVersion)
    throw fail(fmt::format("is not of format version {}", kFormatVersion));
  Quantization q;
  try {
    q.method = calibration_method_from_name(j.at("method").get<std::string>());
    q.images = json_get<int64_t>(j.at("images"));
    q.source = j.value("source", "");
    if (q.method == CalibrationMethod::Percentile) q.percentile = json_get<double>(j.at("percentile"));
    for (const auto& [name, pair] : j.at("ranges").items()) {
      if (!pair.is_array() || pair.size() != 2)
        throw fail(fmt::format("has a range for '{}' that is no [min, max]", name));
      const ValueRange r{json_get<float>(pair[0]), json_get<float>(pair[1])};  // JSON numbers are finite
      if (r.min > r.max) throw fail(fmt::format("has a range for '{}' whose min exceeds its max", name));
      q.ranges[name] = r;
    }
  } catch (const nlohmann::json::exception& e) {
    throw fail(fmt::format("is malformed ({})", e.what()));
  } catch (const InvalidArgument& e) {
    throw fail(e.what());
  }
  return q;
}

std::shared_ptr<const Quantization> stored_quantization(const std::map<std::string, std::string>& metadata,
                                                        const std::string& origin) {
  const auto it = metadata.find(kQuantizationKey);
  if (it == metadata.end()) return nullptr;
  return std::make_shared<const Quantization>(quantization_from_json(it->second, origin));
}

}  // namespace cnnzoo
