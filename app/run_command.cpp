#include "run_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "cnnzoo/quantization.h"
#include "flag_checks.h"
#include "non_finite_warning.h"
#include "option_flags.h"
#include "progress.h"
#include "run_inputs.h"
#include "run_onnx.h"
#include "run_outputs.h"
#include "top_classes.h"

namespace cnnzoo::cli {
namespace {

// Samples per engine run when --batch is not given: enough to use the cores, little memory for 224x224.
constexpr int64_t kDefaultBatch = 32;

// int8 of a model without stored ranges nor training data (a zoo model): the ranges come from at most this
// many of the inputs themselves.
constexpr int64_t kMaxSelfCalibrationInputs = 64;

// A safetensors file whose metadata says it is a cnnzoo training checkpoint; only its header is read.
bool is_training_checkpoint(const std::string& path) {
  try {
    const auto metadata = read_safetensors_metadata(path);
    const auto format = metadata.find(kCheckpointFormatKey);
    return format != metadata.end() && format->second == kCheckpointFormat;
  } catch (const Error&) {
    return false;  // not a safetensors file: load_weights names what is wrong with it
  }
}

// The first model flag given (--depth, --num-classes, ...) is refused: `why` says what sets it instead.
void refuse_model_flags(const RunArgs& a, const std::string& why) {
  for (const CLI::Option* option : a.model_flag_options) {
    if (option->count() > 0) {
      throw InvalidArgument(fmt::format("{}: {}; drop {}", option->get_name(), why, option->get_name()));
    }
  }
}

void check_flags(const RunArgs& a) {
  if (a.format != "text" && a.format != "json") {
    throw InvalidArgument(fmt::format("--format: unknown format '{}'; known: text, json", a.format));
  }
  if (!a.checkpoint.empty() && !a.weights.empty()) {
    throw InvalidArgument(
        "give --checkpoint FILE (a checkpoint of `cnnzoo train`) or --weights FILE (a torchvision state_dict), not "
        "both");
  }
}

// The model a run uses and how its inputs are prepared.
struct RunModel {
  std::string name;
  ModelOptions options;                  ///< input set; the batch is set when the inputs are counted
  std::string input_origin;              ///< where the input size comes from, for messages
  std::optional<Parameters> parameters;  ///< a checkpoint's; otherwise --weights or the seeded initialisation
  std::string checkpoint;                ///< the file `parameters` came from, if any
  std::vector<std::string> class_names;
  ImagePreprocessing preprocessing;
  std::string data{};  ///< a checkpoint's data set: int8 calibrates on its training images
  std::shared_ptr<const Quantization> quantization{};  ///< a checkpoint's int8 ranges (`cnnzoo quantize`)
};

RunModel from_checkpoint(const RunArgs& a, const std::string& checkpoint, const std::string& model,
                         const InputFlag& input_flag) {
  TrainedModel trained = load_trained_model(checkpoint);
  if (!model.empty() && model != trained.model) {
    throw InvalidArgument(fmt::format("{}: the checkpoint {} holds {}; give {} or no model name", model, checkpoint,
                                      trained.model, trained.model));
  }
  refuse_model_flags(a, "the checkpoint " + checkpoint + " sets the model's options");
  const ImagePreprocessing preprocessing = checkpoint_preprocessing(trained);
  if (!input_flag.size.empty()) {
    throw InvalidArgument(
        fmt::format("--input {}: the checkpoint {} sets the input size ({}); images are resized to it", input_flag.size,
                    checkpoint, to_string(preprocessing.input)));
  }
  std::shared_ptr<const Quantization> quantization =
      a.precision == "int8" ? stored_quantization(trained.meta, checkpoint) : nullptr;
  return {.name = trained.model,
          .options = trained.options,
          .input_origin = "from the checkpoint",
          .parameters = std::move(trained.parameters),
          .checkpoint = checkpoint,
          .class_names = std::move(trained.class_names),
          .preprocessing = preprocessing,
          .data = trained.data,
          .quantization = std::move(quantization)};
}

// The int8 ranges `cnnzoo quantize MODEL --weights` stored in a weights file, if any; ranges of another model
// are refused.
std::shared_ptr<const Quantization> stored_ranges(const std::string& weights, const std::string& model) {
  const auto metadata = read_safetensors_metadata(weights);
  std::shared_ptr<const Quantization> ranges = stored_quantization(metadata, weights);
  const auto owner = metadata.find(kCheckpointModelKey);
  if (ranges && owner != metadata.end() && owner->second != model) {
    throw InvalidArgument(
        fmt::format("--weights {}: its int8 ranges were calibrated for {}, not {}", weights, owner->second, model));
  }
  return ranges;
}

// A zoo model: its input size from --input CxHxW, else the height and width of the first array, else its own.
RunModel from_zoo(const RunArgs& a, const std::string& model, const InputFlag& input_flag,
                  const std::vector<std::pair<std::string, std::shared_ptr<const Tensor>>>& arrays) {
  const ModelInfo& info = find_model(model);
  ModelFlags flags = a.model_flags;
  flags.input = input_flag.size;
  RunModel m{.name = info.name,
             .options = flags.resolve(),
             .input_origin = "--input",
             .parameters = {},
             .checkpoint = {},
             .class_names = {},
             .preprocessing = {}};
  if (!m.options.input && !arrays.empty()) {
    const Dims& shape = arrays.front().second->shape();
    m.options.input = Dims{info.default_input[0], shape[2], shape[3]};
    m.input_origin = "from " + arrays.front().first;
  } else if (!m.options.input) {
    m.options.input = info.default_input;
    m.input_origin = "the model's own";
  }
  m.preprocessing = imagenet_preprocessing(*m.options.input);
  if (a.precision == "int8" && !a.weights.empty()) m.quantization = stored_ranges(a.weights, m.name);
  return m;
}

// An array's samples must be the model's input; InvalidArgument naming the file otherwise.
void check_array(const std::string& file, const Tensor& array, const RunModel& m) {
  const Dims& shape = array.shape();
  const Dims& input = *m.options.input;
  if (shape[1] != input[0]) {
    throw InvalidArgument(fmt::format("{}: {} takes {} input channels (as {}), got {} (shape {})", file, m.name,
                                      input[0], to_string(input), shape[1], to_string(shape)));
  }
  if (shape[2] != input[1] || shape[3] != input[2]) {
    throw InvalidArgument(fmt::format("{}: the model's input is {} ({}), the array's samples are {}x{}x{}", file,
                                      to_string(input), m.input_origin, shape[1], shape[2], shape[3]));
  }
}

// The arrays among `files`, read and checked to be N x C x H x W with N >= 1; failures are reported.
std::vector<std::pair<std::string, std::shared_ptr<const Tensor>>> read_arrays(const std::vector<std::string>& files,
                                                                               InputFailures& failures) {
  std::vector<std::pair<std::string, std::shared_ptr<const Tensor>>> arrays;
  for (const std::string& file : files) {
    if (!is_npy_path(file)) continue;
    try {
      auto array = std::make_shared<const Tensor>(read_npy(file));
      const Dims& shape = array->shape();
      if (shape.size() != 4) {
        throw InvalidArgument(fmt::format("{}: expected an NxCxHxW array, got shape {}", file, to_string(shape)));
      }
      if (shape[0] == 0) {
        throw InvalidArgument(
            fmt::format("{}: holds no samples (shape {}); an input array needs N >= 1", file, to_string(shape)));
      }
      arrays.emplace_back(file, std::move(array));
    } catch (const Error& e) {
      failures.add(cli_message(e));
    }
  }
  return arrays;
}

// Every sample of the inputs in order: one per image, N per array whose samples fit the model.
std::vector<Sample> list_samples(const std::vector<std::string>& files,
                                 const std::vector<std::pair<std::string, std::shared_ptr<const Tensor>>>& arrays,
                                 const RunModel& m, InputFailures& failures) {
  std::map<std::string, std::shared_ptr<const Tensor>> fitting;
  for (const auto& [file, array] : arrays) {
    try {
      check_array(file, *array, m);
      fitting.emplace(file, array);
    } catch (const Error& e) {
      failures.add(cli_message(e));
    }
  }
  std::vector<Sample> samples;
  for (const std::string& file : files) {
    if (!is_npy_path(file)) {
      samples.push_back({.label = file, .image = file, .array = nullptr, .row = 0});
      continue;
    }
    const auto found = fitting.find(file);
    if (found == fitting.end()) continue;  // reported
    for (int64_t i = 0; i < found->second->shape()[0]; ++i) {
      samples.push_back({.label = fmt::format("{}[{}]", file, i), .image = {}, .array = found->second, .row = i});
    }
  }
  return samples;
}

// Writes `sample` into `slot`; false (and reported) for an image that cannot be read or converted.
bool fill_sample(const Sample& sample, const ImagePreprocessing& preprocessing, const DecodeBudgets& budgets,
                 std::span<float> slot, InputFailures& failures) {
  if (sample.array) {
    std::copy_n(sample.array->f32().begin() + static_cast<std::ptrdiff_t>(sample.row * slot.size()), slot.size(),
                slot.begin());
    return true;
  }
  Image image;
  try {
    image = read_image(sample.image, budgets);  // its errors name the file
  } catch (const Error& e) {
    failures.add(cli_message(e));
    return false;
  }
  try {
    image_to_sample(image, preprocessing, slot);
  } catch (const Error& e) {
    failures.add(fmt::format("{}: {}", sample.image, cli_message(e)));
    return false;
  }
  return true;
}

// Each output's rows for the samples that ran, in order.
struct OutputRows {
  std::vector<std::string> names;
  std::vector<Dims> row_shapes;
  std::vector<std::vector<float>> values;
  int64_t rows = 0;

