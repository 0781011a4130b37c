// SIGINT, SIGTERM and SIGUSR1 as a request to stop long work cleanly (cnnzoo train): the first signal sets a
// flag the work polls, and the handler steps aside, so that a second signal ends the process at once, as a
// user pressing Ctrl-C twice expects. SIGUSR1 is the one mpirun passes on to every rank of a data-parallel
// job (it ends the job on SIGINT and SIGTERM at once): `kill -USR1 <mpirun's pid>` pauses the job.
#pragma once

namespace cnnzoo::cli {

class StopSignals {
 public:
  /// Installs the handlers; the destructor restores the ones before.
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// The signal received (SIGINT, SIGTERM or SIGUSR1), or 0.
  int received() const;
  /// "SIGINT", "SIGTERM" or "SIGUSR1".
  const char* received_name() const;
  /// Once the work has stopped: flushes stdout and stderr and ends the process as the signal would have,
  /// so that a shell or a supervisor sees it (exit status 130 or 143); after SIGUSR1, a pause asked for,
  /// with status 0 (mpirun would report a rank ended by a signal as a failure).
  [[noreturn]] void end_process() const;
};

}  // namespace cnnzoo::cli
