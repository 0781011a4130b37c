// The processes of a data-parallel job (docs/distributed.md) and the collective operations its training
// needs, on MPI: `mpirun -np N cnnzoo train ...` (or srun under Slurm) starts N processes, each a rank.
//
// A process that no launcher started is a job of one rank, and MPI is never initialised: plain `cnnzoo
// train` runs as it did before MPI, and a build without MPI (CMake option CNNZOO_MPI=OFF) has only that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cnnzoo {

/// Whether this build has MPI (CMake option CNNZOO_MPI).
bool mpi_built();

/// The job's ranks. Every call on it is collective: every rank makes the same calls in the same order.
class Communicator {
 public:
  /// The job this process belongs to. Under mpirun or srun (their environment says so) MPI is initialised
  /// on the first call and finalised at exit; otherwise a job of one rank. A build without MPI started by a
  /// launcher is an Error (the N processes would each train alone).
  static Communicator& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool distributed() const { return size_ > 1; }
  /// The one rank that writes files and prints progress.
  bool is_root() const { return rank_ == 0; }
  /// "rank 1 of 4 on host-b": for messages.
  const std::string& name() const { return name_; }

  /// In place: each element becomes its sum over the ranks.
  void sum(std::span<double> values) const;
  void sum(std::span<int64_t> values) const;
  /// Every rank's `mine` (the same length on each), concatenated in rank order, on every rank.
  std::vector<float> gather(std::span<const float> mine) const;
  /// Rank `root`'s bytes, on every rank.
  void broadcast(std::span<std::byte> bytes, int root = 0) const;

  /// A sum in place that runs while the caller computes (MPI_Iallreduce): start it, then poll it now and
  /// then (MPI progresses a transfer only inside its own calls), and wait for it before reading `values`,
  /// which must stay put until then.
  using Ticket = int;
  Ticket start_sum(std::span<float> values);
  Ticket start_sum(std::span<double> values);
  /// Whether the sum is done (it may progress it); a done ticket stays done.
  bool poll(Ticket ticket);
  void wait(Ticket ticket);
  /// Forgets every done ticket (their numbers may be given again); all must be done.
  void clear_tickets();

  /// Ends every rank of the job at once with `exit_code` (MPI_Abort); returns only in a job of one rank.
  void abort_job(int exit_code) const;

  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  ~Communicator();

 private:
  Communicator();
  int rank_ = 0, size_ = 1;
  [[maybe_unused]] bool initialised_ = false;  // unread in a build without MPI
  std::string name_ = "rank 0 of 1";
  struct Requests;  ///< MPI_Request by ticket
  std::unique_ptr<Requests> requests_;
};

}  // namespace cnnzoo
