// The experiments, one function each (registry.cpp lists them): each measures, writes its files into the
// folder and returns its outcome.
#pragma once

#include <string>

#include "cnnzoo/experiments.h"
#include "experiments/experiment_folder.h"

namespace cnnzoo::experiments {

/// The lecture's design arguments measured on the zoo's graphs (design.cpp).
ExperimentOutcome run_design(const ExperimentOptions& options, const ExperimentCallbacks& callbacks,
                             ExperimentFolder& folder);

/// Plain-20/56 against ResNet-20/56, trained (degradation.cpp); its default time, for `experiment list`.
ExperimentOutcome run_degradation(const ExperimentOptions& options, const ExperimentCallbacks& callbacks,
                                  ExperimentFolder& folder);
std::string degradation_default_time();

/// Plain-20/56 with and without batch norm, trained (batchnorm.cpp); its default time.
ExperimentOutcome run_batchnorm(const ExperimentOptions& options, const ExperimentCallbacks& callbacks,
                                ExperimentFolder& folder);
std::string batchnorm_default_time();

/// GoogLeNet without BN with and without its auxiliary classifiers, and with BN without them (auxiliary.cpp).
ExperimentOutcome run_auxiliary(const ExperimentOptions& options, const ExperimentCallbacks& callbacks,
                                ExperimentFolder& folder);
std::string auxiliary_default_time();
/// Seed and mixed-family ensembles against their members (ensemble.cpp); its default time.
ExperimentOutcome run_ensemble(const ExperimentOptions& options, const ExperimentCallbacks& callbacks,
                               ExperimentFolder& folder);
std::string ensemble_default_time();

/// Time and memory against batch size and depth, inference at three precisions and a training step
/// (cost_growth.cpp); its default time.
ExperimentOutcome run_cost(const ExperimentOptions& options, const ExperimentCallbacks& callbacks,
                           ExperimentFolder& folder);
std::string cost_default_time();

}  // namespace cnnzoo::experiments
