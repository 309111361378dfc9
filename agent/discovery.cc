#include "agent/discovery.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

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

ChildKind ClassifyChild(int master_pid, const ChildEvidence& evidence, std::string* why) {
  const std::optional<GunicornCommand>& g = evidence.gunicorn;
  if (g && g->title_says_worker()) return ChildKind::kWorker;
  if (g && g->title_says_master()) return ChildKind::kUpgradeMaster;
  if (evidence.gunicorn_pid_env && *evidence.gunicorn_pid_env == master_pid) return ChildKind::kUpgradeMaster;
  if (evidence.has_worker_tmp.value_or(false)) return ChildKind::kWorker;
  if (!evidence.has_worker_tmp && evidence.same_argv_as_master) {
    // Without the fd table, a forked child with the master's argv is taken
    // for a worker; say so.
    if (why != nullptr) *why = "classified as a worker by its argv; its fd table is unreadable";
    return ChildKind::kWorker;
  }
  return ChildKind::kOther;
}

}  // namespace corral::agent
