// The exact-config hook (agent/gunicorn/corral_hook.py) in real Gunicorn: a
// gunicorn.conf.py enables it in one line, the probe reads what it writes,
// the user's own hooks still run, and without an agent nothing changes.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/hook_reader.h"
#include "agent/probe.h"
#include "common/snapshot_facts.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

using corral::testing::GunicornOptions;
using corral::testing::GunicornProcess;
using ::testing::HasSubstr;

constexpr char kEnableHook[] = "from corral_hook import install; install()\n";

// The user's own post_fork: one marker file per worker.
constexpr char kUserPostFork[] =
    "import os\n"
    "def post_fork(server, worker):\n"
    "    open(os.path.join(os.environ['MARKS'], 'post_fork-%d' % worker.pid), 'w').close()\n";

// Gunicorn's launcher with PYTHONPATH reaching corral_hook.py. GunicornProcess
// sets PYTHONPATH itself, and a second PYTHONPATH in the environment would be
// ignored, so `env` replaces it. Without setproctitle, a stub that refuses to
// import goes first.
// The release the running test starts (HookIntegration's parameter).
std::string current_release = "20.1";

std::vector<std::string> Launcher(bool setproctitle) {
  std::string path = corral::testing::SourceDir() + "/agent/gunicorn";
  absl::StatusOr<std::string> site = corral::testing::GunicornReleaseSite(current_release);
  EXPECT_TRUE(site.ok()) << site.status();
  if (site.ok() && !site->empty()) path += ":" + *site;
  if (!setproctitle) {
    std::string stub = corral::testing::MakeTempDir("nospt");
    corral::testing::WriteFile(stub + "/setproctitle/__init__.py", "raise ImportError('no setproctitle here')\n");
    path = stub + ":" + path;
  }
  return {"/usr/bin/env", "PYTHONPATH=" + path, "/usr/bin/gunicorn"};
}

struct HookedGunicorn {
  std::unique_ptr<GunicornProcess> process;
  std::string app_dir;
  std::string hook_dir;
  std::string marks;
  std::string bind;
};

// Starts Gunicorn in a fresh app directory whose gunicorn.conf.py is `config`,
// publishing to `hook_dir`. "{bind}" in `config` and `args` becomes
// 127.0.0.1 and a free port; `files` (name, content) go into the app
// directory first.
HookedGunicorn Start(const std::string& config, std::vector<std::string> args, const std::string& hook_dir,
                     bool setproctitle = true, bool own_pid_namespace = false,
                     const std::map<std::string, std::string>& files = {}) {
  HookedGunicorn h;
  h.app_dir = corral::testing::MakeTempDir("hookapp");
  h.hook_dir = hook_dir;
  h.marks = corral::testing::MakeTempDir("marks");
  h.bind = "127.0.0.1:" + std::to_string(corral::testing::FreePort());
  GunicornProcess::WriteApp(h.app_dir);
  for (const auto& [name, content] : files) corral::testing::WriteFile(h.app_dir + "/" + name, content);
  auto with_bind = [&](std::string text) {
    for (size_t at = text.find("{bind}"); at != std::string::npos; at = text.find("{bind}")) {
      text.replace(at, 6, h.bind);
    }
    return text;
  };
  corral::testing::WriteFile(h.app_dir + "/gunicorn.conf.py", with_bind(config));
  for (std::string& arg : args) arg = with_bind(arg);
  GunicornOptions options;
  options.launcher = Launcher(setproctitle);
  options.args = std::move(args);
  options.cwd = h.app_dir;
  options.own_pid_namespace = own_pid_namespace;
  // The module is imported from the source tree: leave no __pycache__ there.
  // Its own HOME: 26.x's control socket defaults to ~/.gunicorn/gunicorn.ctl.
  options.env = {{"CORRAL_HOOK_DIR", hook_dir},
                 {"MARKS", h.marks},
                 {"PYTHONDONTWRITEBYTECODE", "1"},
                 {"HOME", h.app_dir},
                 {"XDG_RUNTIME_DIR", ""}};
  absl::StatusOr<std::unique_ptr<GunicornProcess>> g = GunicornProcess::Start(std::move(options));
  EXPECT_TRUE(g.ok()) << g.status();
  if (g.ok()) h.process = *std::move(g);
  return h;
}

