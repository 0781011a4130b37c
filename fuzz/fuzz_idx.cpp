// The IDX reader (MNIST's test split) on any pair of files: the input's first part is the labels file, the
// rest the images file (fuzz_support.h). A data set whose images and labels can all be read, or an Error.
#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cnnzoo;
  const auto [labels, images] = fuzz::split_two_files({data, size});
  fuzz::write_scratch("mnist/t10k-labels-idx1-ubyte", labels);
  fuzz::write_scratch("mnist/t10k-images-idx3-ubyte", images);
  try {
    const auto set = open_dataset("mnist:" + fuzz::scratch_folder() + "/mnist", Split::Test);
    for (int64_t i = 0; i < set->size(); ++i) {
      fuzz::touch_all(std::span<const uint8_t>(set->image(i).pixels));
      if (set->label(i) < 0 || set->label(i) >= set->num_classes()) std::abort();
    }
  } catch (const Error&) {
  }
  return 0;
}
