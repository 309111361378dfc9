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
#include "gunicorn/environ.h"

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
// ')', and the numeric fields after that last ')'. With `expected_pid`
// (the PID of the path read), a file naming another pid is refused.
absl::StatusOr<ProcStat> ParseStat(absl::string_view content, int expected_pid = 0);

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
gunicorn::Environ ParseEnviron(absl::string_view content);

// True when /proc/PID/environ held only NUL bytes (setproctitle zeroes it).
bool IsZeroedEnviron(absl::string_view content);

// Parses /proc/PID/task/TID/children: space-separated pids.
absl::StatusOr<std::vector<int>> ParseChildren(absl::string_view content);

// Parses /proc/uptime: seconds since boot (first field).
absl::StatusOr<double> ParseUptime(absl::string_view content);

// Parses a CPU list such as "0-3,6,8-9" (cpuset files, /sys/.../cpu/online)
// and returns how many CPUs it names.
absl::StatusOr<int> CountCpuList(absl::string_view content);

// Paths of the files mapped into a process (/proc/PID/maps), each once, in
// the order they first appear. Anonymous mappings and pseudo-paths
// ("[heap]") are left out; " (deleted)" suffixes are kept.
std::vector<std::string> ParseMapsPaths(absl::string_view content);

// One line of /proc/PID/net/unix.
struct UnixSocketEntry {
  uint64_t inode = 0;
  // The socket listens (SO_ACCEPTCON, flags 00010000).
  bool listening = false;
  // The path it is bound to as its owner wrote it; empty when unbound;
  // abstract sockets start with '@'.
  std::string path;
};

// Parses /proc/PID/net/unix (the header line is skipped; malformed lines
// are skipped too: the file is read while sockets come and go).
std::vector<UnixSocketEntry> ParseUnixSockets(absl::string_view content);

// The inode of an fd link target "socket:[12345]", or nullopt.
std::optional<uint64_t> SocketInode(absl::string_view fd_target);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_PROCFS_H_
