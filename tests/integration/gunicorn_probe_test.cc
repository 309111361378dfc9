// The probe against real Gunicorn processes: every launch form, with and
// without setproctitle, runtime scaling, worker replacement, USR2, app
// subprocesses, and Gunicorn as PID 1 of its own PID namespace -- each on
// every release in TestedReleases() (20.1, 23.0, 26.x). These test the
// reconstruction, so the control socket is not asked here
// (control_socket_test.cc covers it).
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "agent/probe.h"
#include "common/snapshot_facts.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

using corral::testing::GunicornOptions;
using corral::testing::GunicornProcess;

std::unique_ptr<GunicornProcess> StartOrDie(GunicornOptions options) {
  absl::StatusOr<std::unique_ptr<GunicornProcess>> g = GunicornProcess::Start(std::move(options));
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? *std::move(g) : nullptr;
}

std::string Bind() { return "127.0.0.1:" + std::to_string(corral::testing::FreePort()); }

ProbeOptions Reconstructing() {
  ProbeOptions options;
  options.control_socket = false;
  return options;
}

// Discovers and returns the instance of `master_pid`.
std::optional<corral::v1::GunicornInstance> Inspect(int master_pid, Probe* probe = nullptr) {
  Probe local(Reconstructing());
  corral::v1::Snapshot s = (probe ? probe : &local)->Discover();
  for (const auto& inst : s.instances()) {
    if (inst.master().pid() == master_pid) return inst;
  }
  return std::nullopt;
}

std::vector<int> Pids(const google::protobuf::RepeatedPtrField<corral::v1::ProcessFacts>& facts) {
  std::vector<int> pids;
  for (const auto& f : facts) pids.push_back(f.pid());
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::string Value(const corral::v1::GunicornInstance& inst, const std::string& name) {
  const corral::v1::Setting& s = inst.config().at(name);
  return s.source() + ":" + s.value();
}

bool HasWarning(const corral::v1::GunicornInstance& inst, const std::string& code) {
  for (const auto& w : inst.warnings()) {
    if (w.code() == code) return true;
  }
  return false;
}

class GunicornProbe : public ::testing::TestWithParam<std::string> {
 protected:
  GunicornOptions Options() const {
    GunicornOptions options;
    options.release = GetParam();
    return options;
  }
};

TEST_P(GunicornProbe, FlagsOnTheCommandLineWithoutSetproctitle) {
  GunicornOptions options = Options();
  options.setproctitle = false;
  options.args = {"--workers", "3", "--timeout", "120", "--preload", "-b", Bind(), "wsgi:application"};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  absl::StatusOr<std::vector<int>> workers = g->WaitForWorkers(3);
  ASSERT_TRUE(workers.ok()) << workers.status();

  std::optional<corral::v1::GunicornInstance> inst = Inspect(g->master_pid());
  ASSERT_TRUE(inst.has_value());
  std::vector<int> expected = *workers;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Pids(inst->workers()), expected);
  EXPECT_EQ(inst->launcher(), "python script");  // the script's shebang runs /usr/bin/python3
  // The release is read from the package the interpreter imports, and its
  // own table reads the command line.
  EXPECT_TRUE(absl::StartsWith(inst->gunicorn_version(), GetParam())) << inst->gunicorn_version();
  EXPECT_TRUE(absl::StartsWith(inst->gunicorn_version(), inst->settings_table() + "."));
  EXPECT_EQ(inst->gunicorn_version_note(), "");
  EXPECT_FALSE(HasWarning(*inst, "ARGV_UNPARSED"));
  EXPECT_EQ(inst->app_uri(), "wsgi:application");
  EXPECT_EQ(Value(*inst, "workers"), "cmdline:3");
  EXPECT_EQ(Value(*inst, "timeout"), "cmdline:120");
  EXPECT_EQ(Value(*inst, "preload_app"), "cmdline:true");
  EXPECT_EQ(Value(*inst, "keepalive"), "default:2");
  EXPECT_FALSE(inst->inputs().argv_erased());
  EXPECT_EQ(inst->master().uid(), ::getuid());
  EXPECT_EQ(inst->master().cwd(), g->app_dir());
  EXPECT_GT(inst->master().rss_bytes(), 1 << 20);
  for (const auto& w : inst->workers()) {
    ASSERT_TRUE(w.has_heartbeat_age_seconds()) << "worker " << w.pid();
    EXPECT_LT(w.heartbeat_age_seconds(), 120);
    EXPECT_EQ(w.ppid(), g->master_pid());
  }
  EXPECT_FALSE(HasWarning(*inst, "FEWER_WORKERS_THAN_CONFIGURED"));
}

