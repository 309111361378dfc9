// A real Gunicorn started by a test: Debian's 20.1 (/usr/bin/gunicorn on
// /usr/bin/python3), or a later release fetched by
// scripts/gunicorn-releases.sh and put first on PYTHONPATH; optionally
// without setproctitle and optionally as PID 1 of its own PID namespace. The
// destructor stops it and everything it started, even when the test failed.
#ifndef CORRAL_TESTS_SUPPORT_GUNICORN_PROCESS_H_
#define CORRAL_TESTS_SUPPORT_GUNICORN_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"

namespace corral::testing {

struct GunicornOptions {
  // How Gunicorn is launched; `args` follow.
  std::vector<std::string> launcher = {"/usr/bin/gunicorn"};
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  // false: a setproctitle stub that raises ImportError goes first on
  // PYTHONPATH, so argv and environ stay readable.
  bool setproctitle = true;
  // Run under `unshare --pid --fork --mount-proc`: Gunicorn is PID 1 there.
  bool own_pid_namespace = false;
  // Working directory; default: a temp dir holding app.py and wsgi.py.
  std::string cwd;
  // The release to run: "20.1" (Debian bookworm's, the default) or the
  // start of a cached release ("23.0", "26").
  std::string release = "20.1";
};

// The releases every integration test runs against.
const std::vector<std::string>& TestedReleases();

// The PYTHONPATH entry of a cached release ("23.0", "26"), or an error that
// says how to fetch it. "20.1" is Debian's own and needs none ("").
absl::StatusOr<std::string> GunicornReleaseSite(const std::string& release);

// A test-name-safe spelling of a release: "26" -> "gunicorn_26".
std::string ReleaseTestName(const std::string& release);

class GunicornProcess {
 public:
  static absl::StatusOr<std::unique_ptr<GunicornProcess>> Start(GunicornOptions options);
  ~GunicornProcess();

  // The master's pid in the test's PID namespace.
  int master_pid() const { return master_pid_; }
  const std::string& app_dir() const { return app_dir_; }

  // Waits until the master has exactly `n` children holding a heartbeat
  // file; returns their pids.
  absl::StatusOr<std::vector<int>> WaitForWorkers(int n, absl::Duration timeout = absl::Seconds(20)) const;

  // Sends `signal` to the master.
  void Signal(int signal) const;

  // What Gunicorn logged so far (stdout and stderr).
  std::string Log() const;

  // Pids Gunicorn logged after `marker` ("Booting worker with pid: ",
  // "Spawned dirty worker (pid: "), in order: Gunicorn's own account of what
  // it started, in the PID namespace it runs in.
  std::vector<int> LoggedPids(const std::string& marker) const;

  // Writes a minimal WSGI app (app:app, wsgi:application) into `dir`.
  static void WriteApp(const std::string& dir);

 private:
  GunicornProcess() = default;
  std::unique_ptr<Process> process_;  // gunicorn itself, or unshare
  int master_pid_ = -1;
  std::string app_dir_;
  std::string log_path_;
};

// The pids of `pid`'s children that hold a wgunicorn-* file.
std::vector<int> WorkerPids(int master_pid);

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_GUNICORN_PROCESS_H_
