#include "cli/inspect_command.h"

#include <cstdlib>
#include <sstream>

#include "corral/v1/snapshot.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace corral::cli {
namespace {

std::string Fixture() { return std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/proc-fleet"; }

TEST(RunInspect, JsonIsOneSnapshotObjectWithProtoFieldNames) {
  std::ostringstream out, err;
  int code = RunInspect({"--proc-root", Fixture(), "--json"}, out, err);
  EXPECT_EQ(code, 0) << err.str();
  corral::v1::Snapshot snap;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out.str(), &snap).ok());
  ASSERT_EQ(snap.instances_size(), 4);
  EXPECT_EQ(snap.instances(0).master().pid(), 7);
  EXPECT_NE(out.str().find("\"app_uri\": \"app:app\""), std::string::npos);
  EXPECT_NE(out.str().find("\"source\": \"cmdline\""), std::string::npos);
  EXPECT_NE(out.str().find("\"upgrade_parent_pid\": 30"), std::string::npos);
}

TEST(RunInspect, HumanOutputWhenNothingIsFound) {
  std::ostringstream out, err;
  std::string empty = ::testing::TempDir();
  EXPECT_EQ(RunInspect({"--proc-root", empty}, out, err), 0);
  EXPECT_NE(out.str().find("No Gunicorn master found in " + empty), std::string::npos) << out.str();
}

TEST(RunInspect, BadUsageExitsTwoWithAClearMessage) {
  std::ostringstream out, err;
  EXPECT_EQ(RunInspect({"--frobnicate"}, out, err), 2);
  EXPECT_EQ(err.str(), "corral inspect: unknown flag '--frobnicate'\n(see 'corral inspect --help')\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunInspect({"--proc-root", "/does/not/exist"}, out2, err2), 2);
  EXPECT_EQ(err2.str(), "corral inspect: cannot read proc root '/does/not/exist'\n");
  std::ostringstream out3, err3;
  EXPECT_EQ(RunInspect({"extra"}, out3, err3), 2);
  std::ostringstream out4, err4;
  EXPECT_EQ(RunInspect({"--control-socket", "maybe"}, out4, err4), 2);
  EXPECT_EQ(err4.str(), "corral inspect: --control-socket: expected on or off, got 'maybe'\n");
}

TEST(RunInspect, HelpTeaches) {
  std::ostringstream out, err;
  EXPECT_EQ(RunInspect({"--help"}, out, err), 0);
  EXPECT_NE(out.str().find("Usage: corral inspect [--proc-root DIR] [--control-socket on|off] [--json]"),
            std::string::npos);
  EXPECT_NE(out.str().find("[$CORRAL_PROC_ROOT]"), std::string::npos);
  EXPECT_NE(out.str().find("--control-socket on|off"), std::string::npos);
  EXPECT_NE(out.str().find("Exit status:"), std::string::npos);
}

}  // namespace
}  // namespace corral::cli
