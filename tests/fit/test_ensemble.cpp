// ensemble_evaluation (cnnzoo/ensemble.h): the members' probabilities averaged, then scored; members that saw
// other images are refused naming them.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cnnzoo/ensemble.h"
#include "cnnzoo/error.h"

namespace cnnzoo {
namespace {

Evaluation member(std::vector<float> probabilities, std::vector<int64_t> labels) {
  const auto rows = static_cast<int64_t>(labels.size());
  return score(Tensor({rows, 3}, probabilities), labels, 3);
}

TEST(EnsembleEvaluation, AveragesTheMembersProbabilitiesBeforeTheArgmax) {
  // Image 0 (class 0): A says 0 (0.6), B wavers towards 1 (0.4) -> mean (0.45, 0.40, 0.15): right.
  // Image 1 (class 2): A wavers towards 1 (0.55), B says 2 (0.8) -> mean (0.05, 0.325, 0.625): right.
  // Each member is right once, their average twice: the surer member wins each image.
  const std::vector<int64_t> labels = {0, 2};
  const std::vector<Evaluation> members = {member({0.6f, 0.4f, 0.0f, 0.0f, 0.55f, 0.45f}, labels),
                                           member({0.3f, 0.4f, 0.3f, 0.1f, 0.1f, 0.8f}, labels)};
  const std::vector<std::string> names = {"a", "b"};
  EXPECT_DOUBLE_EQ(members[0].top1, 0.5);
  EXPECT_DOUBLE_EQ(members[1].top1, 0.5);
  const Evaluation e = ensemble_evaluation(members, names);
  EXPECT_DOUBLE_EQ(e.top1, 1.0);
  EXPECT_EQ(e.confusion[0][0], 1);
  EXPECT_EQ(e.confusion[2][2], 1);
  EXPECT_NEAR(e.probabilities.f32()[0], 0.45f, 1e-6);
  EXPECT_NEAR(e.probabilities.f32()[4], 0.325f, 1e-6);
  EXPECT_NEAR(e.loss, -(std::log(0.45) + std::log(0.625)) / 2, 1e-6);
  // One member: itself.
  EXPECT_DOUBLE_EQ(ensemble_evaluation(std::span(members).first(1), std::span(names).first(1)).top1, 0.5);
}

TEST(EnsembleEvaluation, MembersOfOtherImagesAreRefusedByName) {
  const std::vector<std::string> names = {"first.safetensors", "second.safetensors"};
  const Evaluation first = member({1, 0, 0, 0, 1, 0}, {0, 1});
  const auto message = [&](const Evaluation& second) {
    try {
      ensemble_evaluation(std::vector<Evaluation>{first, second}, names);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(member({1, 0, 0}, {0})),
            "second.safetensors gives 1x3 probabilities, first.safetensors gives 2x3 (members must share their data)");
  EXPECT_EQ(message(member({1, 0, 0, 0, 1, 0}, {0, 2})),
            "second.safetensors was evaluated on images of other labels than first.safetensors (members must share "
            "their data)");
  EXPECT_THROW(ensemble_evaluation({}, {}), InvalidArgument);
}

}  // namespace
}  // namespace cnnzoo
