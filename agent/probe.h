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
#include "agent/discovery.h"
#include "agent/hook_reader.h"
#include "agent/proc_reader.h"
#include "agent/procfs.h"
#include "corral/v1/snapshot.pb.h"

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
    std::string tmp_fd_path;  // workers: the heartbeat file
    std::optional<uint32_t> uid;
    std::vector<std::string> read_errors;
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
    std::map<int, KnownChild> children;
    std::map<int, ProcStat> child_stats;
    ProcStat stat;
    // The master's hook file as last read; `base` stays the reconstruction
    // and Render() applies the report.
    std::optional<HookFileStamp> hook_stamp;
    std::optional<HookReport> hook;
    std::string hook_error;
  };

  // Builds a master (and, recursively, a USR2 master among its children).
  // `argv` is the one discovery already read.
  void BuildMaster(int pid, int upgrade_parent_pid, const ProcStat& stat, const GunicornCommand& command,
                   const std::vector<std::string>& argv, const std::map<int, std::vector<int>>& children_of,
                   const std::map<int, ProcStat>& stats);
  // Reads what classification needs and classifies one child; `argv`
  // receives the child's argv (empty when unreadable).
  KnownChild ExamineChild(const KnownMaster& master, int child_pid, const ProcStat& stat,
                          std::vector<std::string>* argv);
  // Re-reads the master's hook file when it changed since the last read.
  void RefreshHook(KnownMaster& master);
  corral::v1::GunicornInstance Render(const KnownMaster& master) const;
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
