// What the training forms of batch norm share: one rank's (train_norm.cpp) and the job's (sync batch norm,
// train_sync_norm.cpp).
#pragma once

#include "backend/onednn/trainer.h"

namespace cnnzoo::onednn {

inline const auto kScaleShift = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;

/// The ReLU this batch norm applies (training_output() says Fused), if any.
const Node* fused_relu_node(const Trainer& t, const Node& n);
/// Scale and shift, and the fused ReLU's flag where it has one (oneDNN keeps a bit mask of the positive
/// outputs in the workspace for backward).
dnnl::normalization_flags flags(const Trainer& t, const Node& n);
/// A per-channel vector of float32.
memory::desc per_channel(const Trainer& t, const Node& n);
/// PyTorch's update of the running statistics from batch statistics over `batches` batches of the graph's
/// shape (the job's ranks with sync batch norm).
void update_running_statistics(Trainer& t, const Node& n, BufferId mean, BufferId variance, int64_t batches);

/// Sync batch norm (TrainingOptions::sync_batch_norm across ranks).
void forward_synced_batch_norm(Trainer& t, const Node& n);
void backward_synced_batch_norm(Trainer& t, const Node& n);

}  // namespace cnnzoo::onednn
