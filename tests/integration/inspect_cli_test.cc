// The `corral` binary against a real Gunicorn: exit codes, JSON, text.
#include <sys/stat.h>
#include <unistd.h>

#include "agent/proc_reader.h"
#include "corral/v1/snapshot.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::BinPath;
using corral::testing::RunCommand;

// The instance of `snapshot` whose master is `pid`, or nullptr.
const corral::v1::GunicornInstance* InstanceOf(const corral::v1::Snapshot& snapshot, int pid) {
  for (const auto& i : snapshot.instances()) {
    if (i.master().pid() == pid) return &i;
  }
  return nullptr;
}

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

// Cgroup and sysfs files are made by the kernel as they are read: their
// size (0 or 4096) never matches what is read, which a check meant for
// configuration files rewritten mid-read once took for a file changing, so
// no container resource was ever read.
TEST(InspectCli, ContainerResourcesAreReadFromTheKernelsFiles) {
  corral::testing::GunicornOptions options;
  options.setproctitle = false;
  options.args = {"-w", "1", "-b", "127.0.0.1:" + std::to_string(corral::testing::FreePort()), "app:app"};
  auto g = corral::testing::GunicornProcess::Start(options);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE((*g)->WaitForWorkers(1).ok());

  corral::testing::RunResult json = RunCommand({BinPath("corral"), "inspect", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  corral::v1::Snapshot snapshot;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &snapshot).ok());
  const corral::v1::GunicornInstance* inst = InstanceOf(snapshot, (*g)->master_pid());
  ASSERT_NE(inst, nullptr) << json.out;
  const corral::v1::ContainerResources& r = inst->resources();
  for (const std::string& e : r.read_errors()) EXPECT_EQ(e.find("changed while being read"), std::string::npos) << e;
  // From /sys/devices/system/cpu/online (or the cgroup's cpuset or quota).
  EXPECT_GT(r.effective_cpus(), 0) << r.DebugString();
  EXPECT_LE(r.effective_cpus(), ::sysconf(_SC_NPROCESSORS_ONLN)) << r.DebugString();
  // Where the cgroup has a memory controller, its usage.
  std::string usage = r.cgroup_path() + (r.cgroup_version() == "v2" ? "/memory.current" : "/memory.usage_in_bytes");
  if (!r.cgroup_path().empty() && ::access(usage.c_str(), R_OK) == 0) {
    EXPECT_GT(r.memory_usage_bytes(), 0) << r.DebugString();
  }
}

