// The scoring half of `experiment ensemble`: its members' last checkpoints evaluated on the schedule's test
// images, ordered best first, and the ensemble's top-1 as each is added (the averaging is cnnzoo/ensemble.h's,
// as `cnnzoo eval --ensemble`).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cnnzoo/fit.h"
#include "experiments/training_runs.h"

namespace cnnzoo::experiments {

/// A run that may join an ensemble: its RunSpec key and seed, and its name in the figures.
struct MemberRun {
  std::string key;
  uint64_t seed = 0;
  std::string label;
};

struct MemberScore {
  MemberRun run;
  std::string checkpoint;  ///< relative to the experiment folder: runs/KEY_seedS/last.safetensors
  double top1 = 0, top5 = 0, loss = 0;
};

/// The full ensemble against its best member, image by image: the test images it classifies right that the best
/// member got wrong (`fixed`), the reverse (`broken`), and McNemar's exact two-sided p-value of that split (the
/// chance of a split at least as uneven if the two were equally good: a binomial test of fixed against
/// fixed + broken at one half). Top-1 figures alone cannot tell a gain of 15 images in 10,000 from noise.
struct PairedComparison {
  int64_t fixed = 0, broken = 0;
  double p_value = 1;
};

/// McNemar's exact two-sided p-value for `fixed` and `broken` discordant images (1 when there are none).
double mcnemar_p_value(int64_t fixed, int64_t broken);

/// One ensemble's scores. The members are in the order they are added: best top-1 first (ties in the stated
/// order), so the first point of the curve is the best member and every later one asks whether a weaker member
/// still helps.
struct EnsembleScore {
  std::string name;                   ///< "seeds", "families"
  std::vector<MemberScore> members;   ///< best first
  std::vector<double> top1;           ///< the ensemble of the first k members, k = 1..members
  std::vector<std::string> left_out;  ///< runs that diverged, with where
  PairedComparison against_best{};    ///< the full ensemble against members.front()

  double best_member() const { return members.empty() ? 0 : members.front().top1; }
  double full() const { return top1.empty() ? 0 : top1.back(); }
  nlohmann::json to_json() const;
};

/// The evaluations of the checkpoints scored so far, by path relative to the experiment folder: a run that
/// belongs to two ensembles (a ResNet-20 seed) is evaluated once.
using EvaluationCache = std::map<std::string, Evaluation>;

/// Scores the ensemble `name` of `candidates`, each a finished run of `runs` (a diverged one is left out and
/// named in left_out). A checkpoint not in `evaluated` is evaluated and added to it.
EnsembleScore score_ensemble(const std::string& name, const std::vector<MemberRun>& candidates,
                             const std::vector<RunRecord>& runs, const Schedule& schedule,
                             const ExperimentOptions& options, EvaluationCache& evaluated);

}  // namespace cnnzoo::experiments
