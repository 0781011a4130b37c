// cnnzoo predict: the top classes of PNG or JPEG images under a trained checkpoint.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "commands.h"
#include "flag_checks.h"

namespace cnnzoo::cli {
namespace {

struct PredictArgs {
  std::string checkpoint;
  std::vector<std::string> images;
  int64_t top = 5;
  std::string format = "text";
  int threads = 0;
};

void run_predict(const PredictArgs& args) {
  if (args.format != "text" && args.format != "json") {
    throw InvalidArgument(fmt::format("--format: unknown format '{}'; known: text, json", args.format));
  }
  if (args.top < 1) throw InvalidArgument(fmt::format("--top must be at least 1, got {}", args.top));
  const TrainedModel trained = load_trained_model(args.checkpoint);
  ModelOptions options = trained.options;
  options.batch = static_cast<int64_t>(args.images.size());
  const Graph graph = build_model(trained.model, options);
  const Dims& input = graph.shape(graph.inputs()[0]);
  Tensor x(input);
  const auto per_image = static_cast<std::size_t>(numel(input) / input[0]);
  for (std::size_t i = 0; i < args.images.size(); ++i) {
    try {
      image_to_sample(read_image(args.images[i]), input, trained.normalization,
                      x.f32().subspan(i * per_image, per_image));
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("{}: {}", args.images[i], e.what()));
    }
  }
  InferenceEngine engine(graph, trained.parameters, {.threads = args.threads});
  const Tensor logits = engine.run(x).at(0);
  const int64_t classes = logits.shape()[1];
  const auto k = static_cast<std::size_t>(std::min(args.top, classes));
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < args.images.size(); ++i) {
    const auto row = logits.f32().subspan(i * static_cast<std::size_t>(classes), static_cast<std::size_t>(classes));
    const float top = *std::max_element(row.begin(), row.end());
    std::vector<double> p(row.size());
    double sum = 0;
    for (std::size_t c = 0; c < row.size(); ++c) sum += (p[c] = std::exp(static_cast<double>(row[c] - top)));
    std::vector<std::size_t> order(row.size());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    nlohmann::json item{{"image", args.images[i]}, {"top", nlohmann::json::array()}};
    if (args.format == "text") fmt::print("{}\n", args.images[i]);
    for (std::size_t j = 0; j < k; ++j) {
      const std::size_t c = order[j];
      const std::string name = c < trained.class_names.size() ? trained.class_names[c] : std::to_string(c);
      item["top"].push_back({{"class", c}, {"name", name}, {"probability", p[c] / sum}});
      if (args.format == "text") fmt::print("  {:6.2f}%  {} ({})\n", 100 * p[c] / sum, name, c);
    }
    out.push_back(std::move(item));
  }
  if (args.format == "json") std::cout << out.dump(2) << "\n";
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Top classes of PNG or JPEG images under a trained checkpoint");
  cmd->add_option("--checkpoint", args->checkpoint, "A checkpoint written by `cnnzoo train`")->required();
  cmd->add_option("images", args->images, "PNG or JPEG files")->required()->expected(1, -1);
  cmd->add_option("--top", args->top, "How many classes to show")->default_val(5);
  cmd->add_option("--format", args->format, "text or json")->default_val("text");
  add_threads_option(*cmd, args->threads);
  cmd->callback([args] { run_predict(*args); });
}

}  // namespace cnnzoo::cli
