// allreduce_bandwidth: MPI_Allreduce (float sum) between the ranks of a job, from 4 bytes to 64 MiB: time
// per call, algorithm bandwidth (bytes / time) and bus bandwidth (algbw x 2(N-1)/N, as NCCL's tests define
// it for all-reduce: what each link carries in a ring), and the fit of the cost model of docs/distributed.md,
// t = alpha + 2(N-1)/N x bytes / beta: alpha is the time of the smallest message, beta from the least-squares
// slope of time against bytes over the messages of 1 MiB and more (where latency no longer counts).
//
// Usage: mpirun -np N allreduce_bandwidth [--max-bytes N] [--seconds-per-size S] [--json FILE]
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Options {
  long long max_bytes = 64LL << 20;
  double seconds_per_size = 0.5;
  std::string json;
};

struct Row {
  long long bytes;
  double seconds;  // median of the repetitions
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "allreduce_bandwidth: %s (see --help)\n", message.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf(
          "allreduce_bandwidth: MPI_Allreduce latency and bandwidth between the ranks of a job\n"
          "usage: mpirun -np N allreduce_bandwidth [--max-bytes N] [--seconds-per-size S] [--json FILE]\n");
      std::exit(0);
    }
    if (i + 1 >= argc) usage_error(flag + " needs a value");
    const std::string value = argv[++i];
    char* end = nullptr;
    if (flag == "--max-bytes") {
      o.max_bytes = std::strtoll(value.c_str(), &end, 10);
      if (*end != '\0' || o.max_bytes < 4 || o.max_bytes > (1LL << 30)) usage_error("--max-bytes: 4 to 2^30");
    } else if (flag == "--seconds-per-size") {
      o.seconds_per_size = std::strtod(value.c_str(), &end);
      if (*end != '\0' || !(o.seconds_per_size > 0 && o.seconds_per_size <= 60)) {
        usage_error("--seconds-per-size: above 0, at most 60");
      }
    } else if (flag == "--json") {
      o.json = value;
    } else {
      usage_error("unknown option '" + flag + "'");
    }
  }
  return o;
}

// The median time of one all-reduce of `count` floats, repeated for about `budget` seconds.
double time_allreduce(std::vector<float>& data, int count, double budget) {
  for (int warm = 0; warm < 3; ++warm) {
    MPI_Allreduce(MPI_IN_PLACE, data.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }
  std::vector<double> times;
  const double start = MPI_Wtime();
  for (;;) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, data.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    times.push_back(MPI_Wtime() - t0);
    // Every rank must take the same decision to go on: rank 0's clock decides.
    int more = (MPI_Wtime() - start < budget && times.size() < 10000) || times.size() < 5 ? 1 : 0;
    MPI_Bcast(&more, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (more == 0) break;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void write_json(const std::string& path, const std::vector<Row>& rows, int ranks, double alpha, double beta) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << "{\"ranks\": " << ranks << ", \"alpha_us\": " << alpha * 1e6 << ", \"beta_gbytes_per_s\": " << beta / 1e9
        << ", \"sizes\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      out << (i ? ", " : "") << "{\"bytes\": " << rows[i].bytes << ", \"microseconds\": " << rows[i].seconds * 1e6
          << "}";
    }
    out << "]}\n";
    if (!out) {
      std::fprintf(stderr, "allreduce_bandwidth: cannot write %s\n", temporary.c_str());
      std::exit(1);
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "allreduce_bandwidth: cannot rename %s to %s\n", temporary.c_str(), path.c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const Options options = parse(argc, argv);
  const double ring = 2.0 * (ranks - 1) / ranks;
  std::vector<Row> rows;
  std::vector<float> data(static_cast<std::size_t>(options.max_bytes / 4), 1.0f);
  if (rank == 0) {
    std::printf("%d ranks; median of repeated MPI_Allreduce (float sum)\n", ranks);
    std::printf("%12s %12s %14s %14s\n", "bytes", "time (us)", "algbw (GB/s)", "busbw (GB/s)");
  }
  for (long long bytes = 4; bytes <= options.max_bytes; bytes *= 4) {
    const double seconds = time_allreduce(data, static_cast<int>(bytes / 4), options.seconds_per_size);
    rows.push_back({bytes, seconds});
    if (rank == 0) {
      const double algbw = static_cast<double>(bytes) / seconds / 1e9;
      std::printf("%12lld %12.1f %14.3f %14.3f\n", bytes, seconds * 1e6, algbw, algbw * ring);
    }
  }
  // alpha: the smallest message; beta: the least-squares slope over the large ones, per link.
  const double alpha = rows.front().seconds;
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const Row& r : rows) {
    if (r.bytes < (1LL << 20)) continue;
    const auto x = static_cast<double>(r.bytes);
    n += 1, sx += x, sy += r.seconds, sxx += x * x, sxy += x * r.seconds;
  }
  const double slope = n >= 2 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0;
  const double beta = slope > 0 ? ring / slope : 0;
  if (rank == 0) {
    std::printf("fit t = alpha + 2(N-1)/N x bytes / beta: alpha %.1f us, beta %.3f GB/s\n", alpha * 1e6, beta / 1e9);
    if (!options.json.empty()) write_json(options.json, rows, ranks, alpha, beta);
  }
  MPI_Finalize();
  return 0;
}
