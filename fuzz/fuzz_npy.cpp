// read_npy on any bytes: an F32 tensor whose every element can be read, or an Error naming the file.
#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cnnzoo;
  const std::string path = fuzz::write_scratch("input.npy", {data, size});
  try {
    fuzz::touch_tensor(read_npy(path));
  } catch (const Error&) {
  }
  return 0;
}
