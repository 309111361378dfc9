// Finding Gunicorn masters and telling their workers from other children.
// Pure logic over values read from /proc; the probe does the reading.
//
// Rules (Gunicorn's arbiter):
//  - a master is a Gunicorn process whose parent is not a Gunicorn process,
//    or a child that a master re-executed on USR2 (its environment carries
//    GUNICORN_PID=<old master>, its title says "master");
//  - a worker is a forked child of its master: titled "worker [...]" under
//    setproctitle, and in every version holding its own wgunicorn-* temp
//    file (the heartbeat), which the master holds too (it watches it);
//  - Gunicorn 25+'s dirty arbiter is a child of the master titled
//    "dirty-arbiter"; without titles it is the child that holds heartbeat
//    files its master does not hold: its own dirty workers' (the arbiter
//    creates each dirty worker's heartbeat before forking it, and the master
//    never sees them), or the one listening on gunicorn-dirty-*/arbiter.sock.
//    An arbiter started after the web workers (a respawn) also holds their
//    heartbeats, inherited from the master. Its children holding one of its
//    files are dirty workers ("dirty-worker [...]" with titles);
//  - any other child (application subprocesses, helpers) is not a worker.
//
// Verified against real Gunicorn 20.1, 23.0 and 26.2 with and without
// setproctitle (tests/integration).
#ifndef CORRAL_AGENT_DISCOVERY_H_
#define CORRAL_AGENT_DISCOVERY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gunicorn/command.h"

namespace corral::agent {

using gunicorn::GunicornCommand;

// One row of the process table, as far as a scan read it.
struct ProcessEntry {
  int pid = 0;
  int ppid = 0;
  std::string comm;
  // Set when cmdline was read and recognised as Gunicorn.
  std::optional<GunicornCommand> gunicorn;
};

// Masters that start a Gunicorn tree: Gunicorn processes whose parent is not
// a Gunicorn process and whose title does not say "worker". Ordered by pid.
std::vector<int> FindRootMasters(const std::vector<ProcessEntry>& table);

enum class ChildKind { kWorker, kUpgradeMaster, kDirtyArbiter, kDirtyWorker, kOther };

// What the probe could learn about one child of a master.
struct ChildEvidence {
  std::optional<GunicornCommand> gunicorn;  // from the child's argv
  // GUNICORN_PID from the child's environment, when readable and present.
  std::optional<int> gunicorn_pid_env;
  // Whether the child holds a wgunicorn-* temp file; nullopt when its fd
  // directory is unreadable.
  std::optional<bool> has_worker_tmp;
  // The heartbeat files the child holds (fd link targets such as
  // "/tmp/wgunicorn-abc (deleted)"), and those its parent holds; nullopt
  // when that fd table is unreadable.
  std::vector<std::string> heartbeat_files;
  std::optional<std::vector<std::string>> parent_heartbeat_files;
  // The child listens on a unix socket named arbiter.sock in a
  // gunicorn-dirty-* directory (read only when the rest is not conclusive).
  bool listens_on_dirty_arbiter_socket = false;
  // The child's argv equals the master's (forked, not re-executed).
  bool same_argv_as_master = false;
};

// Classifies one child of master `master_pid`: kWorker, kUpgradeMaster,
// kDirtyArbiter or kOther. `why` receives a short reason when the verdict
// rests on weaker evidence.
ChildKind ClassifyChild(int master_pid, const ChildEvidence& evidence, std::string* why);

// Whether the verdict of ClassifyChild for this untitled child could change
// as Gunicorn goes on (a dirty arbiter before it forked its workers), so
// the probe should look again at the next sample and check its sockets.
bool ClassificationIsTentative(const ChildEvidence& evidence, ChildKind kind);

// Whether a unix socket path is a dirty arbiter's
// (<tmp>/gunicorn-dirty-XXXX/arbiter.sock).
bool IsDirtyArbiterSocketPath(absl::string_view path);

// Classifies one child of a dirty arbiter: kDirtyWorker or kOther.
ChildKind ClassifyDirtyChild(const ChildEvidence& evidence);

// The heartbeat files children of one parent hold.
struct HeldHeartbeats {
  int pid = 0;
  uint64_t start_ticks = 0;
  std::vector<std::string> files;
};

// Which heartbeat file is each child's own. A child can also hold files of
// siblings forked before it (a dirty arbiter does not close them), but never
// of younger ones, and the parent holds exactly its live children's files:
// a child's own file is the one it shares with the parent that no older
// sibling holds. Children whose file cannot be told are left out (the
// caller falls back to the most recently touched file). `parent_files`
// nullopt: the parent's fd table is unreadable.
std::map<int, std::string> OwnHeartbeats(std::vector<HeldHeartbeats> children,
                                         const std::optional<std::vector<std::string>>& parent_files);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_DISCOVERY_H_