  std::vector<NamedOutput> tensors() const {
    std::vector<NamedOutput> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      Dims shape{rows};
      shape.insert(shape.end(), row_shapes[i].begin(), row_shapes[i].end());
      out.push_back({names[i], Tensor(shape, values[i])});
    }
    return out;
  }
};

// Fills `x` with the samples from `next` on, as many as fit; the samples it holds, in order (those that
// cannot be read are reported to `failures` and skipped).
std::vector<const Sample*> fill_batch(const std::vector<Sample>& samples, std::size_t& next, const RunModel& m,
                                      const DecodeBudgets& budgets, Tensor& x, InputFailures& failures) {
  const int64_t batch = x.shape()[0];
  const auto per_sample = static_cast<std::size_t>(x.numel() / batch);
  std::vector<const Sample*> filled;
  while (static_cast<int64_t>(filled.size()) < batch && next < samples.size()) {
    const Sample& s = samples[next++];
    if (fill_sample(s, m.preprocessing, budgets, x.f32().subspan(filled.size() * per_sample, per_sample), failures)) {
      filled.push_back(&s);
    }
  }
  // A short batch: the rows past it are zeros whose outputs are dropped.
  std::fill(x.f32().begin() + static_cast<std::ptrdiff_t>(filled.size() * per_sample), x.f32().end(), 0.0f);
  return filled;
}

// int8's ranges: the checkpoint's, else calibrated on --calibration images of its training set, else (a zoo
// model) on the first inputs themselves, which stderr says.
std::shared_ptr<const Quantization> int8_ranges(const RunArgs& a, const RunModel& m, const Graph& graph,
                                                const Parameters& parameters, const std::vector<Sample>& samples) {
  if (m.quantization) return m.quantization;
  const CalibrationOptions options{.threads = a.threads};
  if (!m.data.empty()) {
    const std::unique_ptr<Dataset> train = open_dataset(m.data, Split::Train, {.budgets = a.budget_flags.resolve()});
    return std::make_shared<const Quantization>(calibrate_on_data(graph, parameters, *train, a.calibration, options));
  }
  std::vector<Tensor> batches;
  std::size_t next = 0;
  InputFailures ignored;  // the run itself reports the inputs that cannot be read
  int64_t seen = 0;
  while (next < samples.size() && seen < kMaxSelfCalibrationInputs) {
    Tensor x(graph.shape(graph.inputs()[0]));
    const auto filled = static_cast<int64_t>(fill_batch(samples, next, m, a.budget_flags.resolve(), x, ignored).size());
    if (filled == 0) break;
    seen += filled;
    batches.push_back(std::move(x));
  }
  if (batches.empty()) return nullptr;  // no input can be read: nothing will run
  fmt::print(stderr,
             "int8: {} has no calibrated ranges; they come from the first {} of the inputs themselves (`cnnzoo "
             "quantize` stores ranges from a training set with a checkpoint or a weights file)\n",
             m.name, plural(seen, "sample"));
  return std::make_shared<const Quantization>(calibrate(graph, parameters, batches, options));
}

Precision run_precision(const std::string& name) {
  if (name == "fp32") return Precision::F32;
  if (name == "bf16") return Precision::BF16;
  if (name == "int8") return Precision::INT8;
  throw InvalidArgument(fmt::format("--precision: unknown precision '{}'; known: fp32, bf16, int8", name));
}

void run_model(const RunArgs& a, RunModel m, const std::vector<std::string>& files, InputFailures& failures,
               const std::vector<std::pair<std::string, std::shared_ptr<const Tensor>>>& arrays) {
  const std::vector<Sample> samples = list_samples(files, arrays, m, failures);
  if (samples.empty()) return;
  // No larger than the inputs: a huge --batch would only allocate padding.
  m.options.batch = std::min(a.batch.value_or(kDefaultBatch), static_cast<int64_t>(samples.size()));
  const int64_t batch = m.options.batch;
  const Graph graph = build_model(m.name, m.options);
  // Read or drawn again when a batch holds NaN or infinity and runs on the reference interpreter: the
  // engine keeps no plain copy of the weights (EngineOptions::reload_parameters).
  const auto load_parameters = [&a, &m, &graph] {
    return !m.checkpoint.empty() ? load_trained_model(m.checkpoint).parameters
           : !a.weights.empty()  ? load_weights(graph, a.weights)
                                 : init_parameters(graph, init_scheme_for(m.name), a.seed);
  };
  Parameters parameters = m.parameters ? std::move(*m.parameters) : load_parameters();
  const Precision precision = run_precision(a.precision);
  std::shared_ptr<const Quantization> quantization =
      precision == Precision::INT8 ? int8_ranges(a, m, graph, parameters, samples) : nullptr;
  InferenceEngine engine(graph, std::move(parameters),
                         {.threads = a.threads,
                          .precision = precision,
                          .reload_parameters = load_parameters,
                          .quantization = std::move(quantization)});

  Tensor x(graph.shape(graph.inputs()[0]));
  const auto per_sample = static_cast<std::size_t>(x.numel() / batch);
  OutputRows rows;
  TopClassesPrinter printer(a.format == "json", a.top, m.class_names);
  const DecodeBudgets budgets = a.budget_flags.resolve();
  std::size_t next = 0;
  while (next < samples.size()) {
    const std::vector<const Sample*> filled = fill_batch(samples, next, m, budgets, x, failures);
    if (filled.empty()) break;
    for (std::size_t i = 0; i < filled.size(); ++i) {
      warn_if_non_finite_input(filled[i]->label, x.f32().subspan(i * per_sample, per_sample),
                               Dims(x.shape().begin() + 1, x.shape().end()));
    }
    const std::vector<Tensor> outputs = engine.run(x);
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      const auto per_row = static_cast<std::size_t>(outputs[o].numel() / batch);
      if (rows.names.size() == o) {
        rows.names.push_back(graph.value(graph.outputs()[o]).name);
        rows.row_shapes.emplace_back(outputs[o].shape().begin() + 1, outputs[o].shape().end());
        rows.values.emplace_back();
      }
      const auto values = outputs[o].f32().first(filled.size() * per_row);
      rows.values[o].insert(rows.values[o].end(), values.begin(), values.end());
    }
    const auto classes = static_cast<std::size_t>(outputs[0].numel() / batch);
    for (std::size_t i = 0; i < filled.size(); ++i) {
      printer.add(filled[i]->label, outputs[0].f32().subspan(i * classes, classes));
    }
    rows.rows += static_cast<int64_t>(filled.size());
  }
  printer.finish();
  const std::vector<NamedOutput> outputs = rows.tensors();
  for (const NamedOutput& o : outputs) warn_if_non_finite(o.name, o.tensor);
  if (failures.count() == 0) write_outputs(outputs, a.output, a.output_dir, files);
}