std::optional<HookReport> ReadReport(const std::string& path) {
  absl::StatusOr<std::string> content = ReadHookFile(path);
  if (!content.ok()) return std::nullopt;
  absl::StatusOr<HookReport> report = ParseHookReport(*content);
  EXPECT_TRUE(report.ok()) << report.status() << "\n" << *content;
  return report.ok() ? std::optional<HookReport>(*std::move(report)) : std::nullopt;
}

// Waits until the hook file of `pid` in `dir` satisfies `condition`;
// nullopt when it never does.
std::optional<HookReport> WaitForReport(const std::string& dir, int pid,
                                        const std::function<bool(const HookReport&)>& condition) {
  std::optional<HookReport> report;
  bool met = corral::testing::WaitFor(
      [&] {
        report = ReadReport(HookFilePath(dir, pid));
        return report && condition(*report);
      },
      absl::Seconds(15));
  if (!met) ADD_FAILURE() << "the hook file of master " << pid << " never met the condition";
  return met ? report : std::nullopt;
}

std::optional<corral::v1::GunicornInstance> Find(const corral::v1::Snapshot& s, int pid) {
  for (const auto& inst : s.instances()) {
    if (inst.master().pid() == pid) return inst;
  }
  return std::nullopt;
}

// Discovers `pid` with hooks read from `hook_dir`, once setproctitle (when
// on) has retitled the master.
std::optional<corral::v1::GunicornInstance> Inspect(int pid, const std::string& hook_dir, bool expect_erased) {
  ProbeOptions options;
  options.hook_dir = hook_dir;
  Probe probe(options);
  std::optional<corral::v1::GunicornInstance> inst;
  corral::testing::WaitFor(
      [&] {
        inst = Find(probe.Discover(), pid);
        return inst && inst->inputs().argv_erased() == expect_erased;
      },
      absl::Seconds(10));
  return inst;
}

std::string Value(const corral::v1::GunicornInstance& inst, const std::string& name) {
  auto it = inst.config().find(name);
  if (it == inst.config().end()) return "(absent)";
  return it->second.source() + ":" + it->second.value();
}

std::vector<std::string> WarningsWithCode(const corral::v1::GunicornInstance& inst, const std::string& code) {
  std::vector<std::string> messages;
  for (const auto& w : inst.warnings()) {
    if (w.code() == code) messages.push_back(w.message());
  }
  return messages;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

class HookIntegration : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { current_release = GetParam(); }
};

TEST_P(HookIntegration, WithSetproctitleEverySettingComesFromTheHook) {
  std::string hook_dir = corral::testing::MakeTempDir("hookdir");
  HookedGunicorn h = Start(absl::StrCat("workers = 2\nbind = '{bind}'\n", kUserPostFork, kEnableHook),
                           {"--timeout", "77", "app:app"}, hook_dir);
  ASSERT_NE(h.process, nullptr);
  absl::StatusOr<std::vector<int>> workers = h.process->WaitForWorkers(2);
  ASSERT_TRUE(workers.ok()) << workers.status();
  int pid = h.process->master_pid();
  // Both forks follow when_ready's write within a second: the update held
  // back by the rate limit still lands.
  std::optional<HookReport> report =
      WaitForReport(hook_dir, pid, [](const HookReport& r) { return r.events.at("post_fork") == 2; });
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->pid, pid);
  EXPECT_EQ(report->settings.at("post_fork"), "__config__.post_fork");  // the user's hook, chained

  std::optional<corral::v1::GunicornInstance> inst = Inspect(pid, hook_dir, /*expect_erased=*/true);
  ASSERT_TRUE(inst.has_value());
  EXPECT_TRUE(inst->inputs().argv_erased());
  EXPECT_TRUE(inst->inputs().environ_erased());
  for (const auto& [name, setting] : inst->config()) EXPECT_EQ(setting.source(), "hook") << name;
  EXPECT_EQ(Value(*inst, "workers"), "hook:2");
  EXPECT_EQ(Value(*inst, "timeout"), "hook:77");
  EXPECT_EQ(Value(*inst, "bind"), "hook:" + h.bind);
  EXPECT_EQ(Value(*inst, "keepalive"), "hook:2");
  EXPECT_EQ(Value(*inst, "worker_class"), "hook:sync");
  EXPECT_EQ(Value(*inst, "app_uri"), "hook:app:app");
  EXPECT_EQ(inst->app_uri(), "app:app");
  EXPECT_THAT(inst->config().at("bind").note(), HasSubstr("listening on http://" + h.bind));
  EXPECT_TRUE(WarningsWithCode(*inst, "SETTINGS_UNKNOWABLE").empty());
  EXPECT_TRUE(WarningsWithCode(*inst, "HOOK_DISAGREES").empty())
      << absl::StrJoin(WarningsWithCode(*inst, "HOOK_DISAGREES"), "\n");
  // The one-liner is plain enough for Corral's static reading of the file.
  EXPECT_TRUE(WarningsWithCode(*inst, "CONFIG_NOT_EVALUATED").empty())
      << absl::StrJoin(WarningsWithCode(*inst, "CONFIG_NOT_EVALUATED"), "\n");
  EXPECT_EQ(corral::LiveWorkers(*inst), 2);
  for (int worker : *workers) EXPECT_TRUE(Exists(absl::StrCat(h.marks, "/post_fork-", worker))) << worker;
  // Gunicorn's own version, exact although the environment is erased.
  EXPECT_TRUE(absl::StartsWith(inst->gunicorn_version(), GetParam())) << inst->gunicorn_version();
  EXPECT_EQ(inst->gunicorn_version_source(), "corral hook");
}

