// read_safetensors and read_safetensors_metadata on any bytes: tensors whose every element can be read and
// the same metadata from both, or an Error naming the file from both.
#include <cstdlib>

#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cnnzoo;
  const std::string path = fuzz::write_scratch("input.safetensors", {data, size});
  bool read = false;
  try {
    const TensorFile file = read_safetensors(path);
    for (const auto& [name, tensor] : file.tensors) fuzz::touch_tensor(tensor);
    // The header-only reader applies the same checks: it accepts what the whole reader accepts.
    if (read_safetensors_metadata(path) != file.metadata) std::abort();
    read = true;
  } catch (const Error&) {
  }
  if (!read) {
    try {
      read_safetensors_metadata(path);
    } catch (const Error&) {
    }
  }
  return 0;
}