// A FIFO where a file is expected (a configuration file, a cgroup file):
// reading it must not wait for a writer, which would hold the whole scan.
TEST(ProcReaderAsProcess, AFifoIsRefusedWithoutWaiting) {
  std::string dir = corral::testing::MakeTempDir("fifo");
  std::string path = dir + "/gunicorn.conf.py";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  agent::ProcReader reader("/proc");
  std::optional<absl::StatusOr<agent::MasterFile>> file =
      corral::testing::ReadFifoWithoutAWriter(path, [&] { return reader.ReadAsProcess(::getpid(), path); });
  ASSERT_TRUE(file.has_value()) << "reading a FIFO waited for a writer";
  EXPECT_EQ(file->status().code(), absl::StatusCode::kFailedPrecondition) << file->status();
  EXPECT_NE(file->status().message().find("is not a regular file"), std::string::npos) << file->status();
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

namespace corral {
namespace {

// An unprivileged inspector cannot read another user's environ, cwd, fd
// table or root: the record is partial and says why, and nothing unread is
// claimed.
TEST(InspectCli, AnotherUsersGunicornGivesAPartialRecordThatSaysWhy) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to start Gunicorn as another user than the inspector";
  corral::testing::GunicornOptions options;
  options.setproctitle = false;
  options.args = {"-w", "2", "-b", "127.0.0.1:" + std::to_string(corral::testing::FreePort()), "app:app"};
  auto g = corral::testing::GunicornProcess::Start(options);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE((*g)->WaitForWorkers(2).ok());

  corral::testing::RunResult r = RunCommand(
      {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", BinPath("corral"), "inspect", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  corral::v1::Snapshot snapshot;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &snapshot).ok()) << r.out;
  const corral::v1::GunicornInstance* inst = InstanceOf(snapshot, (*g)->master_pid());
  ASSERT_NE(inst, nullptr) << r.out;
  std::string errors;
  for (const auto& e : inst->master().read_errors()) errors += e + ";";
  EXPECT_NE(errors.find("environ: permission denied"), std::string::npos) << errors;
  EXPECT_NE(errors.find("cwd: permission denied"), std::string::npos) << errors;
  EXPECT_NE(inst->inputs().environ_error().find("permission denied"), std::string::npos);
  // argv is world-readable: command-line values stay known...
  EXPECT_EQ(inst->config().at("workers").value(), "2");
  EXPECT_EQ(inst->config().at("workers").source(), "cmdline");
  // ...but defaults the environment could override are not claimed.
  EXPECT_EQ(inst->config().at("timeout").source(), "unknown");
  ASSERT_EQ(inst->workers_size(), 2);
  for (const auto& w : inst->workers()) {
    EXPECT_FALSE(w.has_heartbeat_age_seconds());
    ASSERT_GE(w.read_errors_size(), 1);
    bool said_why = false;
    for (const auto& e : w.read_errors()) said_why |= e.find("fd table is unreadable") != std::string::npos;
    EXPECT_TRUE(said_why);
  }
}

// The sidecar case: root, but without CAP_SYS_PTRACE, against a Gunicorn
// running as another user. The fd directories list but no link in them
// reads -- which must not pass for an empty fd table (every worker would
// become an "other child", as a real container run once showed).
TEST(InspectCli, RootWithoutPtraceAgainstAnotherUsersGunicornStillCountsItsWorkers) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  corral::testing::GunicornOptions options;
  options.setproctitle = true;  // the stub below replaces the support's own
  // nobody must be able to read the app, and the stub that keeps
  // setproctitle out (titles would tell workers apart without the fds).
  options.cwd = corral::testing::MakeTempDir("nobody-app");
  std::string stub = corral::testing::MakeTempDir("nobody-nospt");
  for (const std::string& dir : {options.cwd, stub}) ::chmod(dir.c_str(), 0755);
  corral::testing::GunicornProcess::WriteApp(options.cwd);
  corral::testing::WriteFile(stub + "/setproctitle/__init__.py", "raise ImportError('no titles here')\n");
  ::chmod((stub + "/setproctitle").c_str(), 0755);
  ::chmod((stub + "/setproctitle/__init__.py").c_str(), 0644);
  options.env = {{"PYTHONPATH", stub}};
  options.launcher = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "/usr/bin/gunicorn"};
  options.args = {"-w", "3", "-b", "127.0.0.1:" + std::to_string(corral::testing::FreePort()), "app:app"};
  auto g = corral::testing::GunicornProcess::Start(options);
  ASSERT_TRUE(g.ok()) << g.status();
  // The master is setpriv's exec: same pid.
  corral::testing::RunResult r;
  const corral::v1::GunicornInstance* inst = nullptr;
  corral::v1::Snapshot snapshot;
  ASSERT_TRUE(corral::testing::WaitFor(
      [&] {
        r = RunCommand({"setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace", "--", BinPath("corral"),
                        "inspect", "--json"});
        snapshot.Clear();
        inst = nullptr;
        if (r.exit_code != 0 || !google::protobuf::util::JsonStringToMessage(r.out, &snapshot).ok()) return false;
        inst = InstanceOf(snapshot, (*g)->master_pid());
        return inst != nullptr && inst->workers_size() + inst->other_children_size() == 3;
      },
      absl::Seconds(20)))
      << r.out << r.err;
  EXPECT_EQ(inst->workers_size(), 3) << r.out;
  EXPECT_EQ(inst->other_children_size(), 0) << r.out;
  for (const auto& w : inst->workers()) {
    bool said_why = false;
    for (const auto& e : w.read_errors()) said_why |= e.find("fd table is unreadable") != std::string::npos;
    EXPECT_TRUE(said_why) << r.out;
  }
}

}  // namespace
}  // namespace corral
