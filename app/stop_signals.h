// SIGINT and SIGTERM as a request to stop long work cleanly (cnnzoo train): the first signal sets a flag
// the work polls, and the handler steps aside, so that a second signal ends the process at once, as a
// user pressing Ctrl-C twice expects.
#pragma once

namespace cnnzoo::cli {

class StopSignals {
 public:
  /// Installs the handlers; the destructor restores the ones before.
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// The signal received (SIGINT or SIGTERM), or 0.
  int received() const;
  /// "SIGINT" or "SIGTERM".
  const char* received_name() const;
  /// Once the work has stopped: flushes stdout and stderr and ends the process as the signal would have,
  /// so that a shell or a supervisor sees it (exit status 130 or 143).
  [[noreturn]] void end_process() const;
};

}  // namespace cnnzoo::cli
