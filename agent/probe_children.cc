// The probe's view of a master's children: which are web workers, which
// belong to the dirty pool (Gunicorn 25+), which are something else, and
// the heartbeat files that tell them apart. The rules themselves are pure
// functions in agent/discovery.h; this file gathers their evidence from
// /proc and keeps it current between discoveries.
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/probe.h"

namespace corral::agent {

Probe::KnownChild Probe::ExamineChild(const KnownMaster& master, const Brood& parent, bool dirty_parent, int child_pid,
                                      const ProcStat& stat, std::vector<std::string>* argv_out) {
  KnownChild known;
  known.start_ticks = stat.start_ticks;
  ChildEvidence evidence;
  evidence.parent_heartbeat_files = parent.parent_heartbeat_files;
  absl::StatusOr<std::string> cmdline = reader_.ReadPidFile(child_pid, "cmdline", 256 * 1024);
  std::vector<std::string>& argv = *argv_out;
  if (cmdline.ok()) {
    argv = ParseCmdline(*cmdline);
    evidence.gunicorn = gunicorn::RecognizeGunicorn(argv);
    evidence.same_argv_as_master = !argv.empty() && argv == master.argv;
  } else {
    known.read_errors.push_back(ReadErrorText("cmdline", cmdline.status()));
  }
  bool gunicorn_like = evidence.gunicorn.has_value() || evidence.same_argv_as_master;
  if (gunicorn_like) {
    absl::StatusOr<std::vector<WorkerTmpFile>> tmp = reader_.FindWorkerTmpFiles(child_pid);
    if (tmp.ok()) {
      evidence.has_worker_tmp = !tmp->empty();
      // Until AssignHeartbeats() knows better, the file touched last is
      // taken for the child's own.
      double newest = -1;
      for (const WorkerTmpFile& file : *tmp) {
        evidence.heartbeat_files.push_back(file.target);
        absl::StatusOr<double> ctime = reader_.CtimeSeconds(file.fd_path);
        double t = ctime.ok() ? *ctime : 0;
        if (t > newest) {
          newest = t;
          known.tmp_fd_path = file.fd_path;
        }
      }
      known.heartbeat_files = evidence.heartbeat_files;
    } else {
      known.read_errors.push_back(ReadErrorText("fd", tmp.status()));
    }
    bool titled = evidence.gunicorn && evidence.gunicorn->is_title();
    if (!titled && evidence.same_argv_as_master && !dirty_parent) {
      absl::StatusOr<std::string> environ = reader_.ReadPidFile(child_pid, "environ", 1 << 20);
      if (environ.ok()) {
        std::optional<std::string> gunicorn_pid = gunicorn::LookupEnv(ParseEnviron(*environ), "GUNICORN_PID");
        int value = 0;
        if (gunicorn_pid && absl::SimpleAtoi(*gunicorn_pid, &value)) evidence.gunicorn_pid_env = value;
      } else {
        known.read_errors.push_back(ReadErrorText("environ", environ.status()));
      }
    }
  }
  std::string why;
  known.kind = dirty_parent ? ClassifyDirtyChild(evidence) : ClassifyChild(master.pid, evidence, &why);
  if (!dirty_parent && ClassificationIsTentative(evidence, known.kind)) {
    evidence.listens_on_dirty_arbiter_socket = ListensOnDirtyArbiterSocket(child_pid);
    known.kind = ClassifyChild(master.pid, evidence, &why);
    known.tentative = ClassificationIsTentative(evidence, known.kind);
  }
  if (!why.empty()) known.read_errors.push_back(why);
  absl::StatusOr<std::string> status_text = reader_.ReadPidFile(child_pid, "status", 16 * 1024);
  if (status_text.ok()) {
    absl::StatusOr<ProcStatus> status = ParseStatus(*status_text);
    if (status.ok()) {
      known.uid = status->real_uid;
      known.ns_pid = status->ns_pids.empty() ? child_pid : status->ns_pids.back();
    }
  }
  return known;
}

bool Probe::ListensOnDirtyArbiterSocket(int pid) const {
  absl::StatusOr<std::vector<OpenFile>> open = reader_.ListOpenFiles(pid);
  if (!open.ok()) return false;
  absl::flat_hash_set<uint64_t> inodes;
  for (const OpenFile& f : *open) {
    if (std::optional<uint64_t> inode = SocketInode(f.target)) inodes.insert(*inode);
  }
  if (inodes.empty()) return false;
  absl::StatusOr<std::string> net_unix = reader_.ReadPidFile(pid, "net/unix", 8 << 20);
  if (!net_unix.ok()) return false;
  for (const UnixSocketEntry& s : ParseUnixSockets(*net_unix)) {
    if (s.listening && inodes.contains(s.inode) && IsDirtyArbiterSocketPath(s.path)) return true;
  }
  return false;
}

std::optional<std::vector<std::string>> Probe::HeartbeatFiles(int pid) const {
  absl::StatusOr<std::vector<WorkerTmpFile>> files = reader_.FindWorkerTmpFiles(pid);
  if (!files.ok()) return std::nullopt;
  std::vector<std::string> targets;
  for (const WorkerTmpFile& f : *files) targets.push_back(f.target);
  return targets;
}

void Probe::AssignHeartbeats(Brood& brood) const {
  std::vector<HeldHeartbeats> held;
  for (const auto& [pid, child] : brood.children) {
    if (child.kind != ChildKind::kWorker && child.kind != ChildKind::kDirtyWorker) continue;
    held.push_back({pid, child.start_ticks, child.heartbeat_files});
  }
  for (const auto& [pid, target] : OwnHeartbeats(std::move(held), brood.parent_heartbeat_files)) {
    absl::StatusOr<std::vector<WorkerTmpFile>> files = reader_.FindWorkerTmpFiles(pid);
    if (!files.ok()) continue;
    for (const WorkerTmpFile& f : *files) {
      if (f.target == target) brood.children[pid].tmp_fd_path = f.fd_path;
    }
  }
}

std::optional<bool> Probe::RefreshBrood(KnownMaster& master, int parent_pid, bool dirty_parent, Brood& brood) {
  absl::StatusOr<std::string> children_text =
      reader_.ReadPidFile(parent_pid, absl::StrCat("task/", parent_pid, "/children"), 64 * 1024);
  absl::StatusOr<std::vector<int>> children =
      children_text.ok() ? ParseChildren(*children_text) : absl::StatusOr<std::vector<int>>(children_text.status());
  if (!children.ok()) return std::nullopt;
  Brood next;
  bool changed = false;
  bool parent_files_read = false;
  for (int child : *children) {
    absl::StatusOr<std::string> child_text = reader_.ReadPidFile(child, "stat", 4096);
    if (!child_text.ok()) continue;  // exited since the children list was read
    absl::StatusOr<ProcStat> child_stat = ParseStat(*child_text, child);
    if (!child_stat.ok()) continue;
    // Not a child (any more): the pid was reused, or the list lies.
    if (child_stat->ppid != parent_pid) continue;
    auto known = brood.children.find(child);
    // A child whose kind was not settled yet is looked at again.
    if (known != brood.children.end() && known->second.start_ticks == child_stat->start_ticks &&
        !known->second.tentative) {
      next.children[child] = std::move(known->second);
    } else {
      if (!parent_files_read) {
        // A new child's heartbeat is one the parent holds from now on.
        brood.parent_heartbeat_files = HeartbeatFiles(parent_pid);
        parent_files_read = true;
      }
      std::vector<std::string> argv;
      KnownChild fresh = ExamineChild(master, brood, dirty_parent, child, *child_stat, &argv);
      if (fresh.kind == ChildKind::kUpgradeMaster) return std::nullopt;
      bool same = known != brood.children.end() && known->second.start_ticks == fresh.start_ticks &&
                  known->second.kind == fresh.kind;
      if (same) fresh.tmp_fd_path = known->second.tmp_fd_path;
      next.children[child] = std::move(fresh);
      changed = changed || !same;
    }
    next.stats[child] = *child_stat;
  }
  changed = changed || next.children.size() != brood.children.size();
  // A child that went away took its heartbeat from the parent's set.
  next.parent_heartbeat_files =
      changed && !parent_files_read ? HeartbeatFiles(parent_pid) : brood.parent_heartbeat_files;
  brood = std::move(next);
  if (changed) AssignHeartbeats(brood);
  return changed;
}

void Probe::RefreshDirtyPool(KnownMaster& master, const std::map<int, std::vector<int>>* children_of,
                             const std::map<int, ProcStat>* stats) {
  int arbiter = 0;
  for (const auto& [pid, child] : master.brood.children) {
    if (child.kind == ChildKind::kDirtyArbiter) arbiter = pid;
  }
  if (arbiter == 0) {
    master.dirty.reset();
    return;
  }
  if (master.dirty && master.dirty->pid == arbiter &&
      master.dirty->arbiter.start_ticks == master.brood.children[arbiter].start_ticks) {
    master.dirty->stat = master.brood.stats[arbiter];
    master.dirty->workers_changed = RefreshBrood(master, arbiter, true, master.dirty->workers).value_or(true);
    return;
  }
  DirtyPool pool;
  pool.pid = arbiter;
  pool.arbiter = master.brood.children[arbiter];
  pool.stat = master.brood.stats[arbiter];
  if (children_of != nullptr && stats != nullptr) {
    pool.workers.parent_heartbeat_files = HeartbeatFiles(arbiter);
    auto kids = children_of->find(arbiter);
    if (kids != children_of->end()) {
      for (int child : kids->second) {
        auto child_stat = stats->find(child);
        if (child_stat == stats->end()) continue;
        std::vector<std::string> argv;
        pool.workers.children[child] = ExamineChild(master, pool.workers, true, child, child_stat->second, &argv);
        pool.workers.stats[child] = child_stat->second;
      }
    }
    AssignHeartbeats(pool.workers);
  } else {
    RefreshBrood(master, arbiter, true, pool.workers);
  }
  pool.workers_changed = true;
  master.dirty = std::move(pool);
}

}  // namespace corral::agent
