// End to end with real processes: corral-server, agents inside PID and
// network namespaces next to real Gunicorn, and the corral CLI.
#include <signal.h>
#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "corral/v1/fleet.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::Container;
using corral::testing::ContainerOptions;
using corral::testing::Corral;
using corral::testing::kDeclaredArgs;
using corral::testing::kStaleArgs;
using corral::testing::OnlineInstances;
using corral::testing::ServerProcess;
using corral::testing::WaitFor;

// Process scheduling on a loaded CI machine, on top of the protocol's own
// bound.
const absl::Duration kSlack = absl::Milliseconds(400);

std::unique_ptr<Container> StartContainer(const std::string& dir, const ServerProcess& server,
                                          const std::string& service, const std::string& instance,
                                          const std::vector<std::string>& args, const std::string& interval = "500ms") {
  return Container::Start(dir, ContainerOptions{service, instance, args, server.unix_target(), interval, {}});
}

TEST(FleetE2E, CheckNamesTheStaleReplicaAndPassesOnceItIsFixed) {
  std::string dir = corral::testing::MakeTempDir("fleet");
  auto server = ServerProcess::Start(dir);
  auto r1 = StartContainer(dir, *server, "api-backend", "replica-1", kDeclaredArgs);
  auto r2 = StartContainer(dir, *server, "api-backend", "replica-2", kDeclaredArgs);
  auto r3 = StartContainer(dir, *server, "api-backend", "replica-3", kStaleArgs);
  auto b1 = StartContainer(dir, *server, "billing", "billing-1", {"-w", "2", "-b", "0.0.0.0:8000", "wsgi"});
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == 4; }, absl::Seconds(30)))
      << Corral({"instances"}, server->address()).out;
  ASSERT_TRUE(r1->WaitForWorkers(3, absl::Seconds(20)));
  ASSERT_TRUE(r2->WaitForWorkers(3, absl::Seconds(20)));

  // Agents report what they see on their next sample after the workers boot.
  corral::testing::RunResult status;
  ASSERT_TRUE(WaitFor(
      [&] {
        status = Corral({"status"}, server->address());
        return absl::StrContains(status.out, "api-backend  3/3       3,3,1         1,3         critical") &&
               absl::StrContains(status.out, "billing      1/1       2             2           ok");
      },
      absl::Seconds(10)))
      << status.out << status.err;

  corral::testing::RunResult check = Corral({"check"}, server->address());
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.out.find("api-backend/replica-3 differs from 2 other replica(s) (as replica-1): live workers 1 vs 3"),
            std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("workers 1 (cmdline) vs 3 (cmdline)"), std::string::npos) << check.out;

  // Global flags before the command, as kubectl and git take them.
  corral::testing::RunResult before = corral::testing::RunCommand(
      {corral::testing::BinPath("corral"), "--server", server->address(), "--json", "check", "--fail-on", "critical"});
  EXPECT_EQ(before.exit_code, 1) << before.err;
  EXPECT_NE(before.out.find("\"rule\": \"REPLICAS_DISAGREE\""), std::string::npos) << before.out;

  corral::testing::RunResult service = Corral({"service", "api-backend"}, server->address());
  EXPECT_EQ(service.exit_code, 0);
  EXPECT_NE(service.out.find("Settings that differ between replicas:"), std::string::npos) << service.out;
  EXPECT_NE(service.out.find("reload       false (default)"), std::string::npos) << service.out;

  // Fix replica-3: same instance, the declared command line.
  r3.reset();
  r3 = StartContainer(dir, *server, "api-backend", "replica-3", kDeclaredArgs);
  ASSERT_TRUE(r3->WaitForWorkers(3, absl::Seconds(20)));
  absl::Time fixed = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return Corral({"check"}, server->address()).exit_code == 0; }, absl::Seconds(10)));
  EXPECT_LE(absl::Now() - fixed, 2 * absl::Milliseconds(500) + kSlack);
}

