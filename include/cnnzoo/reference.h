// Plain reference kernels of every op, forward and backward: the oracle the fast engine is tested against.
//
// Each kernel works on dense row-major (NCHW) buffers described by a `View`: a span and its shape. The
// kernels are written for clarity, not speed, and follow PyTorch's semantics exactly (window rules, ceil
// mode, average-pooling divisors, LRN's window, batch-norm statistics, tie-breaking of max pooling). They
// are instantiated for float and for double; double serves finite-difference gradient checks.
//
// Output shapes are checked against the op's shape rule (src/ops), so a kernel and the graph agree on
// what a node produces; a mismatch throws ShapeError naming the kernel, the buffer and both shapes.
// Backward kernels overwrite their gradient outputs (they do not accumulate).
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "cnnzoo/ops.h"
#include "cnnzoo/shape.h"

namespace cnnzoo::ref {

/// A dense row-major buffer and its shape; `data.size()` must equal the shape's element count.
template <typename T>
struct View {
  std::span<T> data;
  Dims shape;

  View() = default;
  View(std::span<T> d, Dims s) : data(d), shape(std::move(s)) {}
  /// A read-only view of a writable one.
  template <typename U>
  requires std::is_same_v<T, const U> View(const View<U>& other)
      : data(other.data), shape(other.shape) {}  // NOLINT: implicit on purpose
};

template <typename T>
using In = View<const T>;
template <typename T>
using Out = View<T>;

// ---- convolution (conv.cpp) -----------------------------------------------------------------------
// x (N, C, H, W), w (O, C/groups, kh, kw), bias (O) or empty, y (N, O, OH, OW).

template <typename T>
void conv2d_forward(const attr::Conv& a, In<T> x, In<T> w, std::span<const T> bias, Out<T> y);
/// dx from dy and the weights.
template <typename T>
void conv2d_backward_data(const attr::Conv& a, In<T> dy, In<T> w, Out<T> dx);
/// dw, and dbias when it is not empty (the sum of dy over N, H, W).
template <typename T>
void conv2d_backward_weights(const attr::Conv& a, In<T> x, In<T> dy, Out<T> dw, std::span<T> dbias);

// ---- pooling (pool.cpp) ---------------------------------------------------------------------------

/// Max pooling; padding counts as -inf; ties go to the first maximum in row-major window order.
template <typename T>
void max_pool2d_forward(const attr::Pool& a, In<T> x, Out<T> y);
/// Routes each dy to its window's argmax, found again from x.
template <typename T>
void max_pool2d_backward(const attr::Pool& a, In<T> x, In<T> dy, Out<T> dx);
/// Average pooling with PyTorch's divisor: with count_include_pad, the window clipped to the padded
/// input; without, the window clipped to the input.
template <typename T>
void avg_pool2d_forward(const attr::Pool& a, In<T> x, Out<T> y);
template <typename T>
void avg_pool2d_backward(const attr::Pool& a, In<T> dy, Out<T> dx);

// ---- adaptive and global average pooling (adaptive_pool.cpp) ---------------------------------------

/// Window of output i along an axis: [floor(i*in/out), ceil((i+1)*in/out)).
template <typename T>
void adaptive_avg_pool2d_forward(const attr::AdaptiveAvgPool& a, In<T> x, Out<T> y);
template <typename T>
void adaptive_avg_pool2d_backward(const attr::AdaptiveAvgPool& a, In<T> dy, Out<T> dx);
/// y (N, C, 1, 1).
template <typename T>
void global_avg_pool_forward(In<T> x, Out<T> y);
template <typename T>
void global_avg_pool_backward(In<T> dy, Out<T> dx);

// ---- batch normalisation (batch_norm.cpp) -----------------------------------------------------------
// x (N, C, ...) of rank >= 2; per-channel spans of length C.

/// Training mode: normalises with the batch mean and biased variance, writes the mean and 1/sqrt(var+eps)
/// to `save_mean`/`save_invstd` for the backward pass, and updates the running statistics with
/// `momentum` using the unbiased variance, as PyTorch.
template <typename T>
void batch_norm_forward_training(const attr::BatchNorm& a, In<T> x, std::span<const T> gamma, std::span<const T> beta,
                                 std::span<T> running_mean, std::span<T> running_var, Out<T> y, std::span<T> save_mean,
                                 std::span<T> save_invstd);
/// Inference mode: normalises with the running statistics.
template <typename T>
void batch_norm_forward_inference(const attr::BatchNorm& a, In<T> x, std::span<const T> gamma, std::span<const T> beta,
                                  std::span<const T> running_mean, std::span<const T> running_var, Out<T> y);
/// Backward of training mode (batch statistics): dx, dgamma, dbeta.
template <typename T>
void batch_norm_backward(In<T> x, In<T> dy, std::span<const T> gamma, std::span<const T> save_mean,
                         std::span<const T> save_invstd, Out<T> dx, std::span<T> dgamma, std::span<T> dbeta);

// ---- local response normalisation (lrn.cpp) -----------------------------------------------------------

/// b_c = a_c / (k + alpha/size * sum_{j = c - size/2}^{c + (size-1)/2} a_j^2)^beta, zero outside channels.
template <typename T>
void lrn_forward(const attr::Lrn& a, In<T> x, Out<T> y);
template <typename T>
void lrn_backward(const attr::Lrn& a, In<T> x, In<T> dy, Out<T> dx);

// ---- activations (activation.cpp) ------------------------------------------------------------------
// Elementwise ops take flat spans of one length.

/// Any op of OpFamily::Activation with its attributes, elementwise (formulas by op in activation.cpp).
template <typename T>
void activation_forward(OpKind op, const Attrs& a, std::span<const T> x, std::span<T> y);
/// Its backward from the forward output y: each activation's derivative is a function of y (for ELU,
/// alpha >= 0), as in oneDNN's use_dst algorithms.
template <typename T>
void activation_backward(OpKind op, const Attrs& a, std::span<const T> y, std::span<const T> dy, std::span<T> dx);

template <typename T>
void relu_forward(std::span<const T> x, std::span<T> y);
/// dx = dy where x > 0, else 0.
template <typename T>
void relu_backward(std::span<const T> x, std::span<const T> dy, std::span<T> dx);
template <typename T>
void sigmoid_forward(std::span<const T> x, std::span<T> y);
/// Uses the forward output y: dx = dy * y * (1 - y).
template <typename T>
void sigmoid_backward(std::span<const T> y, std::span<const T> dy, std::span<T> dx);
/// y = x * mask / (1 - p), mask 1 = kept; p = 1 gives zeros.
template <typename T>
void dropout_forward(const attr::Dropout& a, std::span<const T> x, std::span<const uint8_t> mask, std::span<T> y);
template <typename T>
void dropout_backward(const attr::Dropout& a, std::span<const uint8_t> mask, std::span<const T> dy, std::span<T> dx);
/// Softmax along `a.axis` (numerically stable).
template <typename T>
void softmax_forward(const attr::Softmax& a, In<T> x, Out<T> y);
/// Uses the forward output y: dx = y * (dy - sum(dy * y)).
template <typename T>
void softmax_backward(const attr::Softmax& a, In<T> y, In<T> dy, Out<T> dx);

// ---- linear (linear.cpp) ------------------------------------------------------------------------------
// x (N, F), w (O, F), bias (O) or empty, y (N, O).

template <typename T>
void linear_forward(const attr::Linear& a, In<T> x, In<T> w, std::span<const T> bias, Out<T> y);
template <typename T>
void linear_backward_data(In<T> dy, In<T> w, Out<T> dx);
/// dw, and dbias when it is not empty.
template <typename T>
void linear_backward_weights(In<T> x, In<T> dy, Out<T> dw, std::span<T> dbias);

// ---- concat (concat.cpp) ---------------------------------------------------------------------------

template <typename T>
void concat_forward(const attr::Concat& a, std::span<const In<T>> xs, Out<T> y);
/// Splits dy into the inputs' gradients.
template <typename T>
void concat_backward(const attr::Concat& a, In<T> dy, std::span<const Out<T>> dxs);

// ---- add and channel_mul (add.cpp) ----------------------------------------------------------------------

/// y = sum of xs (all of y's length).
template <typename T>
void add_forward(std::span<const std::span<const T>> xs, std::span<T> y);
/// Every dx is a copy of dy.
template <typename T>
void add_backward(std::span<const T> dy, std::span<const std::span<T>> dxs);
/// y = x * s with x (N, C, H, W) and s (N, C, 1, 1).
template <typename T>
void channel_mul_forward(In<T> x, In<T> s, Out<T> y);
/// dx = dy * s; ds = sum over H, W of dy * x.
template <typename T>
void channel_mul_backward(In<T> x, In<T> s, In<T> dy, Out<T> dx, Out<T> ds);

// ---- channel_pad (channel_pad.cpp) ------------------------------------------------------------------

/// Zero channels before and after: y (N, before + C + after, H, W).
template <typename T>
void channel_pad_forward(const attr::ChannelPad& a, In<T> x, Out<T> y);
/// dx is the slice of dy that holds x's channels.
template <typename T>
void channel_pad_backward(const attr::ChannelPad& a, In<T> dy, Out<T> dx);

// ---- channel_affine (channel_affine.cpp) ----------------------------------------------------------------

/// y[n, c] = scale[c] x[n, c] + shift[c] on x (N, C, H, W).
template <typename T>
void channel_affine_forward(const attr::ChannelAffine& a, In<T> x, Out<T> y);
/// dx[n, c] = scale[c] dy[n, c].
template <typename T>
void channel_affine_backward(const attr::ChannelAffine& a, In<T> dy, Out<T> dx);

// Flatten is a reshape of a row-major buffer: its data passes through unchanged, forward and backward.

// ---- general tensor ops of imported graphs (tensor_ops.cpp), forward only -----------------------------

/// Runs any op of OpFamily::TensorOp on its inputs `xs` (checked by its shape rule): the one entry the engines'
/// plain steps and the reference interpreter call.
template <typename T>
void tensor_op_forward(OpKind op, const Attrs& a, std::span<const In<T>> xs, Out<T> y);

enum class BinaryOp : uint8_t { Add, Mul, Sub, Div, Pow, Min, Max };
/// y = a op b, broadcast as numpy does (y has the broadcast shape). Min and Max keep a NaN, as numpy's do.
template <typename T>
void broadcast_binary_forward(BinaryOp op, In<T> a, In<T> b, Out<T> y);
/// y = the sum of every x, each broadcast as numpy does to y's shape (added in order).
template <typename T>
void broadcast_sum_forward(std::span<const In<T>> xs, Out<T> y);
/// y = min(max(x, min), max).
template <typename T>
void clip_forward(const attr::Clip& a, std::span<const T> x, std::span<T> y);
/// numpy's matmul of a (..., M, K) and b (..., K, N), batch dimensions broadcast.
template <typename T>
void matmul_forward(In<T> a, In<T> b, Out<T> y);
/// Output dimension i is input dimension perm[i].
template <typename T>
void transpose_forward(const attr::Transpose& a, In<T> x, Out<T> y);
/// Slices of x along `axis` at the given indices.
template <typename T>
void gather_forward(const attr::Gather& a, In<T> x, Out<T> y);
/// The strided box of x that `a` names.
template <typename T>
void slice_forward(const attr::Slice& a, In<T> x, Out<T> y);
/// x padded as `a` says (pad.cpp): constant, reflect or edge borders; negative amounts crop.
template <typename T>
void pad_forward(const attr::Pad& a, In<T> x, Out<T> y);
/// x resampled to a.sizes (resize.cpp), as ONNX's Resize: nearest, linear or cubic, in double.
template <typename T>
void resize_forward(const attr::Resize& a, In<T> x, Out<T> y);
/// y = f(x) elementwise for the functions of one input (math_ops.cpp): sqrt, exp, erf, tanh, abs, neg,
/// hardsigmoid, hardswish.
template <typename T>
void function_forward(OpKind op, const Attrs& a, std::span<const T> x, std::span<T> y);
/// The mean, sum, maximum or minimum (op: ReduceMean, ...) of x over `a.axes` (reduce.cpp). NaN propagates.
template <typename T>
void reduce_forward(OpKind op, const attr::Reduce& a, In<T> x, Out<T> y);
/// ONNX's LayerNormalization (reduce.cpp): per sample over the dimensions from `a.axis`, (x - mean) /
/// sqrt(variance + epsilon) * scale + bias; an empty `bias` view is no bias.
template <typename T>
void layer_norm_forward(const attr::LayerNorm& a, In<T> x, In<T> scale, In<T> bias, Out<T> y);

// ---- loss (loss.cpp) --------------------------------------------------------------------------------

/// Softmax cross-entropy of logits (N, K) against class labels, mean over the batch; with label
/// smoothing e the target is (1 - e) one-hot + e / K, as PyTorch's CrossEntropyLoss. Returns the loss
/// and writes d(loss)/d(logits) to `dlogits` (skipped when empty). Labels outside [0, K) throw.
template <typename T>
T softmax_cross_entropy(In<T> logits, std::span<const int64_t> labels, double label_smoothing, Out<T> dlogits);

}  // namespace cnnzoo::ref
