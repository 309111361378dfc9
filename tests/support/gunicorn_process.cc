#include "tests/support/gunicorn_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/subprocess.h"

namespace corral::testing {
namespace {

bool HoldsHeartbeat(int pid) {
  std::string dir = absl::StrCat("/proc/", pid, "/fd");
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (struct dirent* e = ::readdir(d)) {
    char target[4096];
    ssize_t n = ::readlink(absl::StrCat(dir, "/", e->d_name).c_str(), target, sizeof(target) - 1);
    if (n > 0) {
      target[n] = '\0';
      if (std::strstr(target, "/wgunicorn-") != nullptr) found = true;
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace

const std::vector<std::string>& TestedReleases() {
  static const auto* releases = new std::vector<std::string>{"20.1", "23.0", "26"};
  return *releases;
}

std::string ReleaseTestName(const std::string& release) {
  std::string name = "gunicorn_" + release;
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

absl::StatusOr<std::string> GunicornReleaseSite(const std::string& release) {
  if (release == "20.1") return std::string();
  RunResult r = RunCommand({"bash", SourceDir() + "/scripts/gunicorn-releases.sh", "--path", release});
  std::string path(absl::StripTrailingAsciiWhitespace(r.out));
  if (r.exit_code != 0 || path.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("Gunicorn ", release, " is not cached: ", r.err,
                                                      " (make test fetches it: scripts/gunicorn-releases.sh)"));
  }
  return path;
}

std::vector<int> WorkerPids(int master_pid) {
  std::vector<int> workers;
  for (int child : ChildrenOf(master_pid)) {
    if (HoldsHeartbeat(child)) workers.push_back(child);
  }
  return workers;
}

void GunicornProcess::WriteApp(const std::string& dir) {
  const char* app =
      "def app(environ, start_response):\n"
      "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
      "    return [b'ok\\n']\n"
      "application = app\n";
  WriteFile(dir + "/app.py", app);
  WriteFile(dir + "/wsgi.py", app);
}

absl::StatusOr<std::unique_ptr<GunicornProcess>> GunicornProcess::Start(GunicornOptions options) {
  std::unique_ptr<GunicornProcess> g(new GunicornProcess());
  g->app_dir_ = options.cwd.empty() ? MakeTempDir("app") : options.cwd;
  if (options.cwd.empty()) WriteApp(g->app_dir_);
  g->log_path_ = g->app_dir_ + "/gunicorn.log";

  std::vector<std::string> argv;
  if (options.own_pid_namespace) argv = {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--kill-child"};
  argv.insert(argv.end(), options.launcher.begin(), options.launcher.end());
  argv.insert(argv.end(), options.args.begin(), options.args.end());

  // The test's own PYTHONPATH never leaks in; without setproctitle, a stub
  // that fails to import goes first; then the release's package.
  absl::StatusOr<std::string> site = GunicornReleaseSite(options.release);
  if (!site.ok()) return site.status();
  std::vector<std::string> pythonpath;
  if (!options.setproctitle) {
    std::string stub = MakeTempDir("nospt");
    WriteFile(stub + "/setproctitle/__init__.py", "raise ImportError('setproctitle disabled for this test')\n");
    pythonpath.push_back(stub);
  }
  // A PYTHONPATH the test gives goes before the release's package.
  std::vector<std::pair<std::string, std::string>> extra;
  for (const auto& [name, value] : options.env) {
    if (name == "PYTHONPATH") {
      pythonpath.push_back(value);
    } else {
      extra.emplace_back(name, value);
    }
  }
  if (!site->empty()) pythonpath.push_back(*site);
  std::vector<std::pair<std::string, std::string>> env = {{"PYTHONPATH", absl::StrJoin(pythonpath, ":")}};
  env.insert(env.end(), extra.begin(), extra.end());
  g->process_ = Process::Start(argv, env, g->log_path_, g->app_dir_);
  int pid = g->process_->pid();
  if (!options.own_pid_namespace) {
    g->master_pid_ = pid;
    return g;
  }
  // unshare forks Gunicorn as PID 1 of the new namespace: its child.
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    std::vector<int> kids = ChildrenOf(pid);
    if (!kids.empty()) {
      g->master_pid_ = kids[0];
      return g;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("unshare did not start Gunicorn; log: " + ReadLog(g->log_path_));
}

absl::StatusOr<std::vector<int>> GunicornProcess::WaitForWorkers(int n, absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  std::vector<int> workers;
  while (absl::Now() < deadline) {
    workers = WorkerPids(master_pid_);
    if (static_cast<int>(workers.size()) == n) return workers;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat("master ", master_pid_, " has ", workers.size(),
                                                  " workers, expected ", n, "; log:\n", ReadLog(log_path_)));
}

void GunicornProcess::Signal(int signal) const { ::kill(master_pid_, signal); }

std::string GunicornProcess::Log() const { return ReadLog(log_path_); }

std::vector<int> GunicornProcess::LoggedPids(const std::string& marker) const {
  std::vector<int> pids;
  std::string log = Log();
  for (size_t at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    size_t start = at + marker.size();
    size_t end = start;
    while (end < log.size() && log[end] >= '0' && log[end] <= '9') ++end;
    int pid = 0;
    if (absl::SimpleAtoi(log.substr(start, end - start), &pid)) pids.push_back(pid);
  }
  return pids;
}

// The Process stops the whole process group: Gunicorn, its workers, or
// unshare and the namespace it holds.
GunicornProcess::~GunicornProcess() = default;

}  // namespace corral::testing