TEST_P(HookIntegration, TtinAndTtouRewriteTheFileAndTheSteadyStateSampleFollows) {
  // In its own PID namespace the master is pid 1 both in the file's name and
  // to a probe reading that namespace's /proc, and other tests' processes
  // cannot force a rediscovery.
  std::string hook_dir = corral::testing::MakeTempDir("hookdir");
  // The user's nworkers_changed, which the hook wraps, records its arguments.
  const char* user_hook =
      "import os\n"
      "def nworkers_changed(server, new_value, old_value):\n"
      "    open(os.path.join(os.environ['MARKS'], 'nworkers-%s-%s' % (new_value, old_value)), 'w').close()\n";
  HookedGunicorn h = Start(absl::StrCat("workers = 2\nbind = '{bind}'\n", user_hook, kEnableHook), {"app:app"},
                           hook_dir, /*setproctitle=*/true, /*own_pid_namespace=*/true);
  ASSERT_NE(h.process, nullptr);
  ASSERT_TRUE(h.process->WaitForWorkers(2).ok());
  ASSERT_TRUE(WaitForReport(hook_dir, 1, [](const HookReport& r) { return r.events.at("post_fork") == 2; }));
  ProbeOptions options;
  options.proc_root = "/proc/" + std::to_string(h.process->master_pid()) + "/root/proc";
  options.hook_dir = hook_dir;
  Probe probe(options);
  std::optional<corral::v1::GunicornInstance> first = Find(probe.Discover(), 1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Value(*first, "workers"), "hook:2");

  h.process->Signal(SIGTTIN);
  ASSERT_TRUE(h.process->WaitForWorkers(3).ok());
  std::optional<HookReport> up = WaitForReport(hook_dir, 1, [](const HookReport& r) { return r.num_workers == 3; });
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->settings.at("workers"), "2");  // the configured value; the target moved
  EXPECT_EQ(up->events.at("nworkers_changed"), 1);
  ASSERT_TRUE(up->last_event.has_value());
  EXPECT_EQ(up->last_event->name, "nworkers_changed");
  EXPECT_EQ(up->last_event->fields, (std::map<std::string, int64_t>{{"new_value", 3}, {"old_value", 2}}));
  corral::v1::Snapshot scaled = probe.Sample();
  EXPECT_EQ(scaled.scan_kind(), corral::v1::STEADY_STATE);
  std::optional<corral::v1::GunicornInstance> inst = Find(scaled, 1);
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(Value(*inst, "workers"), "hook:2");
  EXPECT_THAT(inst->config().at("workers").note(), HasSubstr("the master's target is now 3"));
  EXPECT_EQ(corral::LiveWorkers(*inst), 3);

  h.process->Signal(SIGTTOU);
  ASSERT_TRUE(h.process->WaitForWorkers(2).ok());
  std::optional<HookReport> down = WaitForReport(hook_dir, 1, [](const HookReport& r) { return r.num_workers == 2; });
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->events.at("nworkers_changed"), 2);
  corral::v1::Snapshot back = probe.Sample();
  EXPECT_EQ(back.scan_kind(), corral::v1::STEADY_STATE);
  inst = Find(back, 1);
  ASSERT_TRUE(inst.has_value());
  EXPECT_THAT(inst->config().at("workers").note(), ::testing::Not(HasSubstr("target")));
  // Gunicorn's call at set-up (old value None), then TTIN and TTOU.
  for (const char* marker : {"nworkers-2-None", "nworkers-3-2", "nworkers-2-3"}) {
    // Written right after the hook's own update.
    EXPECT_TRUE(corral::testing::WaitFor([&] { return Exists(absl::StrCat(h.marks, "/", marker)); }, absl::Seconds(5)))
        << marker;
  }
}

