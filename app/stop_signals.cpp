#include "stop_signals.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace cnnzoo::cli {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGUSR1};
constexpr int kCount = 3;

volatile sig_atomic_t g_received = 0;
struct sigaction g_previous[kCount];

void on_signal(int signal) { g_received = signal; }

}  // namespace

StopSignals::StopSignals() {
  g_received = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the next signal finds the default action again and ends the process.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  for (int i = 0; i < kCount; ++i) sigaction(kSignals[i], &action, &g_previous[i]);
}

StopSignals::~StopSignals() {
  for (int i = 0; i < kCount; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
}

int StopSignals::received() const { return g_received; }

const char* StopSignals::received_name() const {
  if (g_received == SIGUSR1) return "SIGUSR1";
  return g_received == SIGINT ? "SIGINT" : "SIGTERM";
}

void StopSignals::end_process() const {
  const int signal = g_received;
  std::fflush(stdout);
  std::fflush(stderr);
  if (signal == SIGUSR1) std::exit(0);  // normally: MPI is finalised on the way out
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(signal, &fallback, nullptr);
  ::raise(signal);
  ::_exit(128 + signal);  // only if the signal is blocked
}

}  // namespace cnnzoo::cli
