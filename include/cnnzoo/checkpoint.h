// Training checkpoints: one safetensors file holding a model's weights under torchvision's names, the
// optimizer's state under "optim."-prefixed names, and the run's position and settings as string
// metadata. Because the weights keep their plain names, a checkpoint is also a weights file: drop the
// "optim." tensors (model_tensors) and it checks and loads against the graph like a state_dict.
//
// Saving is atomic (temporary file, fsync, rename, fsync of the folder), so a process killed at any
// moment leaves either the previous checkpoint or the new one, never a torn file.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "cnnzoo/io.h"
#include "cnnzoo/parameters.h"

namespace cnnzoo {

/// Names starting with this are optimizer state, not weights.
inline constexpr std::string_view kOptimizerPrefix = "optim.";

/// Metadata keys save_checkpoint sets itself: "cnnzoo.format" = "checkpoint", "cnnzoo.format_version".
inline constexpr const char* kCheckpointFormatKey = "cnnzoo.format";
inline constexpr const char* kCheckpointFormat = "checkpoint";
inline constexpr const char* kCheckpointVersionKey = "cnnzoo.format_version";
inline constexpr const char* kCheckpointVersion = "1";

/// Metadata keys every checkpoint must carry.
inline constexpr const char* kCheckpointModelKey = "model";  ///< registered model name
inline constexpr const char* kCheckpointEpochKey = "epoch";  ///< epochs completed, decimal

/// Keys a trainer is expected to add (not checked here), so that writers and readers agree on the names.
inline constexpr const char* kCheckpointIterationKey = "iteration";         ///< iterations completed, decimal
inline constexpr const char* kCheckpointSeedKey = "seed";                   ///< decimal uint64
inline constexpr const char* kCheckpointModelOptionsKey = "model_options";  ///< JSON object
inline constexpr const char* kCheckpointDataKey = "data";                   ///< JSON: data set spec and order state
inline constexpr const char* kCheckpointOptimizerKey = "optimizer";         ///< to_json(OptimizerOptions)
inline constexpr const char* kCheckpointScheduleKey = "schedule";           ///< to_json(ScheduleOptions)
inline constexpr const char* kCheckpointBestMetricKey = "best_metric";      ///< decimal, "%.17g"
/// The arithmetic of the training steps: "fp32" or "bf16" (precision_name()); absent in checkpoints written
/// before bf16 training existed, which were fp32.
inline constexpr const char* kCheckpointPrecisionKey = "precision";
/// JSON {batches, loss_sum, correct, seen, seconds}: the position inside epoch `epoch` + 1 of a checkpoint
/// written mid-epoch (a run stopped by a signal); absent or {batches: 0} at an epoch boundary.
inline constexpr const char* kCheckpointEpochProgressKey = "epoch_progress";
/// JSON {label_smoothing, aux_loss_weight}: the loss the run trains, which a resumed run must train too; absent in
/// checkpoints written before it was recorded, which resume without that check.
inline constexpr const char* kCheckpointLossKey = "loss";

struct Checkpoint {
  Parameters model;      ///< torchvision state_dict names, buffers included; none may start with "optim."
  Parameters optimizer;  ///< Optimizer::state(): every name starts with "optim."
  std::map<std::string, std::string> meta;  ///< nested values as JSON strings
};

/// Writes the checkpoint atomically to `path`: model tensors (in name order), then the optimizer's, with
/// `meta` plus the format keys as "__metadata__". Throws Error naming the file for a model tensor named
/// "optim.*", an optimizer tensor that is not, a missing required key ("model", "epoch"), or an IO
/// failure; `path` is untouched then.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

/// Reads a checkpoint that save_checkpoint wrote. Its `meta` includes the format keys. Throws Error naming
/// the file for a malformed or truncated file, one that is not a checkpoint (a missing metadata key is
/// named) or of another format version.
Checkpoint load_checkpoint(const std::string& path);

/// The file's tensors without the optimizer's: what a weights loader or check_parameters wants.
Parameters model_tensors(const TensorFile& file);

}  // namespace cnnzoo
