// The control socket of real Gunicorn 26.x as an exact source: with
// setproctitle erasing everything, in another mount and PID namespace, when
// the master does not answer, and when it has none.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/probe.h"
#include "common/snapshot_facts.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

using corral::testing::GunicornOptions;
using corral::testing::GunicornProcess;

std::string Bind() { return "127.0.0.1:" + std::to_string(corral::testing::FreePort()); }

std::unique_ptr<GunicornProcess> StartOrDie(GunicornOptions options) {
  options.release = "26";
  absl::StatusOr<std::unique_ptr<GunicornProcess>> g = GunicornProcess::Start(std::move(options));
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? *std::move(g) : nullptr;
}

// Discovers until `done` holds for the master's instance (setproctitle and
// the control server start a moment after the workers).
std::optional<corral::v1::GunicornInstance> InspectUntil(
    const GunicornProcess& g, const std::function<bool(const corral::v1::GunicornInstance&)>& done,
    ProbeOptions options = {}, int master_pid = 0) {
  std::optional<corral::v1::GunicornInstance> found;
  for (int i = 0; i < 200; ++i) {
    Probe probe(options);
    corral::v1::Snapshot s = probe.Discover();
    for (const auto& inst : s.instances()) {
      if (inst.master().pid() == (master_pid ? master_pid : g.master_pid())) found = inst;
    }
    if (found && done(*found)) return found;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return found;
}

bool Answered(const corral::v1::GunicornInstance& inst) { return inst.control_socket().state() == "answered"; }

std::vector<int> Sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool HasWarning(const corral::v1::GunicornInstance& inst, const std::string& code) {
  for (const auto& w : inst.warnings()) {
    if (w.code() == code) return true;
  }
  return false;
}

// `name = value` lines of --print-config.
std::map<std::string, std::string> PrintConfig(const std::vector<std::string>& args, const std::string& cwd,
                                               std::vector<std::pair<std::string, std::string>> env) {
  absl::StatusOr<std::string> site = corral::testing::GunicornReleaseSite("26");
  EXPECT_TRUE(site.ok()) << site.status();
  std::vector<std::string> argv = {"/usr/bin/python3", "-m", "gunicorn", "--print-config"};
  argv.insert(argv.end(), args.begin(), args.end());
  env.emplace_back("PYTHONPATH", site.value_or(""));
  corral::testing::RunResult r = corral::testing::RunCommand(argv, env, cwd);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> values;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    size_t eq = line.find(" =");
    if (eq == absl::string_view::npos) continue;
    values[std::string(absl::StripAsciiWhitespace(line.substr(0, eq)))] =
        std::string(absl::StripAsciiWhitespace(line.substr(eq + 2)));
  }
  return values;
}

// A setting as Corral shows it, written the way --print-config prints it.
std::string AsPrinted(const std::string& name, const std::string& value) {
  if (value == "true") return "True";
  if (value == "false") return "False";
  if (name == "bind" || name == "dirty_apps") {
    std::vector<std::string> items;
    for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipEmpty())) {
      items.push_back(absl::StrCat("'", item, "'"));
    }
    return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
  }
  if (value.empty()) return "None";
  return value;
}