TEST_P(GunicornProbe, SetproctitleErasesArgvButTheConfigFileStaysKnown) {
  std::string dir = corral::testing::MakeTempDir("spt");
  GunicornProcess::WriteApp(dir);
  corral::testing::WriteFile(dir + "/gunicorn.conf.py",
                             "workers = 2\ntimeout = 77\nbind = '" + Bind() + "'\nworker = 4\n");
  GunicornOptions options = Options();
  options.cwd = dir;
  options.args = {"app:app"};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(2).ok());
  // setproctitle retitles shortly after the master starts.
  std::optional<corral::v1::GunicornInstance> inst;
  for (int i = 0; i < 100; ++i) {
    inst = Inspect(g->master_pid());
    if (inst && inst->inputs().argv_erased()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(inst.has_value());
  EXPECT_TRUE(inst->inputs().argv_erased());
  EXPECT_TRUE(inst->inputs().environ_erased());
  EXPECT_EQ(inst->launcher(), "title");
  EXPECT_EQ(inst->title_name(), "app:app");
  EXPECT_EQ(Value(*inst, "workers"), "config_file:2");
  EXPECT_EQ(Value(*inst, "timeout"), "config_file:77");
  EXPECT_EQ(Value(*inst, "keepalive"), "unknown:");
  EXPECT_EQ(inst->config().at("keepalive").default_value(), "2");
  EXPECT_EQ(inst->app_uri(), "");
  EXPECT_EQ(corral::LiveWorkers(*inst), 2);
  EXPECT_TRUE(HasWarning(*inst, "SETTINGS_UNKNOWABLE"));
  EXPECT_TRUE(HasWarning(*inst, "CONFIG_KEY_IGNORED"));
}

TEST_P(GunicornProbe, SptNoenvKeepsGunicornCmdArgsVisible) {
  GunicornOptions options = Options();
  options.args = {"app:app"};
  options.env = {{"SPT_NOENV", "1"}, {"GUNICORN_CMD_ARGS", "--workers 2 --timeout 44 -b " + Bind()}};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(2).ok());
  std::optional<corral::v1::GunicornInstance> inst;
  for (int i = 0; i < 100; ++i) {
    inst = Inspect(g->master_pid());
    if (inst && inst->inputs().argv_erased()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(inst.has_value());
  EXPECT_TRUE(inst->inputs().argv_erased());
  EXPECT_FALSE(inst->inputs().environ_erased());
  EXPECT_EQ(Value(*inst, "workers"), "gunicorn_cmd_args:2");
  EXPECT_EQ(Value(*inst, "timeout"), "gunicorn_cmd_args:44");
  EXPECT_EQ(inst->config().at("graceful_timeout").source(), "unknown");
}

TEST_P(GunicornProbe, WebConcurrencySetsTheWorkerCount) {
  GunicornOptions options = Options();
  options.setproctitle = false;
  options.args = {"-b", Bind(), "app:app"};
  options.env = {{"WEB_CONCURRENCY", "2"}};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(2).ok());
  std::optional<corral::v1::GunicornInstance> inst = Inspect(g->master_pid());
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(Value(*inst, "workers"), "env:2");
  EXPECT_EQ(inst->workers_size(), 2);
}

TEST_P(GunicornProbe, PythonDashMAndAConfigFileNamedWithDashC) {
  std::string dir = corral::testing::MakeTempDir("dashm");
  GunicornProcess::WriteApp(dir);
  corral::testing::WriteFile(dir + "/conf/gun.py",
                             "import multiprocessing\nworkers = 1\nthreads = 2\nmax_requests = 50\n");
  GunicornOptions options = Options();
  options.setproctitle = false;
  options.cwd = dir;
  options.launcher = {"/usr/bin/python3", "-m", "gunicorn"};
  options.args = {"-c", "conf/gun.py", "-w3", "--time", "30", "-b", Bind(), "wsgi"};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(3).ok());
  std::optional<corral::v1::GunicornInstance> inst = Inspect(g->master_pid());
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(inst->launcher(), "python -m gunicorn");
  EXPECT_EQ(Value(*inst, "workers"), "cmdline:3");
  EXPECT_EQ(Value(*inst, "timeout"), "cmdline:30");
  EXPECT_EQ(Value(*inst, "threads"), "config_file:2");
  EXPECT_EQ(Value(*inst, "max_requests"), "config_file:50");
  EXPECT_EQ(inst->config().at("worker_class").value(), "gthread");
  EXPECT_EQ(inst->inputs().config_file(), dir + "/conf/gun.py");
  EXPECT_EQ(inst->app_uri(), "wsgi");
}

