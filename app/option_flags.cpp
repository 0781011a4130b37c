// Library option fields as the CLI's flags (option_flags.h).
#include "option_flags.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "cnnzoo/error.h"

namespace cnnzoo::cli {
namespace {

// Every option field the library's errors name, and the flag that sets it. A field missing here would be
// printed as the field: tests/cli/test_option_flags.cpp runs the library's option errors through it.
constexpr std::array<std::pair<std::string_view, std::string_view>, 45> kFlags{{
    {"ModelOptions::batch", "--batch"},
    {"ModelOptions::num_classes", "--num-classes"},
    {"ModelOptions::input", "--input"},
    {"ModelOptions::depth", "--depth"},
    {"ModelOptions::width", "--width"},
    {"ModelOptions::groups", "--groups"},
    {"ModelOptions::growth_rate", "--growth-rate"},
    {"ModelOptions::aux_logits", "--aux-logits"},
    {"ModelOptions::wide", "--wide"},
    {"ModelOptions::no_bn", "--no-bn"},
    {"ModelOptions::transform_input", "--transform-input"},
    {"ModelOptions::residual_scales", "--residual-scales"},
    {"AnalysisOptions::until", "--until"},
    {"AnalysisOptions::all_nodes", "--all-nodes"},
    {"AnalysisOptions::depth_view", "--depth-view"},
    {"FitOptions::out_dir", "--out"},
    {"FitOptions::epochs", "--epochs"},
    {"FitOptions::batch_size", "--batch"},
    {"FitOptions::subset", "--subset"},
    {"FitOptions::val_subset", "--val-subset"},
    {"FitOptions::stop_after", "--stop-after"},
    {"FitOptions::threads", "--threads"},
    {"FitOptions::loader_threads", "--loader-threads"},
    {"FitOptions::image_size", "--image-size"},
    {"FitOptions::schedule.base_lr", "--lr"},
    {"FitOptions::label_smoothing", "--label-smoothing"},
    {"FitOptions::aux_loss_weight", "--aux-weight"},
    {"FitOptions::validation_split", "--val-split"},
    {"FitOptions::resume", "--resume"},
    {"FitOptions::overwrite", "--overwrite"},
    {"FitOptions::precision", "--precision"},
    {"FitOptions::bucket_bytes", "--bucket-mb"},
    {"TrainingOptions::precision", "--precision"},
    {"ExperimentOptions::out_dir", "--out"},
    {"ExperimentOptions::data", "--data"},
    {"ExperimentOptions::epochs", "--epochs"},
    {"ExperimentOptions::subset", "--subset"},
    {"ExperimentOptions::seeds", "--seeds"},
    {"ExperimentOptions::threads", "--threads"},
    {"ExperimentOptions::resume", "--resume"},
    {"ExperimentOptions::overwrite", "--overwrite"},
    {"DecodeBudgets::image_pixels", "--max-image-pixels"},
    {"DecodeBudgets::image_bytes", "--max-image-mib"},
    {"DecodeBudgets::gunzip_bytes", "--max-gunzip-mib"},
    {"DecodeBudgets::folded_bytes", "--max-folded-mib"},
}};

bool continues_identifier(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// `message` with each whole occurrence of `field` (not one that runs on into a longer name) as `flag`.
std::string replace_field(const std::string& message, std::string_view field, std::string_view flag) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t at = message.find(field); at != std::string::npos; at = message.find(field, at + field.size())) {
    const std::size_t end = at + field.size();
    if (end < message.size() && continues_identifier(message[end])) continue;
    out.append(message, from, at - from).append(flag);
    from = end;
  }
  return out.append(message, from);
}

}  // namespace

std::string_view flag_for(std::string_view field) {
  const auto* found =
      std::find_if(kFlags.begin(), kFlags.end(), [&](const auto& entry) { return entry.first == field; });
  return found == kFlags.end() ? field : found->second;
}

std::string cli_message(const std::exception& error) {
  std::string message = error.what();
  const auto* about_options = dynamic_cast<const OptionFields*>(&error);
  if (about_options == nullptr) return message;
  for (const std::string& field : about_options->fields()) message = replace_field(message, field, flag_for(field));
  return message;
}

}  // namespace cnnzoo::cli
