// corral-server away while 20 real corral-agents report every second: when
// it comes back, every agent has reported again within two intervals, and
// their reconnections are spread by the backoff's jitter, not one burst.
// (bench/server_away.cc measures the same over 10 minutes, with the agents'
// memory and 10,000 simulated agents.)
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/chaos/chaos_support.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/subprocess.h"

namespace corral::testing {
namespace {

constexpr int kAgents = 20;
constexpr absl::Duration kInterval = absl::Seconds(1);

TEST(ServerAwayChaos, AgentsReconnectWithinTwoIntervalsSpreadByJitter) {
  std::string dir = MakeTempDir("away");
  auto server = ServerProcess::Start(dir);
  const int port = server->port();
  std::vector<std::unique_ptr<Process>> agents;
  for (int i = 0; i < kAgents; ++i) {
    agents.push_back(Process::Start(
        {BinPath("corral-agent"), "--server", server->address(), "--service", "away", "--instance",
         absl::StrCat("a-", i), "--proc-root", SourceDir() + "/tests/fixtures/proc-fleet", "--interval", "1s"},
        {}, absl::StrCat(dir, "/agent-", i, ".log")));
  }
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == kAgents; }, absl::Seconds(20)))
      << server->process().Log();

  server->process().Signal(SIGKILL);
  ASSERT_EQ(server->process().Wait(absl::Seconds(10)), 128 + SIGKILL);
  absl::SleepFor(absl::Seconds(5));
  server = ServerProcess::Start(dir, {}, port);
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == kAgents; }, absl::Seconds(10)))
      << server->process().Log();

  std::string log = server->process().Log();
  absl::StatusOr<absl::Time> back = FirstLogTime(log, "listening on " + server->address());
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << log;
  std::map<std::string, absl::Time> reported = ReportingSince(log);
  ASSERT_EQ(reported.size(), static_cast<size_t>(kAgents)) << log;
  std::map<int64_t, int> per_100ms;
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  for (const auto& [instance, at] : reported) {
    EXPECT_LE(at - *back, 2 * kInterval) << instance << " came back late";
    ++per_100ms[absl::ToInt64Milliseconds(at - *back) / 100];
    first = std::min(first, at);
    last = std::max(last, at);
  }
  std::string histogram;
  for (const auto& [bucket, n] : per_100ms) absl::StrAppend(&histogram, bucket * 100, "ms:", n, " ");
  std::printf("all %d back within %.0f ms of the server listening again; per 100 ms: %s\n", kAgents,
              absl::ToDoubleMilliseconds(last - *back), histogram.c_str());
  EXPECT_GE(per_100ms.size(), 2u) << "every agent came back in one 100 ms slice: " << histogram;
  EXPECT_GE(last - first, absl::Milliseconds(200)) << histogram;
}

}  // namespace
}  // namespace corral::testing
