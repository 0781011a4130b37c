// json_get: integers out of a file's JSON only when they are integers that fit (fuzz_run_record found
// nlohmann's get<int64_t>() casting 2e75 to int64_t, undefined behaviour).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "io/json_get.h"

namespace cnnzoo {
namespace {

using nlohmann::json;

TEST(JsonGet, TakesIntegersThatFit) {
  EXPECT_EQ(json_get<int64_t>(json::parse("-7")), -7);
  EXPECT_EQ(json_get<int64_t>(json::parse("9223372036854775807")), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(json_get<uint64_t>(json::parse("18446744073709551615")), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(json_get<std::vector<std::vector<int64_t>>>(json::parse("[[1, 2], [], [3]]")),
            (std::vector<std::vector<int64_t>>{{1, 2}, {}, {3}}));
  EXPECT_DOUBLE_EQ(json_get<double>(json::parse("2e75")), 2e75);  // other types as nlohmann reads them
  EXPECT_EQ(json_get<std::vector<float>>(json::parse("[0.5, -3e38, 2]")), (std::vector<float>{0.5f, -3e38f, 2}));
}

TEST(JsonGet, RefusesAFloatBeyondFloatsRange) {
  EXPECT_THROW(json_get<float>(json::parse("1e300")), json::type_error);
  EXPECT_THROW(json_get<std::vector<float>>(json::parse("[0.5, -4e38]")), json::type_error);
}

TEST(JsonGet, RefusesFloatsAndIntegersBeyondTheType) {
  for (const char* text : {"2e75", "-1e300", "1.5", "7.0", "9223372036854775808", "\"3\"", "null"}) {
    EXPECT_THROW(json_get<int64_t>(json::parse(text)), json::type_error) << text;
  }
  EXPECT_THROW(json_get<uint64_t>(json::parse("-1")), json::type_error);
  EXPECT_THROW(json_get<int32_t>(json::parse("2147483648")), json::type_error);
  EXPECT_THROW(json_get<std::vector<int64_t>>(json::parse("[1, 2.5]")), json::type_error);
  EXPECT_THROW(json_get<std::vector<int64_t>>(json::parse("{}")), json::type_error);
  try {
    json_get<int64_t>(json::parse("2e75"));
  } catch (const json::type_error& e) {
    EXPECT_NE(std::string(e.what()).find("expected an integer in [-9223372036854775808, 9223372036854775807], got "
                                         "2e+75"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cnnzoo
