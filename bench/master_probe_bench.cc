// What discovery costs per Gunicorn master beyond the process scan, on live
// masters: finding the release (the interpreter's search path through
// /proc/PID/root), finding the control socket (fd table + net/unix), and
// one control-socket exchange (show config, show all, show stats).
//
//   master_probe_bench ITERATIONS PID...
//
// Prints the median and p90 of each step per master, in microseconds.
// bench/control_socket.sh starts the masters and runs it.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/control_socket.h"
#include "agent/probe.h"
#include "agent/procfs.h"
#include "agent/release_detection.h"
#include "gunicorn/command.h"

namespace {

struct Stats {
  double median_us = 0;
  double p90_us = 0;
};

template <typename F>
Stats Measure(int iterations, F&& f) {
  std::vector<double> us;
  for (int i = 0; i < iterations; ++i) {
    absl::Time start = absl::Now();
    f();
    us.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 9 / 10]};
}

void Row(const std::string& what, const Stats& s) {
  std::printf("  %-34s %10.1f %10.1f\n", what.c_str(), s.median_us, s.p90_us);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: master_probe_bench ITERATIONS PID...\n");
    return 2;
  }
  int iterations = std::max(1, std::atoi(argv[1]));
  corral::agent::ProcReader reader("/proc");
  for (int a = 2; a < argc; ++a) {
    int pid = std::atoi(argv[a]);
    absl::StatusOr<std::string> cmdline = reader.ReadPidFile(pid, "cmdline");
    if (!cmdline.ok()) {
      std::fprintf(stderr, "pid %d: %s\n", pid, std::string(cmdline.status().message()).c_str());
      return 1;
    }
    std::vector<std::string> argv_list = corral::agent::ParseCmdline(*cmdline);
    std::optional<corral::gunicorn::GunicornCommand> command = corral::gunicorn::RecognizeGunicorn(argv_list);
    if (!command) {
      std::fprintf(stderr, "pid %d is not a Gunicorn master\n", pid);
      return 1;
    }
    std::optional<corral::gunicorn::Environ> environ;
    absl::StatusOr<std::string> env_text = reader.ReadPidFile(pid, "environ");
    if (env_text.ok() && !corral::agent::IsZeroedEnviron(*env_text)) environ = corral::agent::ParseEnviron(*env_text);
    absl::StatusOr<std::string> cwd = reader.ReadPidLink(pid, "cwd");

    corral::gunicorn::DetectedRelease release;
    Stats detect = Measure(iterations, [&] {
      release =
          corral::agent::DetectMasterRelease(reader, pid, *command, argv_list, environ, "erased", cwd.value_or(""));
    });
    std::printf("master %d (%s, release %s)\n", pid, command->launcher.c_str(),
                release.text.empty() ? "unknown" : release.text.c_str());
    std::printf("  %-34s %10s %10s\n", "step", "median_us", "p90_us");
    Row("find the release", detect);

    std::optional<corral::agent::FoundControlSocket> found;
    Stats find = Measure(iterations, [&] { found = corral::agent::FindControlSocket(reader, pid, {}); });
    Row("find the control socket", find);
    if (!found) {
      std::printf("  (no control socket)\n");
      continue;
    }
    int failures = 0;
    Stats query = Measure(iterations, [&] {
      absl::StatusOr<corral::gunicorn::ControlAnswers> answers =
          corral::agent::QueryControlSocket(reader, pid, found->path, absl::Seconds(2), nullptr);
      if (!answers.ok()) ++failures;
    });
    Row(absl::StrCat("query ", found->path), query);
    if (failures > 0) std::printf("  (%d of %d queries failed)\n", failures, iterations);
  }
  return 0;
}
