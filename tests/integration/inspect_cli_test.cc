// The `corral` binary against a real Gunicorn: exit codes, JSON, text.
#include "corral/v1/snapshot.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::BinPath;
using corral::testing::RunCommand;

TEST(InspectCli, FindsARealGunicornInJsonAndText) {
  corral::testing::GunicornOptions options;
  options.setproctitle = false;
  options.args = {"--workers", "1", "--reload", "-b", "127.0.0.1:" + std::to_string(corral::testing::FreePort()),
                  "app:app"};
  auto g = corral::testing::GunicornProcess::Start(options);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE((*g)->WaitForWorkers(1).ok());

  corral::testing::RunResult json = RunCommand({BinPath("corral"), "inspect", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  corral::v1::Snapshot snapshot;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &snapshot).ok());
  bool found = false;
  for (const auto& inst : snapshot.instances()) {
    if (inst.master().pid() != (*g)->master_pid()) continue;
    found = true;
    EXPECT_EQ(inst.workers_size(), 1);
    EXPECT_EQ(inst.config().at("reload").value(), "true");
  }
  EXPECT_TRUE(found) << json.out;

  corral::testing::RunResult text = RunCommand({BinPath("corral"), "inspect"}, {{"NO_COLOR", "1"}});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("Gunicorn master " + std::to_string((*g)->master_pid()) + "  app:app"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("RELOAD_ENABLED"), std::string::npos);
  EXPECT_EQ(text.out.find("\033["), std::string::npos);  // not a terminal: no colour
}

TEST(InspectCli, UsageErrorsExitTwo) {
  corral::testing::RunResult r = RunCommand({BinPath("corral"), "inspect", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown flag '--bogus'"), std::string::npos);
  EXPECT_EQ(RunCommand({BinPath("corral")}).exit_code, 2);
  EXPECT_EQ(RunCommand({BinPath("corral"), "frobnicate"}).exit_code, 2);
  corral::testing::RunResult help = RunCommand({BinPath("corral"), "help", "inspect"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: corral inspect"), std::string::npos);
}

}  // namespace
}  // namespace corral
