// Checkpoints as safetensors files (format in checkpoint.h).
#include "cnnzoo/checkpoint.h"

#include <fmt/format.h>

#include "cnnzoo/error.h"

namespace cnnzoo {
namespace {

bool is_optimizer_name(std::string_view name) { return name.starts_with(kOptimizerPrefix); }

void require_keys(const std::string& path, const std::map<std::string, std::string>& meta) {
  for (const char* key : {kCheckpointModelKey, kCheckpointEpochKey}) {
    if (!meta.contains(key)) throw Error(fmt::format("{}: checkpoint metadata lacks the key '{}'", path, key));
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  require_keys(path, checkpoint.meta);
  TensorFile file;
  file.tensors.reserve(checkpoint.model.size() + checkpoint.optimizer.size());
  for (const auto& [name, t] : checkpoint.model) {
    if (is_optimizer_name(name)) {
      throw Error(fmt::format("{}: model tensor '{}' uses the optimizer prefix '{}'", path, name, kOptimizerPrefix));
    }
    file.tensors.emplace_back(name, t);
  }
  for (const auto& [name, t] : checkpoint.optimizer) {
    if (!is_optimizer_name(name)) {
      throw Error(fmt::format("{}: optimizer tensor '{}' lacks the prefix '{}'", path, name, kOptimizerPrefix));
    }
    file.tensors.emplace_back(name, t);
  }
  file.metadata = checkpoint.meta;
  for (const auto& [key, value] :
       {std::pair{kCheckpointFormatKey, kCheckpointFormat}, std::pair{kCheckpointVersionKey, kCheckpointVersion}}) {
    file.metadata.insert_or_assign(key, std::string(value));
  }
  write_safetensors(path, file);
}

Checkpoint load_checkpoint(const std::string& path) {
  TensorFile file = read_safetensors(path);
  const auto format = file.metadata.find(kCheckpointFormatKey);
  if (format == file.metadata.end() || format->second != kCheckpointFormat) {
    throw Error(fmt::format("{}: not a cnnzoo checkpoint (metadata key '{}' {})", path, kCheckpointFormatKey,
                            format == file.metadata.end() ? "missing" : "is '" + format->second + "'"));
  }
  const auto version = file.metadata.find(kCheckpointVersionKey);
  if (version == file.metadata.end()) {
    throw Error(fmt::format("{}: checkpoint metadata lacks the key '{}'", path, kCheckpointVersionKey));
  }
  if (version->second != kCheckpointVersion) {
    throw Error(fmt::format("{}: checkpoint format version {} is not supported (this build reads version {})", path,
                            version->second, kCheckpointVersion));
  }
  require_keys(path, file.metadata);
  Checkpoint checkpoint;
  for (auto& [name, t] : file.tensors) {
    (is_optimizer_name(name) ? checkpoint.optimizer : checkpoint.model).emplace(name, std::move(t));
  }
  checkpoint.meta = std::move(file.metadata);
  return checkpoint;
}

Parameters model_tensors(const TensorFile& file) {
  Parameters out;
  for (const auto& [name, t] : file.tensors)
    if (!is_optimizer_name(name)) out.emplace(name, t);
  return out;
}

}  // namespace cnnzoo
