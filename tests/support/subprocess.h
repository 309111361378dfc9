// Running programs from tests: capture output, bound the time, never leave
// a process behind.
#ifndef CORRAL_TESTS_SUPPORT_SUBPROCESS_H_
#define CORRAL_TESTS_SUPPORT_SUBPROCESS_H_

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

// Runs argv[0] (searched in PATH) with `env` added to the test's
// environment, in `cwd` if given. Kills the process group after `timeout`.
RunResult RunCommand(const std::vector<std::string>& argv,
                     const std::vector<std::pair<std::string, std::string>>& env = {}, const std::string& cwd = "",
                     absl::Duration timeout = absl::Seconds(60));

// A binary built by this project (build/bin/NAME).
std::string BinPath(const std::string& name);

// The source tree root.
std::string SourceDir();

// A fresh empty directory under the test's temp dir.
std::string MakeTempDir(const std::string& prefix);

// Writes `content` to `path`, creating parent directories.
void WriteFile(const std::string& path, const std::string& content);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_SUBPROCESS_H_
