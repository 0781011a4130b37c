// The decoded-size budget flags (cnnzoo/budgets.h): --max-image-pixels, --max-image-mib, --max-gunzip-mib and
// --max-folded-mib, each on the subcommands whose readers it bounds. Their defaults are DecodeBudgets'.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

#include "cnnzoo/budgets.h"

namespace cnnzoo::cli {

struct BudgetFlags {
  /// Which readers a subcommand uses, and so which flags it takes.
  enum Readers : unsigned { kImages = 1, kGzip = 2, kOnnx = 4 };

  int64_t image_pixels = DecodeBudgets{}.image_pixels;
  int64_t image_mib = DecodeBudgets{}.image_bytes / kMiB;
  int64_t gunzip_mib = DecodeBudgets{}.gunzip_bytes / kMiB;
  int64_t folded_mib = DecodeBudgets{}.folded_bytes / kMiB;

  /// Registers the flags of `readers` (a combination of Readers) on `command`, each range-checked.
  void add_to(CLI::App& command, unsigned readers);
  /// The budgets the flags give, in bytes.
  DecodeBudgets resolve() const;
};

}  // namespace cnnzoo::cli