TEST(ControlSocket, WithSetproctitleEverySettingItReportsIsKnownAndMatchesGunicornsLoader) {
  std::string dir = corral::testing::MakeTempDir("ctl");
  GunicornProcess::WriteApp(dir);
  corral::testing::WriteFile(dir + "/dapp.py",
                             "from gunicorn.dirty import DirtyApp\nclass Heavy(DirtyApp):\n    pass\n");
  std::vector<std::string> args = {
      "-w",          "3",          "--timeout",       "77", "--threads", "2",    "--preload",       "--keep-alive", "9",
      "--dirty-app", "dapp:Heavy", "--dirty-workers", "1",  "-b",        Bind(), "wsgi:application"};
  GunicornOptions options;
  options.cwd = dir;
  options.launcher = {"/usr/bin/python3", "-m", "gunicorn"};
  options.args = args;
  options.env = {{"HOME", dir}, {"XDG_RUNTIME_DIR", ""}};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  std::optional<corral::v1::GunicornInstance> inst = InspectUntil(*g, [](const auto& i) {
    return i.inputs().argv_erased() && Answered(i) && i.workers_size() == 3 && i.dirty_workers_size() == 1;
  });
  ASSERT_TRUE(inst.has_value()) << g->Log();
  ASSERT_TRUE(Answered(*inst)) << inst->control_socket().error();
  EXPECT_TRUE(inst->inputs().argv_erased());
  EXPECT_TRUE(inst->inputs().environ_erased());
  EXPECT_EQ(inst->control_socket().path(), dir + "/.gunicorn/gunicorn.ctl");
  EXPECT_EQ(inst->control_socket().found_by(), "listening socket");

  // Every setting the socket reports is known and equal to Gunicorn's own
  // loader run with the same arguments.
  std::map<std::string, std::string> truth = PrintConfig(args, dir, options.env);
  int from_socket = 0;
  for (const auto& [name, setting] : inst->config()) {
    if (setting.source() != "control_socket") continue;
    ++from_socket;
    std::string printed = truth.at(name);
    if (name == "worker_class") printed = "gthread";  // threads=2: the class Gunicorn runs
    EXPECT_EQ(AsPrinted(name, setting.value()), printed) << name;
  }
  for (const char* name : {"workers", "timeout", "threads", "preload_app", "keepalive", "bind", "worker_class",
                           "dirty_apps", "dirty_workers", "dirty_timeout", "control_socket", "graceful_timeout",
                           "max_requests", "reload", "daemon", "pidfile"}) {
    EXPECT_EQ(inst->config().at(name).source(), "control_socket") << name;
  }
  EXPECT_GE(from_socket, 19);
  EXPECT_EQ(corral::ConfiguredWorkers(*inst), 3);
  EXPECT_EQ(inst->config().at("timeout").value(), "77");

  // The workers it lists are the ones /proc shows, and Gunicorn logged.
  std::vector<int> web(inst->control_socket().web_worker_pids().begin(),
                       inst->control_socket().web_worker_pids().end());
  // (A worker logs its boot a moment after its fork.)
  corral::testing::WaitFor([&] { return g->LoggedPids("Booting worker with pid: ").size() >= 3; }, absl::Seconds(10));
  EXPECT_EQ(Sorted(web), Sorted(g->LoggedPids("Booting worker with pid: ")));
  EXPECT_FALSE(HasWarning(*inst, "CONTROL_SOCKET_WORKERS_DIFFER"));
  EXPECT_FALSE(HasWarning(*inst, "CONTROL_SOCKET_DISAGREES"));
  EXPECT_EQ(inst->control_socket().workers_target(), 3);

  // The environment is erased, so the package found on the standard path
  // (Debian's 20.1) cannot be the one that answers: the release is unknown
  // and the newest table read the master.
  EXPECT_EQ(inst->gunicorn_version(), "");
  EXPECT_NE(inst->gunicorn_version_note().find("answers on a control socket"), std::string::npos);
  EXPECT_TRUE(HasWarning(*inst, "GUNICORN_VERSION_UNKNOWN"));
}

TEST(ControlSocket, ReachedInAnotherMountAndPidNamespace) {
  // The socket lives on a tmpfs mounted only inside the master's mount
  // namespace: the agent reaches it through /proc/PID/root.
  std::string dir = corral::testing::MakeTempDir("ctlns");
  GunicornProcess::WriteApp(dir);
  std::string runtime = dir + "/run";
  corral::testing::WriteFile(runtime + "/.keep", "");
  GunicornOptions options;
  options.cwd = dir;
  options.setproctitle = false;
  options.own_pid_namespace = true;
  options.launcher = {"/bin/sh", "-c", "mount -t tmpfs tmpfs \"$0\" && exec /usr/bin/python3 -m gunicorn \"$@\"",
                      runtime};
  options.args = {"-w", "2", "-b", Bind(), "app:app"};
  options.env = {{"XDG_RUNTIME_DIR", runtime}};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(2).ok());
  std::optional<corral::v1::GunicornInstance> inst =
      InspectUntil(*g, [](const auto& i) { return Answered(i) && i.workers_size() == 2; });
  ASSERT_TRUE(inst.has_value()) << g->Log();
  ASSERT_TRUE(Answered(*inst)) << inst->control_socket().state() << ": " << inst->control_socket().error();
  EXPECT_EQ(inst->control_socket().path(), runtime + "/gunicorn.ctl");
  // Invisible from here: only inside the namespace's tmpfs.
  struct stat st;
  EXPECT_NE(::stat((runtime + "/gunicorn.ctl").c_str(), &st), 0);
  EXPECT_EQ(inst->config().at("workers").source(), "control_socket");
  EXPECT_EQ(inst->config().at("control_socket").value(), runtime + "/gunicorn.ctl");
  // The master lists its workers by the namespace's pids; they match /proc.
  EXPECT_EQ(inst->control_socket().web_worker_pids_size(), 2);
  for (int pid : inst->control_socket().web_worker_pids()) EXPECT_LT(pid, 100);
  EXPECT_FALSE(HasWarning(*inst, "CONTROL_SOCKET_WORKERS_DIFFER"));
}