// `run FILE.onnx`: .npy inputs only (an ONNX file says nothing of how to prepare an image).
void run_onnx(const RunArgs& a, const std::string& path, const std::vector<std::string>& specs,
              const InputFlag& input_flag) {
  refuse_model_flags(a, "an ONNX file carries its own model");
  if (!a.weights.empty()) throw InvalidArgument("--weights: an ONNX file carries its own weights");
  if (!input_flag.size.empty()) {
    throw InvalidArgument(fmt::format("--input {}: an ONNX model's input sizes come from its arrays", input_flag.size));
  }
  if (a.batch) throw InvalidArgument("--batch: an ONNX model runs each array whole");
  if (a.precision != "fp32") {
    throw InvalidArgument(
        fmt::format("--precision {}: an ONNX model runs in fp32 here; drop --precision", a.precision));
  }
  for (const std::string& spec : specs) {
    const std::string file = spec.substr(spec.find('=') + 1);
    if (!is_npy_path(file)) {
      throw InvalidArgument(fmt::format(
          "{}: an ONNX model takes .npy arrays; images need a zoo model or a checkpoint, which say how to prepare "
          "them",
          spec));
    }
  }
  check_output_locations(a.output, a.output_dir, specs);
  const std::vector<NamedOutput> outputs = run_onnx_model(path, specs, a.threads, a.budget_flags.resolve());
  for (const NamedOutput& o : outputs) warn_if_non_finite(o.name, o.tensor);
  const Tensor& first = outputs.at(0).tensor;
  if (first.shape().size() == 2 && first.shape()[1] > 0) {
    TopClassesPrinter printer(a.format == "json", a.top, {});
    const std::string base = specs.empty() ? path : specs.front().substr(specs.front().find('=') + 1);
    const auto classes = static_cast<std::size_t>(first.shape()[1]);
    for (int64_t i = 0; i < first.shape()[0]; ++i) {
      printer.add(fmt::format("{}[{}]", base, i), first.f32().subspan(static_cast<std::size_t>(i) * classes, classes));
    }
    printer.finish();
  }
  write_outputs(outputs, a.output, a.output_dir, specs);
}

}  // namespace

