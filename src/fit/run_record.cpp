#include "fit/run_record.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/error.h"
#include "io/atomic_file.h"
#include "io/json_get.h"
#include "io/small_file.h"

namespace cnnzoo::fit_detail {
namespace {

using nlohmann::json;

json parse(const std::string& text, const std::string& what, const std::string& file) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: metadata '{}' is not valid JSON: {}", file, what, e.what()));
  }
}

template <typename T>
void put_optional(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

template <typename T>
std::optional<T> get_optional(const json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return json_get<T>(j.at(key));
}

// A metadata value that is one number and nothing else (as the trainer writes it); an Error naming the file
// and the key otherwise (a hand-edited or damaged checkpoint).
template <typename T>
T meta_number(const std::map<std::string, std::string>& meta, const std::string& key, const std::string& file) {
  const std::string& text = meta_value(meta, key, file);
  T value{};
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end) {
    throw Error(fmt::format("{}: metadata '{}' is not a number: '{}'", file, key, text));
  }
  return value;
}

constexpr std::string_view kMetricsHeader = "epoch,lr,train_loss,train_accuracy,val_loss,top1,top5,seconds";
// A run's record files are small (a row per epoch, a matrix per class pair); a larger one is not ours.
constexpr std::uintmax_t kMaxRecordBytes = 64u << 20;

std::string read_record_file(const std::string& path) {
  return io::read_small_file(path, kMaxRecordBytes, "a run writes");
}

double csv_number(std::string_view field, const std::string& path, int line) {
  double value = 0;
  const auto [stop, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || stop != field.data() + field.size() || !std::isfinite(value)) {
    throw Error(fmt::format("{}:{}: '{}' is not a finite number", path, line, field));
  }
  return value;
}

}  // namespace

std::string model_options_json(const ModelOptions& o) {
  json j{{"aux_logits", o.aux_logits}, {"transform_input", o.transform_input}, {"wide", o.wide}, {"no_bn", o.no_bn}};
  put_optional(j, "num_classes", o.num_classes);
  put_optional(j, "input", o.input);
  put_optional(j, "depth", o.depth);
  put_optional(j, "width", o.width);
  put_optional(j, "groups", o.groups);
  put_optional(j, "growth_rate", o.growth_rate);
  put_optional(j, "residual_scales", o.residual_scales);
  return j.dump();
}

ModelOptions model_options_from_json(const std::string& text, const std::string& file) {
  const json j = parse(text, "model_options", file);
  try {
    ModelOptions o;
    o.aux_logits = j.value("aux_logits", false);
    o.transform_input = j.value("transform_input", false);
    o.wide = j.value("wide", false);
    o.no_bn = j.value("no_bn", false);
    o.num_classes = get_optional<int64_t>(j, "num_classes");
    o.input = get_optional<Dims>(j, "input");
    o.depth = get_optional<int64_t>(j, "depth");
    o.width = get_optional<int64_t>(j, "width");
    o.groups = get_optional<int64_t>(j, "groups");
    o.growth_rate = get_optional<int64_t>(j, "growth_rate");
    o.residual_scales = get_optional<std::vector<double>>(j, "residual_scales");
    return o;
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: metadata 'model_options' is malformed: {}", file, e.what()));
  }
}

std::string history_json(const std::vector<EpochMetrics>& history) {
  json rows = json::array();
  for (const EpochMetrics& m : history) {
    rows.push_back({{"epoch", m.epoch},
                    {"lr", m.lr},
                    {"train_loss", m.train_loss},
                    {"train_accuracy", m.train_accuracy},
                    {"val_loss", m.val_loss},
                    {"top1", m.top1},
                    {"top5", m.top5},
                    {"seconds", m.seconds},
                    {"images_per_second", m.images_per_second}});
  }
  return rows.dump();
}

std::vector<EpochMetrics> history_from_json(const std::string& text, const std::string& file) {
  std::vector<EpochMetrics> history;
  try {
    for (const json& r : parse(text, "history", file)) {
      history.push_back({.epoch = json_get<int64_t>(r.at("epoch")),
                         .lr = r.at("lr").get<double>(),
                         .train_loss = r.at("train_loss").get<double>(),
                         .train_accuracy = r.at("train_accuracy").get<double>(),
                         .val_loss = r.at("val_loss").get<double>(),
                         .top1 = r.at("top1").get<double>(),
                         .top5 = r.at("top5").get<double>(),
                         .seconds = r.at("seconds").get<double>(),
                         .images_per_second = r.at("images_per_second").get<double>()});
    }
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: metadata 'history' is malformed: {}", file, e.what()));
  }
  return history;
}

std::string epoch_progress_json(const EpochProgress& p) {
  return json{{"batches", p.batches},
              {"loss_sum", p.loss_sum},
              {"correct", p.correct},
              {"seen", p.seen},
              {"seconds", p.seconds}}
      .dump();
}

EpochProgress epoch_progress_from_meta(const std::map<std::string, std::string>& meta, const std::string& file) {
  const auto it = meta.find(kCheckpointEpochProgressKey);
  if (it == meta.end()) return {};
  const json j = parse(it->second, kCheckpointEpochProgressKey, file);
  EpochProgress p;
  try {
    p = {.batches = json_get<int64_t>(j.at("batches")),
         .loss_sum = j.at("loss_sum").get<double>(),
         .correct = json_get<int64_t>(j.at("correct")),
         .seen = json_get<int64_t>(j.at("seen")),
         .seconds = j.at("seconds").get<double>()};
  } catch (const json::exception&) {
    p.batches = -1;
  }
  if (p.batches < 0 || p.seen < 0 || p.correct < 0 || p.correct > p.seen) {
    throw Error(fmt::format("{}: metadata '{}' is malformed: {}", file, kCheckpointEpochProgressKey, it->second));
  }
  return p;
}

