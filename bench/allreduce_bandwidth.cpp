// allreduce_bandwidth: MPI_Allreduce (float sum) between the ranks of a job, message sizes from 4 bytes to
// 64 MiB in powers of 4: the time of one call, the algorithm bandwidth (bytes / time) and the bus bandwidth
// (algbw x 2(N-1)/N, as NCCL's tests define it for all-reduce: what each rank sends and receives in a ring),
// then the fit of the cost model t = alpha + 2(N-1)/N x bytes / beta (see fit below).
//
// Timing: per size, a few calls to warm up (connections, buffers, caches), then repetitions, each after a
// barrier and timed with MPI_Wtime; a repetition's time is the slowest rank's; the table shows the median
// (and the minimum) over the repetitions. The number of repetitions is fixed from the warm-up so that a size
// takes about --seconds-per-size (at least 3 repetitions, at most 10,000).
//
// Usage: mpirun -np N allreduce_bandwidth [--max-bytes N] [--seconds-per-size S] [--json FILE]
// Exit status: 0; 1 when a sum is wrong or the JSON cannot be written; 2 for a bad option.

// The C API only: Open MPI's and MPICH's mpi.h otherwise pull in the deprecated C++ bindings, which do not
// compile cleanly under -Wextra -Werror.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cnnzoo/error.h"
#include "io/atomic_file.h"
#include "timing.h"

namespace {

constexpr long long kMaxBytesLimit = 1LL << 30;

struct Options {
  long long max_bytes = 64LL << 20;
  double seconds_per_size = 0.5;
  std::string json;
  bool help = false;
  std::string error;  // not empty: a bad option, said in one line
};

struct Row {
  long long bytes = 0;
  double median = 0;  // seconds per all-reduce
  double min = 0;
  int repetitions = 0;
};

struct Fit {
  double alpha = 0;  // seconds
  double beta = 0;   // bytes per second, per link (bus bandwidth)
};

constexpr const char* kUsage =
    "usage: mpirun -np N allreduce_bandwidth [--max-bytes N] [--seconds-per-size S] [--json FILE]\n"
    "  MPI_Allreduce (float sum) latency and bandwidth between the ranks, from 4 bytes to --max-bytes\n"
    "  --max-bytes N          the largest message, 4 to 2^30 bytes (default 67108864: 64 MiB)\n"
    "  --seconds-per-size S   the time spent on each size, above 0, at most 60 (default 0.5)\n"
    "  --json FILE            also write the results as JSON to FILE (atomically: a temporary file, then renamed)\n";

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc && o.error.empty() && !o.help; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      o.help = true;
      break;
    }
    if (flag != "--max-bytes" && flag != "--seconds-per-size" && flag != "--json") {
      o.error = "unknown option '" + flag + "'";
      break;
    }
    if (i + 1 >= argc) {
      o.error = flag + " needs a value";
      break;
    }
    const std::string value = argv[++i];
    char* end = nullptr;
    if (flag == "--max-bytes") {
      o.max_bytes = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || o.max_bytes < 4 || o.max_bytes > kMaxBytesLimit) {
        o.error = "--max-bytes: '" + value + "' is not a whole number from 4 to 1073741824";
      }
    } else if (flag == "--seconds-per-size") {
      o.seconds_per_size = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(o.seconds_per_size > 0 && o.seconds_per_size <= 60)) {
        o.error = "--seconds-per-size: '" + value + "' is not a number above 0 and at most 60";
      }
    } else {
      o.json = value;
      if (value.empty()) o.error = "--json needs a file name";
    }
  }
  return o;
}

// 4, 16, 64, ... bytes up to max_bytes, and max_bytes itself (a whole number of floats) when not a power of 4.
std::vector<long long> sizes(long long max_bytes) {
  std::vector<long long> out;
  for (long long bytes = 4; bytes <= max_bytes; bytes *= 4) out.push_back(bytes);
  const long long last = max_bytes / 4 * 4;
  if (out.back() != last) out.push_back(last);
  return out;
}