// What /proc holds is bytes; a proto3 string must be UTF-8, and protobuf
// refuses a message that breaks that, whole. A Gunicorn started from a
// directory named in Latin-1 once had every report of its agent refused.
TEST(FleetE2E, AGunicornInADirectoryNamedInLatin1IsReportedLikeAnyOther) {
  std::string dir = corral::testing::MakeTempDir("latin1");
  auto server = ServerProcess::Start(dir);
  std::string odd = dir + "/d\xe9p\xf4t";
  ASSERT_EQ(::mkdir(odd.c_str(), 0755), 0);
  corral::testing::GunicornProcess::WriteApp(odd);
  auto c = StartContainer(dir, *server, "api", "a1", {"-w", "1", "-b", "0.0.0.0:8000", "--chdir", odd, "app:app"});
  ASSERT_TRUE(c->WaitForWorkers(1, absl::Seconds(20)));
  EXPECT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == 1; }, absl::Seconds(20)))
      << server->process().Log();
  EXPECT_FALSE(absl::StrContains(server->process().Log(), "refused")) << server->process().Log();
}

TEST(FleetE2E, AKilledAgentIsDisconnectedAtOnceAndOfflineWithinThreeIntervals) {
  std::string dir = corral::testing::MakeTempDir("offline");
  auto server = ServerProcess::Start(dir);
  auto c = StartContainer(dir, *server, "api", "a1", {"-w", "1", "-b", "0.0.0.0:8000", "app:app"});
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == 1; }, absl::Seconds(20)));
  int agent = c->agent();
  ASSERT_GT(agent, 0);
  ::kill(agent, SIGKILL);
  absl::Time killed = absl::Now();
  EXPECT_TRUE(WaitFor([&] { return corral::testing::InstanceState(server->address(), "a1") == "disconnected"; },
                      absl::Seconds(2)));
  ASSERT_TRUE(
      WaitFor([&] { return corral::testing::InstanceState(server->address(), "a1") == "offline"; }, absl::Seconds(10)));
  EXPECT_LE(absl::Now() - killed, 3 * absl::Milliseconds(500) + kSlack);
  corral::testing::RunResult check = Corral({"check", "--service", "api"}, server->address());
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.out.find("AGENT_OFFLINE"), std::string::npos) << check.out;
}

TEST(FleetE2E, ARestartedServerHasTheWholeFleetBackWithinTwoIntervals) {
  std::string dir = corral::testing::MakeTempDir("restart");
  auto server = ServerProcess::Start(dir);
  std::vector<std::unique_ptr<Container>> fleet;
  for (const char* name : {"s1", "s2", "s3"}) {
    fleet.push_back(StartContainer(dir, *server, "api", name, {"-w", "1", "-b", "0.0.0.0:8000", "app:app"}));
  }
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == 3; }, absl::Seconds(30)));
  int port = server->port();
  server->process().Signal(SIGKILL);
  server->process().Wait(absl::Seconds(5));
  absl::SleepFor(absl::Seconds(2));  // agents back off while it is away
  server = ServerProcess::Start(dir, {}, port);
  absl::Time restarted = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == 3; }, absl::Seconds(10)))
      << server->process().Log();
  EXPECT_LE(absl::Now() - restarted, 2 * absl::Milliseconds(500) + kSlack);
  // Each agent said it lost the server once, and came back once, however
  // many attempts the outage took.
  for (const char* name : {"s1", "s2", "s3"}) {
    std::string log = corral::testing::ReadLog(dir + "/" + name + ".log");
    EXPECT_EQ(corral::testing::CountOccurrences(log, "lost server"), 1) << log;
    EXPECT_EQ(corral::testing::CountOccurrences(log, "connected to server"), 2) << log;
  }
}

TEST(FleetE2E, TheServerCanChangeAnAgentsInterval) {
  std::string dir = corral::testing::MakeTempDir("interval");
  auto server = ServerProcess::Start(dir, {"--agent-interval", "300ms"});
  auto c = StartContainer(dir, *server, "api", "i1", {"-w", "1", "-b", "0.0.0.0:8000", "app:app"}, "3s");
  ASSERT_TRUE(WaitFor(
      [&] {
        corral::testing::RunResult r = Corral({"instances", "--json"}, server->address());
        return absl::StrContains(r.out, "\"interval_ms\": \"300\"");
      },
      absl::Seconds(15)));
}

}  // namespace
}  // namespace corral
