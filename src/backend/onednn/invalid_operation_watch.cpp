#include "backend/onednn/invalid_operation_watch.h"

#include <omp.h>

#include <cfenv>

namespace cnnzoo::onednn {

InvalidOperationWatch::InvalidOperationWatch(int threads) : threads_(threads > 0 ? threads : omp_get_max_threads()) {
#pragma omp parallel num_threads(threads_)
  std::feclearexcept(FE_INVALID);
}

bool InvalidOperationWatch::happened() const {
  int raised = 0;
#pragma omp parallel num_threads(threads_) reduction(| : raised)
  raised |= std::fetestexcept(FE_INVALID);
  return raised != 0;
}

}  // namespace cnnzoo::onednn
