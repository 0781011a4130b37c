// "Did you mean ...?": the known names nearest to a mistyped one, for the messages of unknown models and
// subcommands.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cnnzoo {

/// The edit distance between `a` and `b`: insertions, deletions and substitutions of one character, and swaps
/// of two neighbours ("vgg61" is one edit from "vgg16"), as typing mistakes are.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The names of `known` closest to `typed` by edit_distance, best first and at most `max`, among those close
/// enough to be a typo: within a third of the longer name's length (at least 1, at most 3 edits), or
/// starting with what was typed. Empty when nothing is that close.
std::vector<std::string> nearest_names(std::string_view typed, const std::vector<std::string>& known,
                                       std::size_t max = 3);

/// " did you mean 'a' or 'b'?" for nearest_names' result, "" when it is empty.
std::string did_you_mean(const std::vector<std::string>& names);

}  // namespace cnnzoo
