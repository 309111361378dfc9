// Gunicorn 25+'s dirty arbiter and dirty workers, with real Gunicorn 26.x,
// with setproctitle and without: never counted as web workers, reported
// apart with their heartbeats. Gunicorn's own log ("Booting worker with
// pid", "Spawned dirty arbiter/worker (pid") is the oracle.
#include <signal.h>

#include <algorithm>

#include "agent/probe.h"
#include "common/snapshot_facts.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

using corral::testing::GunicornOptions;
using corral::testing::GunicornProcess;

constexpr char kDirtyApp[] =
    "from gunicorn.dirty import DirtyApp\n"
    "class Heavy(DirtyApp):\n"
    "    def init(self):\n"
    "        pass\n"
    "    def close(self):\n"
    "        pass\n";

std::vector<int> Sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<int> Pids(const google::protobuf::RepeatedPtrField<corral::v1::ProcessFacts>& facts) {
  std::vector<int> pids;
  for (const auto& f : facts) pids.push_back(f.pid());
  return Sorted(pids);
}

bool HasWarning(const corral::v1::GunicornInstance& inst, const std::string& code) {
  for (const auto& w : inst.warnings()) {
    if (w.code() == code) return true;
  }
  return false;
}

// Parameter: whether setproctitle retitles the processes.
class DirtyPool : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<GunicornProcess> Start(std::vector<std::string> args) {
    std::string dir = corral::testing::MakeTempDir("dirty");
    GunicornProcess::WriteApp(dir);
    corral::testing::WriteFile(dir + "/dapp.py", kDirtyApp);
    GunicornOptions options;
    options.release = "26";
    options.setproctitle = GetParam();
    options.cwd = dir;
    options.launcher = {"/usr/bin/python3", "-m", "gunicorn"};
    // Gunicorn keeps the dirty arbiter's pid in $TMPDIR/gunicorn-dirty-NAME.pid
    // and, starting, kills the arbiter a file there names: masters with the
    // same name must not share a TMPDIR (containers do not).
    options.env = {{"TMPDIR", dir}, {"HOME", dir}, {"XDG_RUNTIME_DIR", ""}};
    options.args = std::move(args);
    options.args.insert(options.args.end(),
                        {"-b", "127.0.0.1:" + std::to_string(corral::testing::FreePort()), "wsgi:application"});
    absl::StatusOr<std::unique_ptr<GunicornProcess>> g = GunicornProcess::Start(options);
    EXPECT_TRUE(g.ok()) << g.status();
    return g.ok() ? *std::move(g) : nullptr;
  }

  // Waits until Gunicorn logged `web` web workers and `dirty` dirty workers
  // and the probe sees the same; returns the instance.
  std::optional<corral::v1::GunicornInstance> WaitForPool(const GunicornProcess& g, size_t web, size_t dirty,
                                                          Probe& probe) {
    std::optional<corral::v1::GunicornInstance> found;
    for (int i = 0; i < 200; ++i) {
      corral::v1::Snapshot s = probe.Discover();
      for (const auto& inst : s.instances()) {
        if (inst.master().pid() == g.master_pid()) found = inst;
      }
      bool logged = g.LoggedPids("Booting worker with pid: ").size() >= web &&
                    g.LoggedPids("Spawned dirty worker (pid: ").size() >= dirty;
      // With titles the settings come from the control socket, which
      // Gunicorn opens after its first workers.
      bool titled =
          !GetParam() || (found && found->inputs().argv_erased() && found->control_socket().state() == "answered");
      if (logged && titled && found && static_cast<size_t>(found->workers_size()) == web &&
          static_cast<size_t>(found->dirty_workers_size()) == dirty) {
        return found;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return found;
  }
};

TEST_P(DirtyPool, TheArbiterAndItsWorkersAreNeverWebWorkers) {
  auto g = Start({"-w", "2", "--dirty-app", "dapp:Heavy", "--dirty-workers", "2"});
  ASSERT_NE(g, nullptr);
  Probe probe(ProbeOptions{});
  std::optional<corral::v1::GunicornInstance> inst = WaitForPool(*g, 2, 2, probe);
  ASSERT_TRUE(inst.has_value()) << g->Log();

  EXPECT_EQ(Pids(inst->workers()), Sorted(g->LoggedPids("Booting worker with pid: "))) << g->Log();
  EXPECT_EQ(corral::LiveWorkers(*inst), 2);
  std::vector<int> arbiter = g->LoggedPids("Spawned dirty arbiter (pid: ");
  ASSERT_EQ(arbiter.size(), 1u) << g->Log();
  ASSERT_TRUE(inst->has_dirty_arbiter());
  EXPECT_EQ(inst->dirty_arbiter().pid(), arbiter[0]);
  EXPECT_EQ(inst->dirty_arbiter().ppid(), g->master_pid());
  EXPECT_EQ(Pids(inst->dirty_workers()), Sorted(g->LoggedPids("Spawned dirty worker (pid: ")));
  for (const auto& w : inst->dirty_workers()) {
    EXPECT_EQ(w.ppid(), arbiter[0]);
    ASSERT_TRUE(w.has_heartbeat_age_seconds()) << "dirty worker " << w.pid();
    EXPECT_GE(w.heartbeat_age_seconds(), 0);
  }
  for (const auto& w : inst->workers()) ASSERT_TRUE(w.has_heartbeat_age_seconds()) << "worker " << w.pid();
  EXPECT_EQ(inst->other_children_size(), 0);
  EXPECT_EQ(corral::LiveDirtyWorkers(*inst), 2);
  EXPECT_EQ(corral::ConfiguredDirtyWorkers(*inst), 2);
  EXPECT_FALSE(HasWarning(*inst, "FEWER_WORKERS_THAN_CONFIGURED"));
  EXPECT_FALSE(HasWarning(*inst, "MORE_WORKERS_THAN_CONFIGURED"));
  EXPECT_FALSE(HasWarning(*inst, "FEWER_DIRTY_WORKERS_THAN_CONFIGURED"));
}

TEST_P(DirtyPool, AKilledDirtyWorkerIsReplacedAndTheNextSampleSeesIt) {
  auto g = Start({"-w", "1", "--dirty-app", "dapp:Heavy", "--dirty-workers", "2"});
  ASSERT_NE(g, nullptr);
  Probe probe(ProbeOptions{});
  std::optional<corral::v1::GunicornInstance> before = WaitForPool(*g, 1, 2, probe);
  ASSERT_TRUE(before.has_value()) << g->Log();
  int victim = before->dirty_workers(0).pid();
  ::kill(victim, SIGKILL);
  std::vector<int> spawned;
  for (int i = 0; i < 200 && spawned.size() < 3; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    spawned = g->LoggedPids("Spawned dirty worker (pid: ");
  }
  ASSERT_EQ(spawned.size(), 3u) << g->Log();
  std::vector<int> now = {spawned[0] == victim ? spawned[1] : spawned[0], spawned[2]};
  std::optional<corral::v1::GunicornInstance> after;
  for (int i = 0; i < 100; ++i) {
    corral::v1::Snapshot s = probe.Sample();
    for (const auto& inst : s.instances()) {
      if (inst.master().pid() == g->master_pid()) after = inst;
    }
    if (after && Pids(after->dirty_workers()) == Sorted(now)) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(Pids(after->dirty_workers()), Sorted(now));
  EXPECT_EQ(after->workers_size(), 1);
}

TEST_P(DirtyPool, ARespawnedArbiterIsStillTheArbiter) {
  // An arbiter the master starts again after the web workers inherits their
  // heartbeats from the master: it must not become a web worker.
  auto g = Start({"-w", "2", "--dirty-app", "dapp:Heavy", "--dirty-workers", "1"});
  ASSERT_NE(g, nullptr);
  Probe probe(ProbeOptions{});
  std::optional<corral::v1::GunicornInstance> before = WaitForPool(*g, 2, 1, probe);
  ASSERT_TRUE(before.has_value()) << g->Log();
  ASSERT_TRUE(before->has_dirty_arbiter());
  ::kill(before->dirty_arbiter().pid(), SIGKILL);
  std::vector<int> arbiters;
  for (int i = 0; i < 200 && arbiters.size() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    arbiters = g->LoggedPids("Spawned dirty arbiter (pid: ");
  }
  ASSERT_EQ(arbiters.size(), 2u) << g->Log();
  std::optional<corral::v1::GunicornInstance> after;
  for (int i = 0; i < 200; ++i) {
    corral::v1::Snapshot s = i % 2 ? probe.Sample() : probe.Discover();
    for (const auto& inst : s.instances()) {
      if (inst.master().pid() == g->master_pid()) after = inst;
    }
    if (after && after->has_dirty_arbiter() && after->dirty_arbiter().pid() == arbiters[1] &&
        after->dirty_workers_size() == 1) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->dirty_arbiter().pid(), arbiters[1]) << g->Log();
  EXPECT_EQ(Pids(after->workers()), Sorted(g->LoggedPids("Booting worker with pid: ")));
  EXPECT_EQ(after->dirty_workers_size(), 1);
}

TEST_P(DirtyPool, PerAppLimitsLowerTheConfiguredPool) {
  // Every app limited to one worker: Gunicorn starts one of the two.
  auto g = Start({"-w", "1", "--dirty-app", "dapp:Heavy:1", "--dirty-workers", "2"});
  ASSERT_NE(g, nullptr);
  Probe probe(ProbeOptions{});
  std::optional<corral::v1::GunicornInstance> inst = WaitForPool(*g, 1, 1, probe);
  ASSERT_TRUE(inst.has_value()) << g->Log();
  EXPECT_EQ(corral::LiveDirtyWorkers(*inst), 1);
  EXPECT_EQ(corral::ConfiguredDirtyWorkers(*inst), 1);
  EXPECT_FALSE(HasWarning(*inst, "FEWER_DIRTY_WORKERS_THAN_CONFIGURED"));
}

INSTANTIATE_TEST_SUITE_P(Titles, DirtyPool, ::testing::Bool(), [](const ::testing::TestParamInfo<bool>& info) {
  return info.param ? std::string("with_setproctitle") : std::string("without_setproctitle");
});

}  // namespace
}  // namespace corral::agent