TEST_P(GunicornProbe, TtinAndTtouChangeTheLiveCount) {
  GunicornOptions options = Options();
  options.setproctitle = false;
  options.args = {"-w", "2", "-b", Bind(), "app:app"};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(2).ok());
  g->Signal(SIGTTIN);
  ASSERT_TRUE(g->WaitForWorkers(3).ok());
  std::optional<corral::v1::GunicornInstance> up = Inspect(g->master_pid());
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(corral::LiveWorkers(*up), 3);
  EXPECT_EQ(corral::ConfiguredWorkers(*up), 2);
  EXPECT_TRUE(HasWarning(*up, "MORE_WORKERS_THAN_CONFIGURED"));

  // Standard signals do not queue: wait for each TTOU to take effect.
  g->Signal(SIGTTOU);
  ASSERT_TRUE(g->WaitForWorkers(2).ok());
  g->Signal(SIGTTOU);
  ASSERT_TRUE(g->WaitForWorkers(1).ok());
  std::optional<corral::v1::GunicornInstance> down = Inspect(g->master_pid());
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(corral::LiveWorkers(*down), 1);
  EXPECT_TRUE(HasWarning(*down, "FEWER_WORKERS_THAN_CONFIGURED"));
}

// The pid of host process `pid` inside its own PID namespace (last NSpid).
int InnerPid(int pid) {
  absl::StatusOr<ProcStatus> status = ParseStatus(corral::testing::ReadLog("/proc/" + std::to_string(pid) + "/status"));
  return status.ok() && !status->ns_pids.empty() ? status->ns_pids.back() : 0;
}

