// The agent's probe: turns a proc root into a Snapshot of every Gunicorn
// master it can see, with workers, effective settings and resources.
//
// Two ways to sample:
//  - Discover() walks every process (stat for all; cmdline only where comm
//    can be Gunicorn), finds masters, classifies their children and
//    reconstructs each master's settings.
//  - Sample() re-reads only the masters already known and their children
//    (/proc/PID/task/PID/children and the children's own files); its cost
//    does not depend on how many unrelated processes exist. It falls back to
//    Discover() when a known master vanished, a new master appeared among the
//    children (USR2), or rediscovery is due.
//
// With ProbeOptions.hook_dir set, a master that runs Corral's exact-config
// hook (agent/gunicorn/corral_hook.py) reports its own settings there; they
// replace the reconstruction's values (source "hook"), and Sample() re-reads
// a hook file only when it changed.
//
// A Gunicorn 25.1+ master with a control socket is asked `show config`,
// `show all` and `show stats` at discovery and whenever its children
// change: its settings replace the reconstruction's (source
// "control_socket"), and the workers it lists are checked against /proc.
// ProbeOptions.control_socket = false turns this off.
//
// Gunicorn 25+'s dirty arbiter and its dirty workers are reported apart
// from web workers (discovery.h has the rules).
#ifndef CORRAL_AGENT_PROBE_H_
#define CORRAL_AGENT_PROBE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/container_resources.h"
#include "agent/control_socket.h"
#include "agent/discovery.h"
#include "agent/hook_reader.h"
#include "agent/proc_reader.h"
#include "agent/procfs.h"
#include "corral/v1/snapshot.pb.h"
#include "gunicorn/config_loader.h"
#include "gunicorn/version.h"

namespace corral::agent {

struct ProbeOptions {
  std::string proc_root = "/proc";
  // How often Sample() runs a full Discover() even when nothing vanished.
  absl::Duration rediscover_every = absl::Seconds(60);
  // Wall clock; tests inject their own.
  std::function<absl::Time()> now = [] { return absl::Now(); };
  // The directory, as the agent sees it, where hooked masters write
  // gunicorn-<pid>.json (pid as the agent sees it); empty: hooks are not read.
  std::string hook_dir;
  // Ask masters' control sockets (Gunicorn 25.1+); only `show` commands.
  bool control_socket = true;
  // The whole exchange with one control socket must finish within this.
  absl::Duration control_socket_deadline = absl::Milliseconds(500);
};

class Probe {
 public:
  explicit Probe(ProbeOptions options);

  // Full discovery. The snapshot's agent identity is left for the caller.
  corral::v1::Snapshot Discover();

  // Steady-state sample of the known masters (see the file comment).
  corral::v1::Snapshot Sample();

  // Number of processes the last Discover() looked at.
  int processes_scanned() const { return processes_scanned_; }

 private:
  struct KnownChild {
    uint64_t start_ticks = 0;
    ChildKind kind = ChildKind::kOther;
    // Workers: the heartbeat file (an fd path of the child) and every
    // heartbeat file it holds (fd link targets).
    std::string tmp_fd_path;
    std::vector<std::string> heartbeat_files;
    std::optional<uint32_t> uid;
    // The pid in the innermost PID namespace (the master's view).
    int ns_pid = 0;
    // The kind may still change (ClassificationIsTentative): look again.
    bool tentative = false;
    std::vector<std::string> read_errors;
  };
  // The children of one parent (a master, or its dirty arbiter).
  struct Brood {
    std::map<int, KnownChild> children;
    std::map<int, ProcStat> stats;
    // The heartbeat files the parent holds; nullopt when unreadable.
    std::optional<std::vector<std::string>> parent_heartbeat_files;
  };
  struct DirtyPool {
    int pid = 0;
    KnownChild arbiter;
    ProcStat stat;
    Brood workers;
    // The dirty workers changed at the last refresh.
    bool workers_changed = true;
  };
  struct ControlSocketState {
    corral::v1::ControlSocket status;
    std::optional<gunicorn::ControlAnswers> answers;
  };
  struct KnownMaster {
    int pid = 0;
    uint64_t start_ticks = 0;
    // Everything that does not change between samples: settings, inputs,
    // static master facts, resources found at discovery.
    corral::v1::GunicornInstance base;
    CgroupLocation cgroup;
    bool used_cpu_count = false;
    std::vector<std::string> argv;
    Brood brood;
    std::optional<DirtyPool> dirty;
    ProcStat stat;
    // The master's hook file as last read; `base` stays the reconstruction
    // and Render() applies the report.
    std::optional<HookFileStamp> hook_stamp;
    std::optional<HookReport> hook;
    std::string hook_error;
    // Where the control socket is (empty: none) and what it last said.
    std::string control_path;
    std::string control_found_by;
    ControlSocketState control;
  };

