#include "agent/discovery.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"

namespace corral::agent {

std::vector<int> FindRootMasters(const std::vector<ProcessEntry>& table) {
  absl::flat_hash_map<int, const ProcessEntry*> by_pid;
  for (const ProcessEntry& e : table) by_pid[e.pid] = &e;
  std::vector<int> masters;
  for (const ProcessEntry& e : table) {
    if (!e.gunicorn || e.gunicorn->title_says_worker()) continue;
    if (e.gunicorn->is_title() && !e.gunicorn->title_says_master()) continue;  // other titled helpers
    auto parent = by_pid.find(e.ppid);
    bool parent_is_gunicorn = parent != by_pid.end() && parent->second->gunicorn.has_value();
    if (!parent_is_gunicorn) masters.push_back(e.pid);
  }
  std::sort(masters.begin(), masters.end());
  return masters;
}

namespace {

bool AllShared(const std::vector<std::string>& files, const std::vector<std::string>& others) {
  for (const std::string& f : files) {
    if (std::find(others.begin(), others.end(), f) == others.end()) return false;
  }
  return true;
}

bool SharesAFile(const std::vector<std::string>& files, const std::vector<std::string>& others) {
  for (const std::string& f : files) {
    if (std::find(others.begin(), others.end(), f) != others.end()) return true;
  }
  return false;
}

}  // namespace

ChildKind ClassifyChild(int master_pid, const ChildEvidence& evidence, std::string* why) {
  const std::optional<GunicornCommand>& g = evidence.gunicorn;
  if (g && g->title_says_worker()) return ChildKind::kWorker;
  if (g && g->title_says_master()) {
    // In the instant after its fork, before it retitles itself, a worker
    // still carries the master's title and every heartbeat file the master
    // holds. A master started by USR2 has exec'd and holds none of them.
    bool holds_parents_heartbeat = evidence.has_worker_tmp.value_or(false) && evidence.parent_heartbeat_files &&
                                   SharesAFile(evidence.heartbeat_files, *evidence.parent_heartbeat_files);
    return holds_parents_heartbeat ? ChildKind::kWorker : ChildKind::kUpgradeMaster;
  }
  if (g && g->is_title() && g->title_role == "dirty-arbiter") return ChildKind::kDirtyArbiter;
  if (evidence.gunicorn_pid_env && *evidence.gunicorn_pid_env == master_pid) return ChildKind::kUpgradeMaster;
  if (evidence.listens_on_dirty_arbiter_socket) return ChildKind::kDirtyArbiter;
  if (evidence.has_worker_tmp.value_or(false)) {
    // The master holds its web workers' heartbeats, never the dirty pool's.
    // A dirty arbiter started after the web workers also inherited theirs.
    if (evidence.parent_heartbeat_files && !AllShared(evidence.heartbeat_files, *evidence.parent_heartbeat_files)) {
      return ChildKind::kDirtyArbiter;
    }
    return ChildKind::kWorker;
  }
  if (!evidence.has_worker_tmp && evidence.same_argv_as_master) {
    // Without the fd table, a forked child with the master's argv is taken
    // for a worker; say so.
    if (why != nullptr) *why = "classified as a worker by its argv; its fd table is unreadable";
    return ChildKind::kWorker;
  }
  return ChildKind::kOther;
}

bool ClassificationIsTentative(const ChildEvidence& evidence, ChildKind kind) {
  // A worker that still wears the master's title retitles itself next.
  if (evidence.gunicorn && evidence.gunicorn->is_title()) return evidence.gunicorn->title_says_master();
  if (evidence.listens_on_dirty_arbiter_socket || !evidence.parent_heartbeat_files) return false;
  if (kind == ChildKind::kWorker) {
    // A web worker holds exactly its own heartbeat (it closes its siblings'
    // right after the fork); several of the master's are a dirty arbiter
    // started after the web workers, before it forked its own workers --
    // or a worker in the instant after its fork.
    int shared = 0;
    for (const std::string& f : evidence.heartbeat_files) {
      shared += std::count(evidence.parent_heartbeat_files->begin(), evidence.parent_heartbeat_files->end(), f) > 0;
    }
    return shared > 1;
  }
  // A forked child with no heartbeat yet: a dirty arbiter before it forked
  // its workers, or an application helper.
  return kind == ChildKind::kOther && evidence.same_argv_as_master && evidence.has_worker_tmp.has_value();
}

bool IsDirtyArbiterSocketPath(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos || path.substr(slash + 1) != "arbiter.sock") return false;
  absl::string_view dir = path.substr(0, slash);
  size_t parent = dir.rfind('/');
  return absl::StartsWith(parent == absl::string_view::npos ? dir : dir.substr(parent + 1), "gunicorn-dirty-");
}

ChildKind ClassifyDirtyChild(const ChildEvidence& evidence) {
  const std::optional<GunicornCommand>& g = evidence.gunicorn;
  if (g && g->is_title()) return g->title_role == "dirty-worker" ? ChildKind::kDirtyWorker : ChildKind::kOther;
  if (!evidence.has_worker_tmp.value_or(false)) return ChildKind::kOther;
  if (evidence.parent_heartbeat_files && !SharesAFile(evidence.heartbeat_files, *evidence.parent_heartbeat_files)) {
    return ChildKind::kOther;
  }
  return ChildKind::kDirtyWorker;
}

std::map<int, std::string> OwnHeartbeats(std::vector<HeldHeartbeats> children,
                                         const std::optional<std::vector<std::string>>& parent_files) {
  std::sort(children.begin(), children.end(), [](const HeldHeartbeats& a, const HeldHeartbeats& b) {
    return a.start_ticks != b.start_ticks ? a.start_ticks < b.start_ticks : a.pid < b.pid;
  });
  std::map<int, std::string> own;
  std::vector<std::string> held_by_older;
  for (const HeldHeartbeats& child : children) {
    std::vector<std::string> candidates;
    for (const std::string& f : child.files) {
      if (parent_files && std::find(parent_files->begin(), parent_files->end(), f) == parent_files->end()) continue;
      if (std::find(held_by_older.begin(), held_by_older.end(), f) != held_by_older.end()) continue;
      if (std::find(candidates.begin(), candidates.end(), f) == candidates.end()) candidates.push_back(f);
    }
    if (candidates.size() == 1) own[child.pid] = candidates.front();
    held_by_older.insert(held_by_older.end(), child.files.begin(), child.files.end());
  }
  return own;
}

}  // namespace corral::agent
