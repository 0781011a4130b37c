// `cnnzoo report DIR` for a training folder, and the report.html that fit() refreshes after every epoch
// (html_report.h).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "cnnzoo/error.h"
#include "cnnzoo/html_report.h"
#include "fit/run_record.h"
#include "html/charts.h"
#include "html/confusion_drawing.h"
#include "html/page.h"
#include "io/atomic_file.h"

namespace cnnzoo {
namespace {

std::string curves(const std::vector<EpochMetrics>& history) {
  std::vector<std::string> epochs;
  html::Series train_loss{"training loss", {}}, val_loss{"validation loss", {}, true};
  html::Series train_top1{"training top-1", {}}, top1{"validation top-1", {}, true}, top5{"validation top-5", {}, true};
  html::Series lr{"learning rate (end of epoch)", {}};
  for (const EpochMetrics& m : history) {
    epochs.push_back(std::to_string(m.epoch));
    train_loss.values.push_back(m.train_loss);
    val_loss.values.push_back(m.val_loss);
    train_top1.values.push_back(100.0 * m.train_accuracy);
    top1.values.push_back(100.0 * m.top1);
    top5.values.push_back(100.0 * m.top5);
    lr.values.push_back(m.lr);
  }
  return "<h2>Loss</h2>\n" + html::chart(html::line_chart(epochs, {train_loss, val_loss}, "epoch", "cross-entropy")) +
         "<h2>Accuracy</h2>\n" +
         html::chart(html::line_chart(epochs, {train_top1, top1, top5}, "epoch", "accuracy (%)")) +
         "<h2>Learning rate</h2>\n" + html::chart(html::line_chart(epochs, {lr}, "epoch", "learning rate"), 220);
}

std::string epoch_table(const std::vector<EpochMetrics>& history) {
  std::vector<std::vector<std::string>> rows;
  for (const EpochMetrics& m : history) {
    rows.push_back({std::to_string(m.epoch), fmt::format("{:.4g}", m.lr), fmt::format("{:.4f}", m.train_loss),
                    fmt::format("{:.2f}%", 100 * m.train_accuracy), fmt::format("{:.4f}", m.val_loss),
                    fmt::format("{:.2f}%", 100 * m.top1), fmt::format("{:.2f}%", 100 * m.top5),
                    fmt::format("{:.1f} s", m.seconds)});
  }
  return html::table(
      {"epoch", "learning rate", "training loss", "training top-1", "validation loss", "top-1", "top-5", "time"}, rows);
}

std::string per_class(const fit_detail::EvaluationRecord& record) {
  const auto& confusion = record.evaluation.confusion;
  html::Series accuracy{"accuracy (%)", {}};
  std::vector<std::vector<std::string>> rows;
  for (std::size_t c = 0; c < confusion.size(); ++c) {
    int64_t total = 0;
    for (const int64_t n : confusion[c]) total += n;
    const double percent = total == 0 ? 0.0 : 100.0 * static_cast<double>(confusion[c][c]) / static_cast<double>(total);
    accuracy.values.push_back(percent);
    rows.push_back({record.class_names[c], std::to_string(total),
                    total == 0 ? std::string("no image") : fmt::format("{:.1f}%", percent)});
  }
  const int height = std::clamp(static_cast<int>(confusion.size()) * 22 + 60, 200, 2400);
  return "<h2>Accuracy per class</h2>\n" +
         html::chart(html::horizontal_bar_chart(record.class_names, accuracy, "accuracy (%)", 100), height) +
         "<details><summary>as a table</summary>\n" + html::table({"class", "images", "accuracy"}, rows) +
         "</details>\n";
}

}  // namespace

std::string training_report_html(const std::string& folder) {
  const std::filesystem::path dir(folder);
  const std::vector<EpochMetrics> history = fit_detail::read_metrics_csv((dir / "metrics.csv").string());
  const fit_detail::EvaluationRecord record = fit_detail::read_evaluation_json((dir / "evaluation.json").string());
  std::string body = fmt::format(
      "<p>{} on {}, {} epoch{} so far. Latest evaluation (epoch {}, {} images): top-1 {:.2f}%, top-5 {:.2f}%.</p>\n",
      html::escape(record.model), html::escape(record.data), history.size(), history.size() == 1 ? "" : "s",
      record.epoch, record.evaluation.images, 100 * record.evaluation.top1, 100 * record.evaluation.top5);
  body += curves(history) + epoch_table(history);
  body += "<h2>Confusion matrix (epoch " + std::to_string(record.epoch) + ")</h2>\n" +
          html::figure(html::confusion_svg(record.class_names, record.evaluation.confusion),
                       "rows: the true class; columns: the predicted class; shade: the share of the row");
  body += per_class(record);
  return html::page(fmt::format("Training of {} ({})", record.model, folder), body);
}

void write_report(const std::string& path, const std::string& html) {
  io::write_file_atomically(path, [&](std::FILE* f) { io::write_bytes(f, html.data(), html.size(), path); });
}

}  // namespace cnnzoo
