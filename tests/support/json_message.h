// A protobuf message from the `--json` a Corral binary printed, for tests.
#ifndef CORRAL_TESTS_SUPPORT_JSON_MESSAGE_H_
#define CORRAL_TESTS_SUPPORT_JSON_MESSAGE_H_

#include <string>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace corral::testing {

template <typename Message>
Message Parse(const std::string& json) {
  Message m;
  auto status = google::protobuf::util::JsonStringToMessage(json, &m);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return m;
}

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_JSON_MESSAGE_H_
