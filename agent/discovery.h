// Finding Gunicorn masters and telling their workers from other children.
// Pure logic over values read from /proc; the probe does the reading.
//
// Rules (Gunicorn's arbiter):
//  - a master is a Gunicorn process whose parent is not a Gunicorn process,
//    or a child that a master re-executed on USR2 (its environment carries
//    GUNICORN_PID=<old master>, its title says "master");
//  - a worker is a forked child of its master: titled "worker [...]" under
//    setproctitle, and in every version holding its own wgunicorn-* temp
//    file (the heartbeat);
//  - any other child (application subprocesses, helpers) is not a worker.
#ifndef CORRAL_AGENT_DISCOVERY_H_
#define CORRAL_AGENT_DISCOVERY_H_

#include <optional>
#include <string>
#include <vector>

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

enum class ChildKind { kWorker, kUpgradeMaster, kOther };

// What the probe could learn about one child of a master.
struct ChildEvidence {
  std::optional<GunicornCommand> gunicorn;  // from the child's argv
  // GUNICORN_PID from the child's environment, when readable and present.
  std::optional<int> gunicorn_pid_env;
  // Whether the child holds a wgunicorn-* temp file; nullopt when its fd
  // directory is unreadable.
  std::optional<bool> has_worker_tmp;
  // The child's argv equals the master's (forked, not re-executed).
  bool same_argv_as_master = false;
};

// Classifies one child of master `master_pid`. `why` receives a short
// reason when the verdict rests on weaker evidence.
ChildKind ClassifyChild(int master_pid, const ChildEvidence& evidence, std::string* why);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_DISCOVERY_H_
