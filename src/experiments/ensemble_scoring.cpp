// The scoring of `experiment ensemble` (ensemble_scoring.h).
#include "experiments/ensemble_scoring.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cnnzoo/ensemble.h"
#include "cnnzoo/error.h"

namespace cnnzoo::experiments {

namespace {

// Whether each image's most probable class is its label.
std::vector<bool> right_answers(const Evaluation& e) {
  const std::vector<int64_t> predicted = top1_classes(e.probabilities);
  std::vector<bool> right;
  for (std::size_t i = 0; i < e.labels.size(); ++i) right.push_back(predicted.at(i) == e.labels[i]);
  return right;
}

PairedComparison compare(const Evaluation& ensemble, const Evaluation& best) {
  const std::vector<bool> a = right_answers(ensemble), b = right_answers(best);
  PairedComparison out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    out.fixed += a[i] && !b[i];
    out.broken += !a[i] && b[i];
  }
  out.p_value = mcnemar_p_value(out.fixed, out.broken);
  return out;
}

}  // namespace

double mcnemar_p_value(int64_t fixed, int64_t broken) {
  const int64_t n = fixed + broken, fewer = std::min(fixed, broken);
  if (n == 0) return 1;
  // P(X <= fewer) for X ~ Binomial(n, 1/2), summed in logs (C(10000, 5000) overflows a double), doubled.
  double tail = 0;
  for (int64_t k = 0; k <= fewer; ++k) {
    const auto nd = static_cast<double>(n), kd = static_cast<double>(k);
    tail += std::exp(std::lgamma(nd + 1) - std::lgamma(kd + 1) - std::lgamma(nd - kd + 1) - nd * std::log(2.0));
  }
  return std::min(1.0, 2 * tail);
}

nlohmann::json EnsembleScore::to_json() const {
  nlohmann::json j = {{"order", "members by their own top-1, best first; ensemble_top1[k-1]: the first k averaged"},
                      {"members", nlohmann::json::array()},
                      {"ensemble_top1", top1},
                      {"best_member_top1", best_member()},
                      {"ensemble_top1_all", full()},
                      {"left_out", left_out},
                      {"against_best",
                       {{"fixed", against_best.fixed},
                        {"broken", against_best.broken},
                        {"p_value", against_best.p_value},
                        {"what",
                         "test images the full ensemble gets right and its best member wrong (fixed), the "
                         "reverse (broken), McNemar's exact two-sided p-value"}}}};
  for (const MemberScore& m : members) {
    j["members"].push_back({{"model", m.run.key},
                            {"seed", m.run.seed},
                            {"label", m.run.label},
                            {"checkpoint", m.checkpoint},
                            {"top1", m.top1},
                            {"top5", m.top5},
                            {"loss", m.loss}});
  }
  return j;
}

EnsembleScore score_ensemble(const std::string& name, const std::vector<MemberRun>& candidates,
                             const std::vector<RunRecord>& runs, const Schedule& schedule,
                             const ExperimentOptions& options, EvaluationCache& evaluated) {
  EnsembleScore out{.name = name, .members = {}, .top1 = {}, .left_out = {}};
  std::vector<Evaluation> evaluations;
  for (const MemberRun& c : candidates) {
    const auto run = std::find_if(runs.begin(), runs.end(),
                                  [&](const RunRecord& r) { return r.model == c.key && r.seed == c.seed; });
    if (run == runs.end()) throw Error(fmt::format("ensemble '{}': no run of {} seed {}", name, c.key, c.seed));
    if (!run->diverged.empty()) {
      out.left_out.push_back(fmt::format("{} seed {}: diverged at {}", c.key, c.seed, run->diverged));
      continue;
    }
    const std::string relative =
        (std::filesystem::path("runs") / fmt::format("{}_seed{}", c.key, c.seed) / "last.safetensors").string();
    auto cached = evaluated.find(relative);
    if (cached == evaluated.end()) {
      // The test images of the schedule, as fit() evaluated each epoch: the members' top-1 are their runs' last.
      CheckpointEvaluation e =
          evaluate_checkpoint((std::filesystem::path(options.out_dir) / relative).string(),
                              {.data = schedule.data, .subset = schedule.val_subset, .threads = schedule.threads});
      cached = evaluated.emplace(relative, std::move(e.result)).first;
    }
    const Evaluation& e = cached->second;
    out.members.push_back({.run = c, .checkpoint = relative, .top1 = e.top1, .top5 = e.top5, .loss = e.loss});
    evaluations.push_back(e);
  }
  // Best first; a stable sort keeps the stated order among equals.
  std::vector<std::size_t> order(out.members.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return out.members[a].top1 > out.members[b].top1; });
  std::vector<MemberScore> members;
  std::vector<Evaluation> sorted;
  std::vector<std::string> names;
  for (const std::size_t i : order) {
    members.push_back(out.members[i]);
    sorted.push_back(std::move(evaluations[i]));
    names.push_back(out.members[i].checkpoint);
  }
  out.members = std::move(members);
  for (std::size_t k = 1; k <= sorted.size(); ++k) {
    const Evaluation e = ensemble_evaluation(std::span(sorted).first(k), std::span<const std::string>(names).first(k));
    out.top1.push_back(e.top1);
    if (k == sorted.size()) out.against_best = compare(e, sorted.front());
  }
  return out;
}

}  // namespace cnnzoo::experiments