void add_run_options(CLI::App& command, RunArgs& a) {
  command.add_option("--checkpoint", a.checkpoint,
                     "A checkpoint written by `cnnzoo train`: the model, its options, input size, class names and "
                     "image preprocessing come from it");
  command.add_option("--weights", a.weights,
                     "A torchvision state_dict as safetensors for MODEL built with the model flags below (default: "
                     "the model's own initialisation from --seed); a checkpoint given here is read as --checkpoint");
  command.add_option("--seed", a.seed, "Seed of the model's own initialisation, without --weights")->default_val(0);
  // The model flags of summary, export and bench; run gives --input and --batch readings of its own.
  const std::vector<CLI::Option*> before = command.get_options();
  a.model_flags.add_to(command);
  for (const char* own : {"--input", "--batch"}) {
    if (CLI::Option* option = command.get_option_no_throw(own)) command.remove_option(option);
  }
  for (const CLI::Option* option : command.get_options()) {
    if (std::find(before.begin(), before.end(), option) == before.end()) a.model_flag_options.push_back(option);
  }
  command.add_option("--input", a.input_flag,
                     "A value that parses as CxHxW (3x224x224) is the model's input size, as for summary; any other "
                     "is an input file, as the arguments after MODEL (./3x224x224 for a file of that name). For an "
                     "ONNX file, NAME=FILE.npy binds its input NAME (weights a file takes as inputs too: "
                     "--input conv1.weight=conv1.weight.npy). Repeatable");
  command
      .add_option("--batch,--batch-size", a.batch,
                  "Samples per engine run (default: every input, at most 32 at a time)")
      ->check(at_least(1));
  command.add_option("--top", a.top, "How many of the most probable classes to print per input")
      ->default_val(5)
      ->check(at_least(1));
  command.add_option("--format", a.format, "How to print the top classes: text or json")->default_val("text");
  command.add_option("--output", a.output, "Write the first output (the logits, N x K) of every input as .npy");
  command.add_option("--output-dir", a.output_dir, "Write every output to this folder, each as NAME.npy");
  add_threads_option(command, a.threads);
  command
      .add_option("--precision", a.precision,
                  "fp32, bf16 (bfloat16 inference) or int8 (8-bit integer inference with the checkpoint's ranges "
                  "from `cnnzoo quantize`; else calibrated on --calibration training images of a checkpoint, or "
                  "on the first 64 inputs themselves for a zoo model)")
      ->default_val("fp32")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}));
  command
      .add_option("--calibration", a.calibration,
                  "int8 of a checkpoint without ranges: training images to calibrate on (a seeded sample)")
      ->default_val(512)
      ->check(at_least(1));
  a.budget_flags.add_to(command, BudgetFlags::kImages | BudgetFlags::kOnnx);
}

