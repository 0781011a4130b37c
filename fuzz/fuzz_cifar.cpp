// The CIFAR-10 and CIFAR-100 readers (test split) on any files. The input's first byte picks the set (odd:
// CIFAR-100); then, as in fuzz_support.h, the class names file (absent when empty) and the batch file.
#include <cstdlib>

#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cnnzoo;
  if (size < 1) return 0;
  const bool hundred = (data[0] & 1) != 0;
  const std::string folder = hundred ? "cifar100" : "cifar10";
  const std::string names = folder + (hundred ? "/fine_label_names.txt" : "/batches.meta.txt");
  const auto [names_file, batch] = fuzz::split_two_files({data + 1, size - 1});
  if (names_file.empty()) {
    fuzz::remove_scratch(names);
  } else {
    fuzz::write_scratch(names, names_file);
  }
  fuzz::write_scratch(folder + (hundred ? "/test.bin" : "/test_batch.bin"), batch);
  try {
    const auto set = open_dataset(folder + ":" + fuzz::scratch_folder() + "/" + folder, Split::Test);
    if (set->num_classes() != (hundred ? 100 : 10)) std::abort();
    for (int64_t i = 0; i < set->size(); ++i) {
      fuzz::touch_all(std::span<const uint8_t>(set->image(i).pixels));
      if (set->label(i) < 0 || set->label(i) >= set->num_classes()) std::abort();
    }
  } catch (const Error&) {
  }
  return 0;
}
