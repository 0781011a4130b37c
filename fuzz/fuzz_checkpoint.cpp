// A checkpoint's metadata as `train --resume` reads it (the resume point) and as `eval`/`predict` read it
// (the model it describes, built and checked against the weights): on any file, either works or is an Error
// naming the file.
#include "cnnzoo/checkpoint.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "fit/run_record.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cnnzoo;
  const std::string path = fuzz::write_scratch("checkpoint.safetensors", {data, size});
  try {
    const Checkpoint checkpoint = load_checkpoint(path);
    fit_detail::resume_point_from_meta(checkpoint.meta, path);
  } catch (const Error&) {
  }
  try {
    load_trained_model(path);
  } catch (const Error&) {
  }
  return 0;
}