void run_inputs(const RunArgs& a) {
  check_flags(a);
  const InputFlag input_flag = split_input_flag(a.input_flag);
  // A checkpoint given to --weights knows its model: it is read as --checkpoint would read it.
  const std::string checkpoint = !a.checkpoint.empty()               ? a.checkpoint
                                 : is_training_checkpoint(a.weights) ? a.weights
                                                                     : std::string();
  std::string model = a.model;
  std::vector<std::string> paths = a.inputs;
  if (!checkpoint.empty() && !model.empty() && !has_model(model)) {
    paths.insert(paths.begin(), model);  // `run --checkpoint FILE IMAGE...`: no model name
    model.clear();
  }
  paths.insert(paths.end(), input_flag.files.begin(), input_flag.files.end());
  if (checkpoint.empty() && model.empty()) {
    throw InvalidArgument("give a MODEL (see `cnnzoo list`), an ONNX file or --checkpoint FILE, then the inputs");
  }
  if (paths.empty()) {
    throw InvalidArgument(
        "no inputs: give images (PNG/JPEG), .npy arrays or folders of images after the model (or with --input)");
  }
  if (checkpoint.empty() && names_onnx_file(model)) return run_onnx(a, model, paths, input_flag);

  InputFailures failures;
  const std::vector<std::string> files = expand_folders(paths, failures);
  failures.set_inputs(files.size() + failures.count());
  check_output_locations(a.output, a.output_dir, files);
  const auto arrays = read_arrays(files, failures);
  RunModel m =
      checkpoint.empty() ? from_zoo(a, model, input_flag, arrays) : from_checkpoint(a, checkpoint, model, input_flag);
  run_model(a, std::move(m), files, failures, arrays);
  failures.finish(a.output.empty() && a.output_dir.empty() ? "" : "so no output was written");
}

}  // namespace cnnzoo::cli
