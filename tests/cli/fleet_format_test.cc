#include "cli/fleet_format.h"

#include <sstream>

#include "cli/fleet_commands.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace corral::cli {
namespace {

corral::v1::FleetStatus Status() {
  corral::v1::FleetStatus status;
  corral::v1::ServiceSummary* api = status.add_services();
  api->set_service("api-backend");
  api->set_replicas_online(3);
  api->set_replicas_total(3);
  for (int n : {3, 3, 1}) api->add_live_workers(n);
  api->set_configured_workers("1,3");
  api->set_status("critical");
  api->mutable_top_finding()->set_rule("REPLICAS_DISAGREE");
  api->mutable_top_finding()->set_message("api-backend/replica-3 differs");
  corral::v1::ServiceSummary* billing = status.add_services();
  billing->set_service("billing");
  billing->set_replicas_online(0);
  billing->set_replicas_total(1);
  billing->add_live_workers(-1);
  billing->set_configured_workers("unknown");
  billing->set_status("critical");
  return status;
}

TEST(RenderFleetStatus, AlignedRowsPerService) {
  EXPECT_EQ(
      RenderFleetStatus(Status(), Style(false)),
      "SERVICE      REPLICAS  LIVE WORKERS  CONFIGURED  STATUS    TOP FINDING\n"
      "api-backend  3/3       3,3,1         1,3         critical  REPLICAS_DISAGREE: api-backend/replica-3 differs\n"
      "billing      0/1       -             unknown     critical  -\n");
  EXPECT_EQ(RenderFleetStatus(corral::v1::FleetStatus(), Style(false)), "No instance has reported yet.\n");
}

TEST(RenderFleetStatus, ColourOnlyWhenAsked) {
  EXPECT_NE(RenderFleetStatus(Status(), Style(true)).find("\033[31mcritical\033[0m"), std::string::npos);
  EXPECT_EQ(RenderFleetStatus(Status(), Style(false)).find("\033["), std::string::npos);
}

TEST(RenderCheck, SummaryCountsAgainstFailOn) {
  corral::v1::CheckResponse check;
  check.add_services("api");
  corral::v1::Finding* f = check.add_findings();
  f->set_rule("DEV_SETTING");
  f->set_severity("warning");
  f->set_message("api/r1: development settings in use: reload=true (cmdline)");
  EXPECT_EQ(RenderCheck(check, "critical", Style(false)),
            "SEVERITY  RULE         FINDING\n"
            "warning   DEV_SETTING  api/r1: development settings in use: reload=true (cmdline)\n"
            "consistent: no finding at or above critical in 1 service(s) (1 below)\n");
  EXPECT_NE(RenderCheck(check, "warning", Style(false)).find("1 finding(s) at or above warning in 1 service(s)"),
            std::string::npos);
}

TEST(AnyAtOrAbove, DecidesTheExitStatus) {
  EXPECT_FALSE(AnyAtOrAbove({}, "info"));
  EXPECT_FALSE(AnyAtOrAbove({"info", "warning"}, "critical"));
  EXPECT_TRUE(AnyAtOrAbove({"info", "warning"}, "warning"));
  EXPECT_TRUE(AnyAtOrAbove({"critical"}, "info"));
}

TEST(FleetCommands, UnreachableServerExitsTwoNamingTheAddress) {
  std::string address = "127.0.0.1:" + std::to_string(corral::testing::FreePort());
  for (auto run : {RunStatus, RunInstances, RunCheck}) {
    std::ostringstream out, err;
    EXPECT_EQ(run({"--server", address, "--timeout", "2s"}, out, err), 2);
    EXPECT_NE(err.str().find("cannot reach corral-server at " + address), std::string::npos) << err.str();
  }
}

TEST(FleetCommands, UsageErrors) {
  std::ostringstream out, err;
  EXPECT_EQ(RunService({}, out, err), 2);
  EXPECT_EQ(err.str(), "corral service: expects a service name\n(see 'corral service --help')\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCheck({"--fail-on", "sometimes"}, out2, err2), 2);
  EXPECT_NE(err2.str().find("--fail-on 'sometimes' is not one of info, warning, critical"), std::string::npos);
  std::ostringstream out3, err3;
  EXPECT_EQ(RunStatus({"--token-file", "/nonexistent"}, out3, err3), 2);
  EXPECT_NE(err3.str().find("cannot read token file /nonexistent"), std::string::npos);
  std::ostringstream out4, err4;
  EXPECT_EQ(RunCheck({"--help"}, out4, err4), 0);
  EXPECT_NE(out4.str().find("--fail-on LEVEL"), std::string::npos);
}

}  // namespace
}  // namespace corral::cli
