// The list of experiments and run_experiment (cnnzoo/experiments.h): the options each one takes are
// checked here, before the folder is touched and before any work starts.
#include <fmt/format.h>

#include <algorithm>

#include "cnnzoo/error.h"
#include "cnnzoo/experiments.h"
#include "cnnzoo/nearest_names.h"
#include "experiments/experiment_folder.h"
#include "experiments/runners.h"

namespace cnnzoo {
namespace {

using Runner = ExperimentOutcome (*)(const ExperimentOptions&, const ExperimentCallbacks&,
                                     experiments::ExperimentFolder&);

struct Entry {
  ExperimentInfo info;
  Runner run;
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> all = {
      {{"design",
        "the lecture's design arguments measured on the zoo's graphs: 5x5 vs two 3x3, VGG's stages, "
        "GoogLeNet's stem, bottlenecks, GAP, AlexNet's layers, SE and DenseNet overheads",
        "instant", false},
       experiments::run_design},
      {{"degradation",
        "plain-20/56 vs ResNet-20/56 trained on Fashion-MNIST: the deeper plain net trains worse, the deeper "
        "ResNet does not (the ResNet paper's Figure 6)",
        experiments::degradation_default_time(), true},
       experiments::run_degradation},
      {{"batchnorm",
        "plain-20/56 with and without batch norm at lr 0.1 on Fashion-MNIST: without it the deep plain net does not "
        "train (Ioffe & Szegedy 2015)",
        experiments::batchnorm_default_time(), true},
       experiments::run_batchnorm},
      {{"auxiliary",
        "GoogLeNet without BN with and without its auxiliary classifiers, and with BN without them, on "
        "Fashion-MNIST at 64x64: batch norm makes the heads unnecessary",
        experiments::auxiliary_default_time(), true},
       experiments::run_auxiliary},
      {{"ensemble",
        "K seeds of ResNet-20, and GoogLeNet + ResNet-20 + WRN-16-2, averaged: each member's top-1 against the "
        "ensemble's, and the ensemble's as members are added",
        experiments::ensemble_default_time(), true},
       experiments::run_ensemble},
      {{"cost",
        "time and memory of ResNet-50 against batch size (1 to 64) and of the CIFAR ResNets against depth (20 to "
        "1202), fp32, bf16 and int8 inference and training steps in fp32 and bf16: both grow linearly",
        experiments::cost_default_time(), false},
       experiments::run_cost},
  };
  return all;
}

const Entry& find_entry(const std::string& name) {
  const auto& all = entries();
  const auto it = std::find_if(all.begin(), all.end(), [&](const Entry& e) { return e.info.name == name; });
  if (it != all.end()) return *it;
  std::vector<std::string> names;
  for (const Entry& e : all) names.push_back(e.info.name);
  throw UnknownNameError(fmt::format("unknown experiment '{}';{} experiments: {}", name,
                                     did_you_mean(nearest_names(name, names)), fmt::join(names, ", ")));
}

void check_options(const ExperimentInfo& info, const ExperimentOptions& o) {
  if (o.out_dir.empty()) {
    throw OptionError({"ExperimentOptions::out_dir"},
                      "ExperimentOptions::out_dir: a folder for the results is required");
  }
  if (o.resume && o.overwrite) {
    throw OptionError({"ExperimentOptions::resume", "ExperimentOptions::overwrite"},
                      "ExperimentOptions::resume and ExperimentOptions::overwrite exclude each other; give one");
  }
  const auto at_least = [](const char* field, int64_t value, int64_t min) {
    if (value < min) throw OptionError({field}, fmt::format("{}: must be at least {}, got {}", field, min, value));
  };
  if (o.epochs) at_least("ExperimentOptions::epochs", *o.epochs, 1);
  if (o.subset) at_least("ExperimentOptions::subset", *o.subset, 1);
  at_least("ExperimentOptions::seeds", o.seeds, 1);
  at_least("ExperimentOptions::threads", o.threads, 0);
  if (info.trains) return;
  // An experiment without training runs (analysis, timing): a training option given to it is a mistake worth
  // saying.
  const auto refuse = [&](const char* field, bool given) {
    if (given) {
      throw OptionError(
          {field}, fmt::format("{}: experiment '{}' has no training runs and takes no {}", field, info.name, field));
    }
  };
  refuse("ExperimentOptions::epochs", o.epochs.has_value());
  refuse("ExperimentOptions::subset", o.subset.has_value());
  refuse("ExperimentOptions::seeds", o.seeds != 1);
  refuse("ExperimentOptions::resume", o.resume);
  refuse("ExperimentOptions::data", o.data != ExperimentOptions{}.data);
}

}  // namespace

const std::vector<ExperimentInfo>& list_experiments() {
  static const std::vector<ExperimentInfo> infos = [] {
    std::vector<ExperimentInfo> out;
    for (const Entry& e : entries()) out.push_back(e.info);
    return out;
  }();
  return infos;
}

const ExperimentInfo& find_experiment(const std::string& name) { return find_entry(name).info; }

ExperimentOutcome run_experiment(const std::string& name, const ExperimentOptions& options,
                                 const ExperimentCallbacks& callbacks) {
  const Entry& entry = find_entry(name);
  check_options(entry.info, options);
  experiments::ExperimentFolder folder(name, options);
  ExperimentOutcome outcome = entry.run(options, callbacks, folder);
  outcome.files = folder.files();
  return outcome;
}

}  // namespace cnnzoo
