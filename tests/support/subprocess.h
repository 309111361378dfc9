// Running programs from tests: capture output, bound the time, never leave
// a process behind.
#ifndef CORRAL_TESTS_SUPPORT_SUBPROCESS_H_
#define CORRAL_TESTS_SUPPORT_SUBPROCESS_H_

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace corral::testing {

struct RunResult {
  int exit_code = -1;  // -1 when killed for exceeding the timeout
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) with the test's environment, `env`
// replacing or adding variables, in `cwd` if given. Kills the process group
// after `timeout`.
RunResult RunCommand(const std::vector<std::string>& argv,
                     const std::vector<std::pair<std::string, std::string>>& env = {}, const std::string& cwd = "",
                     absl::Duration timeout = absl::Seconds(60));

// A binary built by this project (build/bin/NAME).
std::string BinPath(const std::string& name);

// The source tree root.
std::string SourceDir();

// A fresh empty directory under the test's temp dir, removed when the
// test program exits after every test passed (CORRAL_KEEP_TEST_DIRS=1
// keeps it).
std::string MakeTempDir(const std::string& prefix);

// Opens the writing end of the FIFO at `path` and closes it: a reader
// blocked opening the FIFO returns.
void ReleaseFifoReader(const std::string& path);

// What `read` (which opens the FIFO at `path`) returns, or nullopt when it
// waited 5 s for a writer; the FIFO's other end is then opened so that the
// read returns and the test can end.
template <typename Read>
auto ReadFifoWithoutAWriter(const std::string& path, Read read) -> std::optional<decltype(read())> {
  auto result = std::async(std::launch::async, read);
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    ReleaseFifoReader(path);
    return std::nullopt;
  }
  return result.get();
}

// The content of a file ("" when unreadable).
std::string ReadLog(const std::string& path);

// Writes `content` to `path`, creating parent directories.
void WriteFile(const std::string& path, const std::string& content);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

}  // namespace corral::testing

namespace corral::testing {

// A long-running child (server, agent, container) in its own process group,
// with stdout and stderr in a log file. The destructor kills the group.
class Process {
 public:
  // `env` replaces or adds variables; `cwd`, if given, is the directory.
  static std::unique_ptr<Process> Start(const std::vector<std::string>& argv,
                                        const std::vector<std::pair<std::string, std::string>>& env,
                                        const std::string& log_path, const std::string& cwd = "");
  ~Process();

  int pid() const { return pid_; }
  void Signal(int signal) const;
  // Waits for the exit; returns its code, 128+signal when killed, or -1 on
  // timeout (the process is left running).
  int Wait(absl::Duration timeout);
  std::string Log() const;

 private:
  int pid_ = -1;
  bool reaped_ = false;
  std::string log_path_;
};

// The children of process `pid` (its main thread's), from /proc.
std::vector<int> ChildrenOf(int pid);

// How many times `needle` occurs in `text`.
int CountOccurrences(const std::string& text, const std::string& needle);

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_SUBPROCESS_H_