  // Builds a master (and, recursively, a USR2 master among its children).
  // `argv` is the one discovery already read.
  void BuildMaster(int pid, int upgrade_parent_pid, const ProcStat& stat, const GunicornCommand& command,
                   const std::vector<std::string>& argv, const std::map<int, std::vector<int>>& children_of,
                   const std::map<int, ProcStat>& stats);
  // Reads the master's settings with the table of `release` into its base.
  void Reconstruct(KnownMaster& master, gunicorn::LoaderInputs& loader, const gunicorn::DetectedRelease& release);
  // Reads what classification needs and classifies one child of `parent`
  // (the master, or its dirty arbiter when `dirty_parent`); `argv`
  // receives the child's argv (empty when unreadable).
  KnownChild ExamineChild(const KnownMaster& master, const Brood& parent, bool dirty_parent, int child_pid,
                          const ProcStat& stat, std::vector<std::string>* argv);
  // The heartbeat files `pid` holds (fd link targets), nullopt when its fd
  // table is unreadable.
  std::optional<std::vector<std::string>> HeartbeatFiles(int pid) const;
  // Whether `pid` listens on a dirty arbiter's socket.
  bool ListensOnDirtyArbiterSocket(int pid) const;
  // Decides each worker's own heartbeat file once the whole brood is known.
  void AssignHeartbeats(Brood& brood) const;
  // Re-reads the children of `parent_pid` (the master or the dirty
  // arbiter), examining new ones. Returns whether they changed, or nullopt
  // when they are unreadable or a USR2 master appeared (rediscover).
  std::optional<bool> RefreshBrood(KnownMaster& master, int parent_pid, bool dirty_parent, Brood& brood);
  // Finds the dirty arbiter among the master's children and reads its pool.
  void RefreshDirtyPool(KnownMaster& master, const std::map<int, std::vector<int>>* children_of,
                        const std::map<int, ProcStat>* stats);
  // Finds the master's control socket and asks it.
  void AskControlSocket(KnownMaster& master);
  // Re-reads the master's hook file when it changed since the last read.
  void RefreshHook(KnownMaster& master);
  corral::v1::GunicornInstance Render(const KnownMaster& master) const;
  corral::v1::ProcessFacts ChildFacts(const KnownChild& child, const ProcStat& stat, double now_seconds) const;
  void ApplyControlAnswers(const KnownMaster& master, corral::v1::GunicornInstance& instance) const;
  corral::v1::ProcessFacts FactsFromStat(const ProcStat& stat) const;
  void AddDynamicWarnings(const KnownMaster& master, corral::v1::GunicornInstance& instance) const;
  bool RefreshUptime(corral::v1::Snapshot& snapshot);
  corral::v1::Snapshot Finish(corral::v1::Snapshot snapshot, absl::Time started);

  ProbeOptions options_;
  ProcReader reader_;
  std::vector<KnownMaster> known_;
  absl::Time last_discovery_ = absl::InfinitePast();
  absl::Time now_;
  double uptime_seconds_ = 0;
  int processes_scanned_ = 0;
  long ticks_per_second_;
  long page_size_;
};

}  // namespace corral::agent

#endif  // CORRAL_AGENT_PROBE_H_