TEST(ControlSocket, AMasterThatNeverAnswersGivesAPartialRecordInBoundedTime) {
  GunicornOptions options;
  options.setproctitle = false;
  options.args = {"-w", "2", "--timeout", "55", "-b", Bind(), "app:app"};
  options.env = {{"HOME", corral::testing::MakeTempDir("home")}, {"XDG_RUNTIME_DIR", ""}};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(InspectUntil(*g, Answered).has_value());
  // Stopped, the master's control thread accepts nothing and answers
  // nothing; the kernel still queues the connection.
  g->Signal(SIGSTOP);
  ProbeOptions options_short;
  options_short.control_socket_deadline = absl::Milliseconds(300);
  Probe probe(options_short);
  corral::v1::Snapshot s = probe.Discover();
  g->Signal(SIGCONT);
  const corral::v1::GunicornInstance* inst = nullptr;
  for (const auto& i : s.instances()) {
    if (i.master().pid() == g->master_pid()) inst = &i;
  }
  ASSERT_NE(inst, nullptr);
  EXPECT_EQ(inst->control_socket().state(), "failed");
  EXPECT_EQ(inst->control_socket().error(), "no answer in time (reading)");
  // The reconstruction stands in for what the socket would have said.
  EXPECT_EQ(inst->config().at("timeout").source(), "cmdline");
  EXPECT_EQ(inst->config().at("timeout").value(), "55");
  EXPECT_EQ(inst->workers_size(), 2);
}

TEST(ControlSocket, NoControlSocketAndTheAgentsOwnSwitch) {
  GunicornOptions options;
  options.setproctitle = false;
  options.args = {"-w", "1", "--no-control-socket", "-b", Bind(), "app:app"};
  auto g = StartOrDie(options);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->WaitForWorkers(1).ok());
  std::optional<corral::v1::GunicornInstance> inst =
      InspectUntil(*g, [](const auto& i) { return i.workers_size() == 1; });
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(inst->control_socket().state(), "disabled");
  EXPECT_EQ(inst->config().at("control_socket_disable").value(), "true");
  EXPECT_EQ(inst->config().at("workers").source(), "cmdline");

  // With titles, the flag is erased too: nothing listens, nothing is found.
  GunicornOptions titled;
  titled.args = {"-w", "1", "--no-control-socket", "-b", Bind(), "app:app"};
  auto t = StartOrDie(titled);
  ASSERT_NE(t, nullptr);
  std::optional<corral::v1::GunicornInstance> erased =
      InspectUntil(*t, [](const auto& i) { return i.inputs().argv_erased() && i.workers_size() == 1; });
  ASSERT_TRUE(erased.has_value());
  EXPECT_EQ(erased->control_socket().state(), "not_found");

  // A socket that answers is not asked when the agent is told not to.
  GunicornOptions answering;
  answering.setproctitle = false;
  answering.args = {"-w", "1", "-b", Bind(), "app:app"};
  answering.env = {{"HOME", corral::testing::MakeTempDir("home")}, {"XDG_RUNTIME_DIR", ""}};
  auto a = StartOrDie(answering);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(InspectUntil(*a, Answered).has_value());
  ProbeOptions off;
  off.control_socket = false;
  std::optional<corral::v1::GunicornInstance> quiet = InspectUntil(
      *a, [](const auto& i) { return i.workers_size() == 1; }, off);
  ASSERT_TRUE(quiet.has_value());
  EXPECT_EQ(quiet->control_socket().state(), "off");
  EXPECT_EQ(quiet->config().at("workers").source(), "cmdline");
}

}  // namespace
}  // namespace corral::agent
