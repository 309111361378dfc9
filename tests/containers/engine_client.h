// The client side of tests/containers/engine.sh, for the tests that run on
// its engine: the variables podman and docker-compose need, and the CLI's
// --json answers as messages.
#ifndef CORRAL_TESTS_CONTAINERS_ENGINE_CLIENT_H_
#define CORRAL_TESTS_CONTAINERS_ENGINE_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace corral::testing {

// The engine's client variables (engine.sh env).
inline std::vector<std::pair<std::string, std::string>> EngineEnv() {
  RunResult r = RunCommand({"bash", SourceDir() + "/tests/containers/engine.sh", "env"});
  std::vector<std::pair<std::string, std::string>> env;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    env.push_back(kv);
  }
  return env;
}

template <typename M>
M Parse(const std::string& json) {
  M message;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message).ok()) << json;
  return message;
}

}  // namespace corral::testing

#endif  // CORRAL_TESTS_CONTAINERS_ENGINE_CLIENT_H_
