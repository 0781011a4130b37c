// The report of a training folder on any metrics.csv and evaluation.json (the two files of one input,
// fuzz_support.h's TwoFiles): a page, or an Error naming the file at fault.
#include "cnnzoo/error.h"
#include "cnnzoo/html_report.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cnnzoo;
  const fuzz::TwoFiles files = fuzz::split_two_files({data, size});
  fuzz::write_scratch("metrics.csv", files.first);
  fuzz::write_scratch("evaluation.json", files.second);
  try {
    training_report_html(fuzz::scratch_folder());
  } catch (const Error&) {
  }
  return 0;
}