TEST_P(HookIntegration, WithoutAnAgentGunicornServesAsBefore) {
  std::string missing = corral::testing::MakeTempDir("noagent") + "/run-corral";
  HookedGunicorn h =
      Start(absl::StrCat("workers = 2\nbind = '{bind}'\nloglevel = 'debug'\n", kUserPostFork, kEnableHook), {"app:app"},
            missing);
  ASSERT_NE(h.process, nullptr);
  absl::StatusOr<std::vector<int>> workers = h.process->WaitForWorkers(2);
  ASSERT_TRUE(workers.ok()) << workers.status();
  corral::testing::RunResult r =
      corral::testing::RunCommand({"curl", "-sS", "--max-time", "10", "http://" + h.bind + "/"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");

  // The hooks still run with nothing to publish to.
  h.process->Signal(SIGTTIN);
  ASSERT_TRUE(h.process->WaitForWorkers(3).ok());
  r = corral::testing::RunCommand({"curl", "-sS", "--max-time", "10", "http://" + h.bind + "/"});
  EXPECT_EQ(r.out, "ok\n") << r.err;
  for (int worker : *workers) EXPECT_TRUE(Exists(absl::StrCat(h.marks, "/post_fork-", worker))) << worker;
  EXPECT_FALSE(Exists(missing));

  std::string log = corral::testing::ReadLog(h.app_dir + "/gunicorn.log");
  EXPECT_EQ(corral::testing::CountOccurrences(
                log, absl::StrCat("corral hook: ", missing, " is missing or not writable; not publishing")),
            1)
      << log;
  EXPECT_EQ(corral::testing::CountOccurrences(log, "Traceback"), 0) << log;
}

TEST_P(HookIntegration, WithoutSetproctitleTheHookAgreesWithTheReconstruction) {
  // Every input is visible here, so the two must tell the same story: any
  // HOOK_DISAGREES is a rendering difference between the hook and the agent.
  std::string hook_dir = corral::testing::MakeTempDir("hookdir");
  HookedGunicorn h = Start(absl::StrCat("max_requests = 100\nkeepalive = 7\nraw_env = ['A=1', 'B=2']\n",
                                        "forwarded_allow_ips = '10.0.0.1, 10.0.0.2'\nproc_name = 'svc'\n", kEnableHook),
                           {"-w", "3", "--timeout", "45", "--threads", "2", "-b", "{bind}", "--preload", "-m", "022",
                            "--statsd-host", "localhost:8125", "--graceful-timeout", "11", "wsgi:application"},
                           hook_dir, /*setproctitle=*/false);
  ASSERT_NE(h.process, nullptr);
  ASSERT_TRUE(h.process->WaitForWorkers(3).ok());
  int pid = h.process->master_pid();
  ASSERT_TRUE(WaitForReport(hook_dir, pid, [](const HookReport& r) { return r.events.at("post_fork") == 3; }));
  std::optional<corral::v1::GunicornInstance> inst = Inspect(pid, hook_dir, /*expect_erased=*/false);
  ASSERT_TRUE(inst.has_value());
  EXPECT_TRUE(WarningsWithCode(*inst, "HOOK_DISAGREES").empty())
      << absl::StrJoin(WarningsWithCode(*inst, "HOOK_DISAGREES"), "\n");
  for (const auto& [name, setting] : inst->config()) EXPECT_EQ(setting.source(), "hook") << name;
  EXPECT_EQ(Value(*inst, "workers"), "hook:3");
  EXPECT_EQ(Value(*inst, "timeout"), "hook:45");
  EXPECT_EQ(Value(*inst, "worker_class"), "hook:gthread");
  EXPECT_EQ(Value(*inst, "max_requests"), "hook:100");
  EXPECT_EQ(Value(*inst, "keepalive"), "hook:7");
  EXPECT_EQ(Value(*inst, "raw_env"), "hook:A=1,B=2");
  EXPECT_EQ(Value(*inst, "preload_app"), "hook:true");
  EXPECT_EQ(Value(*inst, "umask"), "hook:18");
  EXPECT_EQ(Value(*inst, "statsd_host"), "hook:localhost:8125");
  EXPECT_EQ(Value(*inst, "forwarded_allow_ips"), "hook:10.0.0.1,10.0.0.2");
  EXPECT_EQ(Value(*inst, "user"), absl::StrCat("hook:", ::geteuid()));
  EXPECT_EQ(Value(*inst, "app_uri"), "hook:wsgi:application");
  EXPECT_EQ(inst->config().at("workers").note(), "set by cmdline");
  EXPECT_EQ(inst->config().at("max_requests").note(),
            absl::StrCat("set by config_file ", h.app_dir, "/gunicorn.conf.py:1"));
  EXPECT_THAT(inst->config().at("worker_class").note(),
              HasSubstr("the worker_class setting is 'sync'; class gunicorn.workers.gthread.ThreadWorker"));
}

TEST_P(HookIntegration, AConfigFileEditedAfterStartIsReportedAsDisagreeing) {
  std::string hook_dir = corral::testing::MakeTempDir("hookdir");
  HookedGunicorn h = Start(absl::StrCat("workers = 2\nbind = '{bind}'\n", kEnableHook), {"app:app"}, hook_dir);
  ASSERT_NE(h.process, nullptr);
  ASSERT_TRUE(h.process->WaitForWorkers(2).ok());
  int pid = h.process->master_pid();
  ASSERT_TRUE(WaitForReport(hook_dir, pid, [](const HookReport& r) { return r.events.at("post_fork") == 2; }));
  // Someone edits the file and never reloads Gunicorn.
  corral::testing::WriteFile(h.app_dir + "/gunicorn.conf.py",
                             absl::StrCat("bind = '", h.bind, "'\nworkers = 5\n", kEnableHook));

  std::optional<corral::v1::GunicornInstance> inst = Inspect(pid, hook_dir, /*expect_erased=*/true);
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(Value(*inst, "workers"), "hook:2");
  std::vector<std::string> disagreements = WarningsWithCode(*inst, "HOOK_DISAGREES");
  ASSERT_EQ(disagreements.size(), 1u) << absl::StrJoin(disagreements, "\n");
  EXPECT_EQ(disagreements[0], absl::StrCat("workers: Gunicorn reports '2' through the hook, but Corral's "
                                           "reconstruction found '5' (config_file ",
                                           h.app_dir, "/gunicorn.conf.py:2); the hook's value is the one in effect"));
  EXPECT_FALSE(WarningsWithCode(*inst, "CONFIG_FILE_CHANGED").empty());
  EXPECT_TRUE(WarningsWithCode(*inst, "FEWER_WORKERS_THAN_CONFIGURED").empty());
}

TEST_P(HookIntegration, AWorkerKilledForATimeoutIsCountedAsAborted) {
  std::string hook_dir = corral::testing::MakeTempDir("hookdir");
  const char* slow_app =
      "import time\n"
      "def app(environ, start_response):\n"
      "    time.sleep(60)\n";
  HookedGunicorn h = Start(absl::StrCat("workers = 1\nbind = '{bind}'\ntimeout = 1\n", kEnableHook), {"slow:app"},
                           hook_dir, /*setproctitle=*/true, /*own_pid_namespace=*/false, {{"slow.py", slow_app}});
  ASSERT_NE(h.process, nullptr);
  absl::StatusOr<std::vector<int>> before = h.process->WaitForWorkers(1);
  ASSERT_TRUE(before.ok()) << before.status();
  int pid = h.process->master_pid();
  ASSERT_TRUE(WaitForReport(hook_dir, pid, [](const HookReport& r) { return r.events.at("post_fork") == 1; }));

  // The request hangs the only worker; the master aborts it after the
  // timeout (20.1 closes the connection, later releases may answer 500:
  // the hook's counters are what this is about).
  corral::testing::RunCommand({"curl", "-sS", "--max-time", "30", "http://" + h.bind + "/"});
  std::optional<HookReport> report = WaitForReport(hook_dir, pid, [](const HookReport& r) {
    return r.events.at("child_exit") == 1 && r.events.at("post_fork") == 2;
  });
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->events.at("worker_abort"), 1);
  EXPECT_EQ(report->events.at("child_exit"), 1);
}

INSTANTIATE_TEST_SUITE_P(Releases, HookIntegration, ::testing::ValuesIn(corral::testing::TestedReleases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return corral::testing::ReleaseTestName(info.param);
                         });

}  // namespace
}  // namespace corral::agent
