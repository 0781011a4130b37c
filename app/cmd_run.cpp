// cnnzoo run [MODEL|FILE.onnx] INPUT... : the top classes of images and .npy arrays under a trained
// checkpoint, a zoo model (torchvision weights or its own initialisation) or an ONNX file, and the logits
// as .npy on request. `predict` is the same command with --checkpoint required (cmd_predict.cpp).
#include <memory>

#include "commands.h"
#include "run_command.h"

namespace cnnzoo::cli {

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "The top classes of images (PNG/JPEG) and .npy arrays under a checkpoint (--checkpoint), a zoo model or an "
      "ONNX file; the logits as .npy with --output");
  cmd->add_option("model", args->model,
                  "Model name (see `cnnzoo list`) or FILE.onnx; with --checkpoint it may be omitted (or must be the "
                  "checkpoint's)");
  cmd->add_option(
      "inputs", args->inputs,
      "Images (PNG/JPEG), N x C x H x W .npy arrays (float32; float64, float16 and integers read as float32), or "
      "folders of images (sorted by name)");
  add_run_options(*cmd, *args);
  cmd->footer(
      "Images are prepared as the model's data: a checkpoint's as its data set's evaluation (its channels, size "
      "and normalisation), a zoo model's as torchvision's ImageNet weights (shorter side to 256/224 of the input, "
      "centre crop, ImageNet mean and std). Probabilities are the softmax of the first output, or that output as it is "
      "where it is one already (a model ending in a softmax).\n"
      "Examples:\n"
      "  cnnzoo run --checkpoint runs/r20/best.safetensors shoe.png shirt.jpg photos/\n"
      "  cnnzoo run resnet50 --weights resnet50.safetensors cat.jpg --top 3 --output logits.npy\n"
      "  cnnzoo run model.onnx x.npy --output-dir outputs/");
  cmd->callback([args] { run_inputs(*args); });
}

}  // namespace cnnzoo::cli
