// The probe against real Gunicorn under conditions that change what it is
// reading as it reads: workers that die as soon as they are born (processes
// vanishing between the children list, stat, cmdline and fd reads), and a
// config file rewritten and replaced in a loop while it is read.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/probe.h"
#include "common/snapshot_facts.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"

namespace corral::agent {
namespace {

using corral::testing::GunicornOptions;
using corral::testing::GunicornProcess;

const corral::v1::GunicornInstance* Find(const corral::v1::Snapshot& s, int pid) {
  for (const auto& inst : s.instances()) {
    if (inst.master().pid() == pid) return &inst;
  }
  return nullptr;
}

TEST(HostileConditions, WorkersThatDieAsTheyAreBornNeverMakeTheProbeLoseTheMaster) {
  std::string dir = corral::testing::MakeTempDir("crashloop");
  // Each worker exits right after the fork; the master replaces it at once.
  std::ofstream(dir + "/crash.conf.py") << "import os\n"
                                           "workers = 4\n"
                                           "def post_fork(server, worker):\n"
                                           "    os._exit(0)\n";
  GunicornOptions options;
  options.args = {"-c", dir + "/crash.conf.py", "--bind", "127.0.0.1:0", "app:app"};
  options.setproctitle = false;
  absl::StatusOr<std::unique_ptr<GunicornProcess>> gunicorn = GunicornProcess::Start(options);
  ASSERT_TRUE(gunicorn.ok()) << gunicorn.status();
  int master = (*gunicorn)->master_pid();
  ASSERT_TRUE(corral::testing::WaitFor([&] { return (*gunicorn)->LoggedPids("Booting worker with pid: ").size() >= 8; },
                                       absl::Seconds(20)))
      << (*gunicorn)->Log();
  ProbeOptions probe_options;
  probe_options.rediscover_every = absl::Milliseconds(50);  // full scans too
  Probe probe(probe_options);
  std::set<int> seen_workers;
  int samples = 0;
  for (absl::Time end = absl::Now() + absl::Seconds(3); absl::Now() < end; ++samples) {
    corral::v1::Snapshot s = probe.Sample();
    const corral::v1::GunicornInstance* inst = Find(s, master);
    ASSERT_NE(inst, nullptr) << "sample " << samples << " lost master " << master << "\n"
                             << s.ShortDebugString().substr(0, 3000);
    EXPECT_LE(inst->workers_size(), 4) << inst->DebugString();
    EXPECT_LE(corral::LiveWorkers(*inst), 4);
    EXPECT_EQ(inst->config().at("workers").value(), "4");
    for (const auto& w : inst->workers()) seen_workers.insert(w.pid());
  }
  // Workers came and went under the probe the whole time.
  EXPECT_GT(samples, 50);
  EXPECT_GT(seen_workers.size(), 4u) << samples << " samples";
  EXPECT_GT((*gunicorn)->LoggedPids("Booting worker with pid: ").size(), 20u);
}

bool HasWarning(const corral::v1::GunicornInstance& inst, const std::string& code) {
  for (const auto& w : inst.warnings()) {
    if (w.code() == code) return true;
  }
  return false;
}

// The config file is rewritten in place (truncated, then written in pieces)
// and replaced by rename, in a loop, while discoveries read it. Whatever a
// read catches -- a whole version, a prefix, an empty file, a read refused
// because the file changed under it -- the probe answers, and every value
// it reports from the file carries the warning that the file changed after
// the master started, so it is not taken for what the master runs.
TEST(HostileConditions, AConfigFileRewrittenWhileReadIsNeverTakenForWhatTheMasterRuns) {
  std::string dir = corral::testing::MakeTempDir("rewritten");
  std::string padding = "# " + std::string(200 * 1024, 'x') + "\n";
  auto version = [&](int workers) {
    return absl::StrCat(padding, "workers = ", workers, "\n", padding, "timeout = ", workers * 10, "\n");
  };
  std::string conf = dir + "/gunicorn.conf.py";
  std::ofstream(conf) << version(2);
  // Well before the master starts: its start time is known to a clock tick
  // only, and a file written in the same instant could look newer.
  std::filesystem::last_write_time(conf, std::filesystem::file_time_type::clock::now() - std::chrono::minutes(1));
  GunicornOptions options;
  options.args = {"-c", conf, "--bind", "127.0.0.1:0", "app:app"};
  options.setproctitle = false;
  absl::StatusOr<std::unique_ptr<GunicornProcess>> gunicorn = GunicornProcess::Start(options);
  ASSERT_TRUE(gunicorn.ok()) << gunicorn.status();
  ASSERT_TRUE((*gunicorn)->WaitForWorkers(2).ok());
  int master = (*gunicorn)->master_pid();
  {
    Probe probe(ProbeOptions{});
    const corral::v1::GunicornInstance* inst = nullptr;
    corral::v1::Snapshot s = probe.Discover();
    inst = Find(s, master);
    ASSERT_NE(inst, nullptr);
    EXPECT_EQ(inst->config().at("workers").value(), "2");
    EXPECT_FALSE(HasWarning(*inst, "CONFIG_FILE_CHANGED"));
  }
  absl::SleepFor(absl::Milliseconds(20));  // mtimes after the master's start

  std::atomic<bool> stop{false};
  std::atomic<bool> rewritten{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i, rewritten = true) {
      if (i % 2 == 0) {
        std::ofstream out(conf, std::ios::trunc);
        std::string text = version(3 + i % 4);
        for (size_t at = 0; at < text.size(); at += 4096) out << text.substr(at, 4096) << std::flush;
      } else {
        std::ofstream(conf + ".new") << version(3 + i % 4);
        std::rename((conf + ".new").c_str(), conf.c_str());
      }
    }
  });
  // Until the first rewrite lands, the probe rightly reads the original
  // file, older than the master, with no warning.
  while (!rewritten) absl::SleepFor(absl::Milliseconds(1));
  int with_values = 0, refused = 0;
  for (int i = 0; i < 200; ++i) {
    Probe probe(ProbeOptions{});
    corral::v1::Snapshot s = probe.Discover();
    const corral::v1::GunicornInstance* inst = Find(s, master);
    if (inst == nullptr) {
      ADD_FAILURE() << "master " << master << " not found";
      break;
    }
    EXPECT_EQ(corral::LiveWorkers(*inst), 2);
    if (inst->inputs().config_file_error().empty()) {
      ++with_values;
      EXPECT_TRUE(HasWarning(*inst, "CONFIG_FILE_CHANGED")) << inst->config().at("workers").DebugString();
    } else {
      ++refused;
      EXPECT_EQ(inst->config().at("workers").source(), "unknown");
    }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(with_values + refused, 200);
  std::cerr << with_values << " discoveries read the file, " << refused << " found it changing under them\n";
}

}  // namespace
}  // namespace corral::agent
