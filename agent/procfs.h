// Pure parsers for the /proc files the agent reads. Each takes the file's
// content and returns a value or an InvalidArgument status naming what was
// wrong; none touches the filesystem, so tests feed literal strings.
#ifndef CORRAL_AGENT_PROCFS_H_
#define CORRAL_AGENT_PROCFS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corral::agent {

// The fields of /proc/PID/stat the agent uses.
struct ProcStat {
  int pid = 0;
  std::string comm;  // may hold spaces and parentheses: "gunicorn: maste"
  char state = '?';
  int ppid = 0;
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  int64_t num_threads = 0;
  uint64_t start_ticks = 0;  // since boot, in clock ticks
  int64_t rss_pages = 0;
};

// Parses /proc/PID/stat. comm is taken between the first '(' and the *last*
// ')', and the numeric fields after that last ')'.
absl::StatusOr<ProcStat> ParseStat(absl::string_view content);

// The fields of /proc/PID/status the agent uses.
struct ProcStatus {
  std::optional<uint32_t> real_uid;
  std::optional<uint32_t> effective_uid;
  std::optional<uint32_t> real_gid;
  std::optional<uint32_t> effective_gid;
  std::optional<int64_t> vm_rss_kb;
  // NSpid: the pid in each nested PID namespace, outermost first.
  std::vector<int> ns_pids;
};

// Parses /proc/PID/status. Missing lines leave fields unset; a malformed
// Uid line is an error.
absl::StatusOr<ProcStatus> ParseStatus(absl::string_view content);

// Splits /proc/PID/cmdline on NUL. Trailing empty elements (the padding a
// retitled process leaves) are dropped; kernel threads yield an empty vector.
std::vector<std::string> ParseCmdline(absl::string_view content);

// Parses /proc/PID/environ into NAME=VALUE pairs in order. Entries without
// '=' are skipped. Returns an empty vector for a zeroed environment.
std::vector<std::pair<std::string, std::string>> ParseEnviron(absl::string_view content);

// Looks up a variable the way Python's os.environ does: the first entry wins.
std::optional<std::string> LookupEnv(const std::vector<std::pair<std::string, std::string>>& environ,
                                     absl::string_view name);

// True when /proc/PID/environ held only NUL bytes (setproctitle zeroes it).
bool IsZeroedEnviron(absl::string_view content);

// Parses /proc/PID/task/TID/children: space-separated pids.
absl::StatusOr<std::vector<int>> ParseChildren(absl::string_view content);

// Parses /proc/uptime: seconds since boot (first field).
absl::StatusOr<double> ParseUptime(absl::string_view content);

// Parses a CPU list such as "0-3,6,8-9" (cpuset files, /sys/.../cpu/online)
// and returns how many CPUs it names.
absl::StatusOr<int> CountCpuList(absl::string_view content);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_PROCFS_H_
