// corral-server killed with SIGKILL while 1,000 agents stream and the
// history is being written: after a restart on the same data directory,
// every event a client was given before the kill is still there, unchanged,
// and no finding is opened again while it is still open.
#include <signal.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/chaos/chaos_support.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/simulated_agents.h"
#include "tests/support/subprocess.h"

namespace corral::testing {
namespace {

constexpr int kAgents = 1000;

TEST(ServerKillChaos, EveryCommittedEventSurvivesASigkillUnderLoadAndNoFindingOpensTwice) {
  std::string dir = MakeTempDir("kill");
  auto server = ServerProcess::Start(dir);
  const int port = server->port();
  // One agent in five alternates between 3 and 1 live workers at every
  // report: its service records a worker change and opens or resolves
  // findings every second, also at the moment of the kill.
  FlappingFleet fleet(kAgents, 10, 5, absl::Seconds(1));
  SimulatedAgentsOptions options;
  options.address = server->address();
  options.agents = kAgents;
  options.interval = absl::Seconds(1);
  options.message = [&fleet](int agent, int64_t sequence, bool first) { return fleet.Message(agent, sequence, first); };
  SimulatedAgents agents(options);
  ASSERT_TRUE(WaitFor([&] { return agents.connected() == kAgents; }, absl::Seconds(30)))
      << agents.connected() << " connected\n"
      << server->process().Log();

  Watcher watcher(server->address());
  absl::SleepFor(absl::Seconds(4));
  absl::StatusOr<std::vector<corral::v1::Event>> before = ReadHistory(server->address());
  ASSERT_TRUE(before.ok()) << before.status();
  // More history is written after that answer, up to the kill.
  absl::SleepFor(absl::Milliseconds(1500));
  server->process().Signal(SIGKILL);
  ASSERT_EQ(server->process().Wait(absl::Seconds(10)), 128 + SIGKILL);
  watcher.Stop();
  std::vector<corral::v1::Event> watched = watcher.Events();

  ASSERT_GT(CountKind(*before, "workers_changed"), 100);
  ASSERT_GT(CountKind(*before, "finding_opened"), 100);
  int64_t last_read = before->back().id();
  int64_t last_watched = watched.empty() ? 0 : watched.back().id();
  EXPECT_GT(last_watched, last_read) << "the watcher saw nothing written after the history was read";
  for (const corral::v1::Event& e : watched) ASSERT_NE(e.id(), 0) << "streamed but not stored: " << e.DebugString();

  server = ServerProcess::Start(dir, {}, port);
  // The agents come back, and keep flapping, past the server's settling.
  ASSERT_TRUE(WaitFor([&] { return agents.connected() == kAgents; }, absl::Seconds(30)))
      << agents.connected() << " connected after the restart\n"
      << server->process().Log();
  absl::SleepFor(absl::Seconds(5));
  agents.Stop();
  absl::StatusOr<std::vector<corral::v1::Event>> after = ReadHistory(server->address());
  ASSERT_TRUE(after.ok()) << after.status();

  std::map<int64_t, corral::v1::Event> stored = ById(*after);
  std::map<int64_t, corral::v1::Event> committed = ById(*before);
  for (auto& [id, e] : ById(watched)) committed[id] = e;
  int missing = 0, changed = 0;
  for (const auto& [id, e] : committed) {
    auto found = stored.find(id);
    if (found == stored.end()) {
      if (++missing <= 5) ADD_FAILURE() << "lost after the kill: " << e.ShortDebugString();
    } else if (!google::protobuf::util::MessageDifferencer::Equals(found->second, e)) {
      if (++changed <= 5) {
        ADD_FAILURE() << "changed after the kill: " << e.ShortDebugString() << "\nnow "
                      << found->second.ShortDebugString();
      }
    }
  }
  EXPECT_EQ(missing, 0) << "of " << committed.size() << " events committed before the kill";
  EXPECT_EQ(changed, 0);
  EXPECT_GT(stored.rbegin()->first, last_watched) << "nothing recorded after the restart";
  EXPECT_EQ(CountKind(*after, "server_started"), 2);
  EXPECT_EQ(CountKind(*after, "server_stopped"), 0);

  std::printf(
      "%zu events committed before the kill (%zu read, %zu watched, last id %lld), %zu stored after the "
      "restart, %d findings opened, %d resolved\n",
      committed.size(), before->size(), watched.size(), static_cast<long long>(last_watched), stored.size(),
      CountKind(*after, "finding_opened"), CountKind(*after, "finding_resolved"));
  std::map<std::string, std::pair<int, int>> out_of_turn = FindingsOutOfTurn(*after);
  for (const auto& [key, twice] : out_of_turn) {
    ADD_FAILURE() << key << ": opened while open " << twice.first << " time(s), resolved while resolved "
                  << twice.second << " time(s)";
  }
  EXPECT_TRUE(out_of_turn.empty()) << CountKind(*after, "finding_opened") << " findings opened in all";
}

}  // namespace
}  // namespace corral::testing
