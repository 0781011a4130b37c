// The top-k classes of a row of logits, as `cnnzoo run` and `predict` print them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace cnnzoo::cli {

struct ClassScore {
  int64_t index = 0;
  std::string name;  ///< the class name, or empty where the model has none
  double probability = 0;
};

/// True for a row that is a probability distribution already (non-negative, summing to 1 within 1e-3), as
/// the output of a model that ends in a softmax: such a row is not put through another one.
bool is_probability_row(std::span<const float> values);

/// The `k` most probable classes, most probable first (ties in index order): the softmax of `logits` in
/// double, or the values themselves where they are probabilities already. Names from `names` where it has one.
/// None for a row holding NaN or +Inf: it has no softmax (PyTorch's is all NaN), so no class ranks first.
std::vector<ClassScore> top_classes(std::span<const float> logits, int64_t k, const std::vector<std::string>& names);

/// "LABEL" then one line per class: "   93.12%  Ankle boot (9)", or "   93.12%  class 9" without a name;
/// "  no class: the logits hold NaN or +Inf" when `top` is empty.
void print_top_classes(const std::string& label, const std::vector<ClassScore>& top);

/// {"input": LABEL, "top": [{"class": 9, "name": "Ankle boot", "probability": 0.93}, ...]}; "name" is
/// the index as text where the model has no names; "top" is empty for logits holding NaN or +Inf.
nlohmann::json top_classes_json(const std::string& label, const std::vector<ClassScore>& top);

/// Each input's top classes: printed as they come (text), or as one JSON array by finish() (json).
class TopClassesPrinter {
 public:
  TopClassesPrinter(bool json, int64_t k, std::vector<std::string> names)
      : json_(json), k_(k), names_(std::move(names)) {}
  void add(const std::string& label, std::span<const float> logits);
  void finish() const;

 private:
  bool json_;
  int64_t k_;
  std::vector<std::string> names_;
  nlohmann::json items_ = nlohmann::json::array();
};

}  // namespace cnnzoo::cli
