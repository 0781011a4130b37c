// The job's ranks (cnnzoo/distributed.h) on MPI, or a job of one rank without it.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "cnnzoo/checked.h"
#include "cnnzoo/distributed.h"
#include "cnnzoo/error.h"

#ifdef CNNZOO_HAVE_MPI
#include <mpi.h>
#endif

namespace cnnzoo {
namespace {

// The variables a launcher gives the processes it starts: Open MPI's mpirun, and PMI/PMIx (srun --mpi=pmix,
// MPICH's Hydra). A process started by hand has none, and trains alone without touching MPI.
bool started_by_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

}  // namespace

#ifdef CNNZOO_HAVE_MPI

bool mpi_built() { return true; }

struct Communicator::Requests {
  std::vector<MPI_Request> pending;  ///< by ticket; MPI_REQUEST_NULL once done
};

namespace {

// MPI counts are int: a larger span would wrap. Gradients are summed per bucket, far below this.
int mpi_count(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw Error(fmt::format("{}: {} elements exceed MPI's count limit (2^31 - 1)", what, n));
  }
  return static_cast<int>(n);
}

}  // namespace

Communicator::Communicator() : requests_(std::make_unique<Requests>()) {
  if (!started_by_launcher()) return;
  int provided = 0;
  // Funneled: MPI is called from the thread that runs the training step (oneDNN's OpenMP threads never call it).
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  char host[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(host, &length);
  name_ = fmt::format("rank {} of {} on {}", rank_, size_, std::string(host, static_cast<std::size_t>(length)));
}

Communicator::~Communicator() {
  int finalized = 0;
  if (initialised_ && MPI_Finalized(&finalized) == MPI_SUCCESS && finalized == 0) MPI_Finalize();
}

void Communicator::sum(std::span<double> values) const {
  if (size_ == 1) return;
  MPI_Allreduce(MPI_IN_PLACE, values.data(), mpi_count(values.size(), "sum"), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void Communicator::sum(std::span<int64_t> values) const {
  if (size_ == 1) return;
  MPI_Allreduce(MPI_IN_PLACE, values.data(), mpi_count(values.size(), "sum"), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
}

std::vector<float> Communicator::gather(std::span<const float> mine) const {
  std::vector<float> all(
      static_cast<std::size_t>(checked_mul(static_cast<int64_t>(mine.size()), size_, "gathered values")));
  if (size_ == 1) {
    std::copy(mine.begin(), mine.end(), all.begin());
    return all;
  }
  const int count = mpi_count(mine.size(), "gather");
  MPI_Allgather(mine.data(), count, MPI_FLOAT, all.data(), count, MPI_FLOAT, MPI_COMM_WORLD);
  return all;
}

void Communicator::broadcast(std::span<std::byte> bytes, int root) const {
  if (size_ == 1) return;
  // In pieces of at most 1 GiB: MPI's count is an int.
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  for (std::size_t at = 0; at < bytes.size(); at += kPiece) {
    const std::size_t n = std::min(kPiece, bytes.size() - at);
    MPI_Bcast(bytes.data() + at, static_cast<int>(n), MPI_BYTE, root, MPI_COMM_WORLD);
  }
}

Communicator::Ticket Communicator::start_sum(std::span<float> values) {
  MPI_Request request = MPI_REQUEST_NULL;
  if (size_ > 1) {
    MPI_Iallreduce(MPI_IN_PLACE, values.data(), mpi_count(values.size(), "sum"), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                   &request);
  }
  requests_->pending.push_back(request);
  return static_cast<Ticket>(requests_->pending.size() - 1);
}

Communicator::Ticket Communicator::start_sum(std::span<double> values) {
  MPI_Request request = MPI_REQUEST_NULL;
  if (size_ > 1) {
    MPI_Iallreduce(MPI_IN_PLACE, values.data(), mpi_count(values.size(), "sum"), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD,
                   &request);
  }
  requests_->pending.push_back(request);
  return static_cast<Ticket>(requests_->pending.size() - 1);
}

bool Communicator::poll(Ticket ticket) {
  MPI_Request& request = requests_->pending.at(static_cast<std::size_t>(ticket));
  if (request == MPI_REQUEST_NULL) return true;
  int done = 0;
  MPI_Test(&request, &done, MPI_STATUS_IGNORE);  // sets the request to MPI_REQUEST_NULL when done
  return done != 0;
}

void Communicator::wait(Ticket ticket) {
  MPI_Wait(&requests_->pending.at(static_cast<std::size_t>(ticket)), MPI_STATUS_IGNORE);
}

void Communicator::clear_tickets() {
  for (const MPI_Request& r : requests_->pending) {
    if (r != MPI_REQUEST_NULL) throw Error("Communicator::clear_tickets: a sum is still under way");
  }
  requests_->pending.clear();
}

void Communicator::abort_job(int exit_code) const {
  if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
}

#else  // a build without MPI: a job of one rank

bool mpi_built() { return false; }

struct Communicator::Requests {
  std::size_t count = 0;
};

Communicator::Communicator() : requests_(std::make_unique<Requests>()) {
  if (started_by_launcher()) {
    throw Error(
        "this cnnzoo was built without MPI (CMake option CNNZOO_MPI=OFF), yet a launcher (mpirun, srun) started it: "
        "every process would train alone. Rebuild with -DCNNZOO_MPI=ON, or run it without the launcher");
  }
}

Communicator::~Communicator() = default;
void Communicator::sum(std::span<double>) const {}
void Communicator::sum(std::span<int64_t>) const {}
std::vector<float> Communicator::gather(std::span<const float> mine) const { return {mine.begin(), mine.end()}; }
void Communicator::broadcast(std::span<std::byte>, int) const {}
Communicator::Ticket Communicator::start_sum(std::span<float>) { return static_cast<Ticket>(requests_->count++); }
Communicator::Ticket Communicator::start_sum(std::span<double>) { return static_cast<Ticket>(requests_->count++); }
bool Communicator::poll(Ticket) { return true; }
void Communicator::wait(Ticket) {}
void Communicator::clear_tickets() { requests_->count = 0; }
void Communicator::abort_job(int) const {}

#endif

Communicator& Communicator::world() {
  static Communicator job;
  return job;
}

}  // namespace cnnzoo
