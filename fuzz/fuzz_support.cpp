#include "fuzz_support.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace cnnzoo::fuzz {
namespace {

namespace fs = std::filesystem;

// Made once per process; its destructor removes the folder when libFuzzer exits normally.
struct ScratchFolder {
  fs::path path;
  ScratchFolder() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = (fs::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") / "cnnzoo-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a scratch folder in " + pattern);
    path = pattern;
  }
  ~ScratchFolder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

const fs::path& folder() {
  static const ScratchFolder scratch;
  return scratch.path;
}

}  // namespace

std::string write_scratch(const std::string& name, Bytes bytes) {
  const fs::path path = folder() / name;
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write the scratch file " + path.string());
  return path.string();
}

void remove_scratch(const std::string& name) {
  std::error_code ec;
  fs::remove(folder() / name, ec);
}

void silence_closed_outputs() {
  static const bool done = [] {
    const int null = open("/dev/null", O_WRONLY);
    for (const int fd : {STDOUT_FILENO, STDERR_FILENO}) {
      if (fcntl(fd, F_GETFD) == -1) dup2(null, fd);
    }
    if (null > STDERR_FILENO) close(null);
    return true;
  }();
  (void)done;
}

std::string scratch_folder() { return folder().string(); }

TwoFiles split_two_files(Bytes input) {
  if (input.size() < 2) return {{}, input};
  const size_t wanted = input[0] | (size_t{input[1]} << 8);
  const Bytes rest = input.subspan(2);
  const size_t length = std::min(wanted, rest.size());
  return {rest.first(length), rest.subspan(length)};
}

void touch_tensor(const Tensor& tensor) {
  if (tensor.empty()) return;
  if (tensor.dtype() == DType::F32) {
    touch_all(tensor.f32());
  } else if (tensor.dtype() == DType::I64) {
    touch_all(tensor.i64());
  }
}

}  // namespace cnnzoo::fuzz
