// /proc/PID files as the agent reads them from any process on the host: one
// input is fed to every parser of agent/procfs.h (stat, status, cmdline,
// environ, children, uptime, CPU lists, maps, net/unix), and as net/unix to
// the control socket's candidate search.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/control_socket.h"
#include "agent/procfs.h"
#include "fuzz/fuzz_input.h"

namespace corral::agent {
namespace {

void CheckStat(absl::string_view text) {
  absl::StatusOr<ProcStat> stat = ParseStat(text);
  if (!stat.ok()) return;
  CORRAL_FUZZ_CHECK(stat->pid > 0);
  CORRAL_FUZZ_CHECK(stat->ppid >= 0);
  CORRAL_FUZZ_CHECK(absl::StrContains(text, stat->comm));
}

void CheckCmdlineAndEnviron(absl::string_view text) {
  std::vector<std::string> argv = ParseCmdline(text);
  CORRAL_FUZZ_CHECK(argv.empty() || !argv.back().empty());
  CORRAL_FUZZ_CHECK(absl::StartsWith(text, absl::StrJoin(argv, std::string(1, '\0'))));
  for (const auto& [name, value] : ParseEnviron(text)) {
    CORRAL_FUZZ_CHECK(!name.empty());
    CORRAL_FUZZ_CHECK(name.find('=') == std::string::npos);
  }
  (void)IsZeroedEnviron(text);
}

void CheckLists(absl::string_view text) {
  (void)ParseStatus(text);
  if (absl::StatusOr<std::vector<int>> children = ParseChildren(text); children.ok()) {
    for (int pid : *children) CORRAL_FUZZ_CHECK(pid > 0);
  }
  if (absl::StatusOr<double> uptime = ParseUptime(text); uptime.ok()) CORRAL_FUZZ_CHECK(*uptime >= 0);
  if (absl::StatusOr<int> cpus = CountCpuList(text); cpus.ok()) CORRAL_FUZZ_CHECK(*cpus > 0);
  for (const std::string& path : ParseMapsPaths(text)) CORRAL_FUZZ_CHECK(!path.empty() && path[0] == '/');
}

void CheckNetUnix(absl::string_view text) {
  std::vector<UnixSocketEntry> sockets = ParseUnixSockets(text);
  std::vector<std::string> fd_targets;
  for (const UnixSocketEntry& s : sockets) {
    CORRAL_FUZZ_CHECK(absl::StrContains(text, s.path));
    std::string target = absl::StrCat("socket:[", s.inode, "]");
    CORRAL_FUZZ_CHECK(SocketInode(target) == s.inode);
    fd_targets.push_back(std::move(target));
  }
  (void)SocketInode(text);
  ControlSocketHints hints;
  hints.cwd = "/app";
  (void)ControlSocketCandidates(fd_targets, text, hints);
  hints.setting = "run/gunicorn.ctl";
  hints.bind_paths = std::vector<std::string>{"/run/app.sock"};
  for (const std::string& path : ControlSocketCandidates(fd_targets, text, hints)) {
    CORRAL_FUZZ_CHECK(!path.empty() && path[0] == '/');
  }
}

}  // namespace
}  // namespace corral::agent

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = corral::fuzz::AsText(data, size);
  corral::agent::CheckStat(text);
  corral::agent::CheckCmdlineAndEnviron(text);
  corral::agent::CheckLists(text);
  corral::agent::CheckNetUnix(text);
  return 0;
}