TEST_P(GunicornProbe, AKilledWorkerIsReplacedAndTheSteadyStateSampleSeesIt) {
  // In its own PID namespace, read through that namespace's /proc, so other
  // tests' processes coming and going cannot trigger a rediscovery.
  GunicornOptions options = Options();
  options.setproctitle = false;
  options.own_pid_namespace = true;
  options.args = {"-w", "2", "-b", Bind(), "app:app"};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  absl::StatusOr<std::vector<int>> before = g->WaitForWorkers(2);
  ASSERT_TRUE(before.ok());
  ProbeOptions probe_options = Reconstructing();
  probe_options.proc_root = "/proc/" + std::to_string(g->master_pid()) + "/root/proc";
  Probe probe(probe_options);
  corral::v1::Snapshot first = probe.Discover();
  ASSERT_EQ(first.instances_size(), 1);
  EXPECT_EQ(first.instances(0).master().pid(), 1);

  int victim = (*before)[0];
  int inner_victim = InnerPid(victim);
  ::kill(victim, SIGKILL);
  std::vector<int> after;
  for (int i = 0; i < 200; ++i) {
    after = corral::testing::WorkerPids(g->master_pid());
    if (after.size() == 2 && std::find(after.begin(), after.end(), victim) == after.end()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(after.size(), 2u);
  std::vector<int> inner_after;
  for (int pid : after) inner_after.push_back(InnerPid(pid));
  std::sort(inner_after.begin(), inner_after.end());

  corral::v1::Snapshot s = probe.Sample();
  EXPECT_EQ(s.scan_kind(), corral::v1::STEADY_STATE);
  ASSERT_EQ(s.instances_size(), 1);
  EXPECT_EQ(Pids(s.instances(0).workers()), inner_after);
  EXPECT_EQ(std::find(inner_after.begin(), inner_after.end(), inner_victim), inner_after.end());
}

TEST_P(GunicornProbe, AppSubprocessesAreNotWorkers) {
  std::string dir = corral::testing::MakeTempDir("sub");
  GunicornProcess::WriteApp(dir);
  corral::testing::WriteFile(dir + "/spawner.py",
                             "import subprocess\n"
                             "helper = subprocess.Popen(['/bin/sleep', '600'])\n"
                             "from app import app\n");
  GunicornOptions options = Options();
  options.setproctitle = false;
  options.cwd = dir;
  options.args = {"-w", "2", "--preload", "-b", Bind(), "spawner:app"};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(2).ok());
  std::optional<corral::v1::GunicornInstance> inst = Inspect(g->master_pid());
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(inst->workers_size(), 2);
  ASSERT_EQ(inst->other_children_size(), 1);
  EXPECT_EQ(inst->other_children(0).comm(), "sleep");
}

TEST_P(GunicornProbe, Usr2StartsANewMasterThatIsItsOwnInstance) {
  GunicornOptions options = Options();
  options.setproctitle = false;
  options.args = {"-w", "1", "-b", Bind(), "app:app"};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(1).ok());
  g->Signal(SIGUSR2);
  std::optional<corral::v1::Snapshot> snapshot;
  int new_master = 0;
  for (int i = 0; i < 200 && new_master == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    Probe probe(Reconstructing());
    corral::v1::Snapshot s = probe.Discover();
    for (const auto& inst : s.instances()) {
      if (inst.upgrade_parent_pid() == g->master_pid() && inst.workers_size() == 1) new_master = inst.master().pid();
    }
    snapshot = s;
  }
  ASSERT_NE(new_master, 0) << "no USR2 master appeared";
  for (const auto& inst : snapshot->instances()) {
    if (inst.master().pid() == g->master_pid()) {
      EXPECT_EQ(inst.workers_size(), 1);
      EXPECT_EQ(inst.other_children_size(), 0);  // the new master is not an "other child"
    }
  }
}

TEST_P(GunicornProbe, Pid1OfItsOwnNamespaceInspectedFromInsideWithNsenter) {
  GunicornOptions options = Options();
  options.setproctitle = false;
  options.own_pid_namespace = true;
  options.args = {"-w", "2", "-b", Bind(), "app:app"};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(2).ok());

  // From outside: an ordinary master whose parent is unshare.
  std::optional<corral::v1::GunicornInstance> outside = Inspect(g->master_pid());
  ASSERT_TRUE(outside.has_value());
  EXPECT_EQ(outside->workers_size(), 2);

  // From inside: the master is PID 1 and the pids are the namespace's.
  corral::testing::RunResult r =
      corral::testing::RunCommand({"nsenter", "-t", std::to_string(g->master_pid()), "--pid", "--mount", "--",
                                   corral::testing::BinPath("corral"), "inspect", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  corral::v1::Snapshot inside;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &inside).ok()) << r.out;
  ASSERT_EQ(inside.instances_size(), 1) << r.out;
  const corral::v1::GunicornInstance& inst = inside.instances(0);
  EXPECT_EQ(inst.master().pid(), 1);
  EXPECT_EQ(inst.master().ppid(), 0);
  EXPECT_EQ(inst.workers_size(), 2);
  for (const auto& w : inst.workers()) EXPECT_LT(w.pid(), 100);
  EXPECT_EQ(inst.config().at("workers").value(), "2");
}

INSTANTIATE_TEST_SUITE_P(Releases, GunicornProbe, ::testing::ValuesIn(corral::testing::TestedReleases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return corral::testing::ReleaseTestName(info.param);
                         });

}  // namespace
}  // namespace corral::agent