ResumePoint resume_point_from_meta(const std::map<std::string, std::string>& meta, const std::string& file) {
  ResumePoint point;
  point.epochs_done = meta_number<int64_t>(meta, kCheckpointEpochKey, file);
  if (point.epochs_done < 0) {
    throw Error(fmt::format("{}: metadata '{}' is negative: {}", file, kCheckpointEpochKey, point.epochs_done));
  }
  point.progress = epoch_progress_from_meta(meta, file);
  point.history = history_from_json(meta_value(meta, "history", file), file);
  point.best_top1 = meta_number<double>(meta, kCheckpointBestMetricKey, file);
  return point;
}

const std::string& meta_value(const std::map<std::string, std::string>& meta, const std::string& key,
                              const std::string& file) {
  auto it = meta.find(key);
  if (it == meta.end()) throw Error(fmt::format("{}: not a cnnzoo training checkpoint: no '{}' metadata", file, key));
  return it->second;
}

void write_metrics_csv(const std::string& path, const std::vector<EpochMetrics>& history) {
  std::string text = std::string(kMetricsHeader) + "\n";
  for (const EpochMetrics& m : history) {
    text += fmt::format("{},{:.6g},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.2f}\n", m.epoch, m.lr, m.train_loss,
                        m.train_accuracy, m.val_loss, m.top1, m.top5, m.seconds);
  }
  io::write_file_atomically(path, [&](std::FILE* f) { io::write_bytes(f, text.data(), text.size(), path); });
}

std::vector<EpochMetrics> read_metrics_csv(const std::string& path) {
  const std::string text = read_record_file(path);
  std::vector<EpochMetrics> history;
  int line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (++line_number == 1) {
      if (line != kMetricsHeader) {
        throw Error(fmt::format("{}:1: not a cnnzoo metrics.csv: the header should be '{}'", path, kMetricsHeader));
      }
      continue;
    }
    std::vector<double> fields;
    std::size_t from = 0;
    for (;;) {
      const std::size_t comma = line.find(',', from);
      fields.push_back(csv_number(line.substr(from, comma - from), path, line_number));
      if (comma == std::string_view::npos) break;
      from = comma + 1;
    }
    if (fields.size() != 8) {
      throw Error(fmt::format("{}:{}: {} fields, where the header has 8", path, line_number, fields.size()));
    }
    if (fields[0] != static_cast<double>(static_cast<int64_t>(history.size()) + 1)) {
      throw Error(fmt::format("{}:{}: epoch {} follows epoch {}", path, line_number, fields[0], history.size()));
    }
    history.push_back({.epoch = static_cast<int64_t>(fields[0]),
                       .lr = fields[1],
                       .train_loss = fields[2],
                       .train_accuracy = fields[3],
                       .val_loss = fields[4],
                       .top1 = fields[5],
                       .top5 = fields[6],
                       .seconds = fields[7]});
  }
  if (line_number == 0) throw Error(fmt::format("{}: empty, where a header is expected", path));
  return history;
}

void write_evaluation_json(const std::string& path, const EvaluationRecord& record) {
  json j = evaluation_json(record.evaluation, record.class_names);
  j["model"] = record.model;
  j["data"] = record.data;
  j["epoch"] = record.epoch;
  j["class_names"] = record.class_names;
  const std::string text = j.dump(1) + "\n";
  io::write_file_atomically(path, [&](std::FILE* f) { io::write_bytes(f, text.data(), text.size(), path); });
}

EvaluationRecord read_evaluation_json(const std::string& path) {
  const std::string text = read_record_file(path);
  EvaluationRecord record;
  try {
    const json j = json::parse(text);
    record.model = j.at("model").get<std::string>();
    record.data = j.at("data").get<std::string>();
    record.epoch = json_get<int64_t>(j.at("epoch"));
    record.class_names = j.at("class_names").get<std::vector<std::string>>();
    Evaluation& e = record.evaluation;
    e.images = json_get<int64_t>(j.at("images"));
    e.top1 = j.at("top1").get<double>();
    e.top5 = j.at("top5").get<double>();
    e.loss = j.at("loss").get<double>();
    e.confusion = json_get<std::vector<std::vector<int64_t>>>(j.at("confusion"));
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: not a cnnzoo evaluation.json: {}", path, e.what()));
  }
  const std::vector<std::vector<int64_t>>& confusion = record.evaluation.confusion;
  const std::size_t classes = record.class_names.size();
  if (classes == 0 || confusion.size() != classes) {
    throw Error(fmt::format("{}: a confusion matrix of {} rows for {} classes", path, confusion.size(), classes));
  }
  for (const auto& row : confusion) {
    if (row.size() != classes || std::any_of(row.begin(), row.end(), [](int64_t n) { return n < 0; })) {
      throw Error(fmt::format("{}: the confusion matrix is not {} x {} counts", path, classes, classes));
    }
  }
  return record;
}

}  // namespace cnnzoo::fit_detail