// The slowest rank's time of one all-reduce of `count` floats, per repetition, over about `budget` seconds.
Row time_allreduce(const std::vector<float>& send, std::vector<float>& receive, int count, double budget) {
  const auto allreduce = [&] { MPI_Allreduce(send.data(), receive.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); };
  // Warm-up: 2 calls, then 3 more timed with their barriers to size the repetitions. Every rank must run
  // as many: the slowest rank's estimate decides.
  allreduce();
  allreduce();
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  for (int i = 0; i < 3; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    allreduce();
  }
  double estimate = (MPI_Wtime() - start) / 3;
  MPI_Allreduce(MPI_IN_PLACE, &estimate, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  const int repetitions = static_cast<int>(std::clamp(budget / std::max(estimate, 1e-9), 3.0, 10000.0));

  std::vector<double> times(static_cast<std::size_t>(repetitions));
  for (double& t : times) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    allreduce();
    t = MPI_Wtime() - t0;
  }
  MPI_Allreduce(MPI_IN_PLACE, times.data(), repetitions, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return {0, cnnzoo::cli::median(times), *std::min_element(times.begin(), times.end()), repetitions};
}

// The model's fit: alpha is the smallest message's time (where bandwidth does not count); beta is the median,
// over the sizes of 1 MiB and more (the largest size alone when --max-bytes is smaller), of each size's
// 2(N-1)/N x bytes / (t - alpha): the bus bandwidth where latency no longer counts, which a data-parallel
// job's gradient buckets see. The median, not a least-squares slope: a single size that falls out of cache
// (or meets a busy core) would otherwise set beta alone, as the largest size does in a fit in seconds.
constexpr long long kLargeBytes = 1LL << 20;

Fit fit(const std::vector<Row>& rows, double ring) {
  Fit f{rows.front().median, 0};
  const long long large = std::min(kLargeBytes, rows.back().bytes);
  std::vector<double> per_byte;  // seconds per byte on a link, each large size
  for (const Row& r : rows) {
    if (r.bytes >= large && r.bytes > rows.front().bytes && ring > 0) {
      per_byte.push_back((r.median - f.alpha) / (ring * static_cast<double>(r.bytes)));
    }
  }
  if (per_byte.empty()) return f;
  const double median = cnnzoo::cli::median(per_byte);
  f.beta = median > 0 ? 1 / median : 0;
  return f;
}

// The results as JSON, written atomically; throws cnnzoo::Error naming the file when it cannot be written.
void write_json(const std::string& path, const std::vector<Row>& rows, int ranks, const std::vector<std::string>& hosts,
                double seconds_per_size, const Fit& model) {
  const double ring = 2.0 * (ranks - 1) / ranks;
  nlohmann::ordered_json out = {
      {"ranks", ranks},
      {"hosts", hosts},
      {"seconds_per_size", seconds_per_size},
      {"model", "t = alpha + 2(N-1)/N * bytes / beta"},
      {"alpha_us", model.alpha * 1e6},
      {"beta_gbytes_per_s", model.beta / 1e9},
      {"fit", "alpha: the smallest size; beta: the median over the sizes of 1 MiB and more"},
      {"sizes", nlohmann::ordered_json::array()},
  };
  for (const Row& r : rows) {
    const double algbw = static_cast<double>(r.bytes) / r.median / 1e9;
    out["sizes"].push_back({{"bytes", r.bytes},
                            {"microseconds", r.median * 1e6},
                            {"min_microseconds", r.min * 1e6},
                            {"repetitions", r.repetitions},
                            {"algbw_gbytes_per_s", algbw},
                            {"busbw_gbytes_per_s", algbw * ring}});
  }
  const std::string text = out.dump(2) + "\n";
  cnnzoo::io::write_file_atomically(path,
                                    [&](std::FILE* f) { cnnzoo::io::write_bytes(f, text.data(), text.size(), path); });
}

// Every rank's processor (host) name, on rank 0.
std::vector<std::string> host_names(int rank, int ranks) {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  std::vector<char> all(rank == 0 ? static_cast<std::size_t>(ranks) * MPI_MAX_PROCESSOR_NAME : 1);
  MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, MPI_COMM_WORLD);
  std::vector<std::string> out;
  for (int i = 0; rank == 0 && i < ranks; ++i) {
    out.emplace_back(&all[static_cast<std::size_t>(i) * MPI_MAX_PROCESSOR_NAME]);
  }
  return out;
}

int run(const Options& options, int rank, int ranks) {
  const double ring = 2.0 * (ranks - 1) / ranks;
  const std::vector<std::string> hosts = host_names(rank, ranks);
  std::vector<float> send(static_cast<std::size_t>(options.max_bytes / 4), 1.0f);
  std::vector<float> receive(send.size());
  if (rank == 0) {
    std::printf("MPI_Allreduce (float sum) on %d rank%s:", ranks, ranks == 1 ? "" : "s");
    for (const std::string& h : hosts) std::printf(" %s", h.c_str());
    std::printf("\n%12s %12s %12s %8s %14s %14s\n", "bytes", "median (us)", "min (us)", "reps", "algbw (GB/s)",
                "busbw (GB/s)");
    std::fflush(stdout);
  }
  std::vector<Row> rows;
  int wrong = 0;
  for (const long long bytes : sizes(options.max_bytes)) {
    const int count = static_cast<int>(bytes / 4);
    std::fill(receive.begin(), receive.begin() + count, 0.0f);
    Row row = time_allreduce(send, receive, count, options.seconds_per_size);
    row.bytes = bytes;
    rows.push_back(row);
    if (receive[0] != static_cast<float>(ranks) || receive[static_cast<std::size_t>(count) - 1] != receive[0]) {
      wrong = 1;
    }
    if (rank == 0) {
      const double algbw = static_cast<double>(bytes) / row.median / 1e9;
      std::printf("%12lld %12.2f %12.2f %8d %14.3f %14.3f\n", bytes, row.median * 1e6, row.min * 1e6, row.repetitions,
                  algbw, algbw * ring);
      std::fflush(stdout);
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (wrong != 0) {
    if (rank == 0) std::fprintf(stderr, "allreduce_bandwidth: an all-reduce gave a wrong sum\n");
    return 1;
  }
  const Fit model = fit(rows, ring);
  if (rank != 0) return 0;
  std::printf(
      "model t = alpha + 2(N-1)/N x bytes / beta: alpha %.2f us (the smallest size), beta %.3f GB/s (from %s)\n",
      model.alpha * 1e6, model.beta / 1e9, rows.back().bytes >= kLargeBytes ? "1 MiB up" : "the largest size");
  if (options.json.empty()) return 0;
  try {
    write_json(options.json, rows, ranks, hosts, options.seconds_per_size, model);
  } catch (const cnnzoo::Error& e) {
    std::fprintf(stderr, "allreduce_bandwidth: --json: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const Options options = parse(argc, argv);  // every rank has the same arguments: all take the same way
  int status = 0;
  if (options.help) {
    if (rank == 0) std::fputs(kUsage, stdout);
  } else if (!options.error.empty()) {
    if (rank == 0) std::fprintf(stderr, "allreduce_bandwidth: %s (see --help)\n", options.error.c_str());
    status = 2;
  } else {
    status = run(options, rank, ranks);
  }
  MPI_Finalize();
  return status;
}
