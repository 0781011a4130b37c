// The ONNX importer on any bytes, then the analysis `summary` prints: a model, or an Error naming the file
// and the node. The content sniffing of `run` (is_onnx_file, onnx_input_names) reads the same bytes.
#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/onnx.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cnnzoo;
  const std::string path = fuzz::write_scratch("model.onnx", {data, size});
  try {
    if (is_onnx_file(path)) onnx_input_names(path);
  } catch (const Error&) {
  }
  try {
    const OnnxModel model = import_onnx_bytes(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    for (const auto& [name, tensor] : model.parameters) fuzz::touch_tensor(tensor);
    for (const auto& [name, tensor] : model.constant_outputs) fuzz::touch_tensor(tensor);
    analyze(model.graph);
  } catch (const Error&) {
  }
  return 0;
}
