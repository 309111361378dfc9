#include "agent/worker_churn.h"

#include <algorithm>
#include <cstdlib>

namespace corral::agent {

void WorkerChurn::Update(absl::Time now, corral::v1::Snapshot& snapshot) {
  std::map<int, Master> next;
  for (corral::v1::GunicornInstance& inst : *snapshot.mutable_instances()) {
    int pid = inst.master().pid();
    int64_t start_ms = inst.master().start_time_unix_ms();
    auto it = masters_.find(pid);
    if (it != masters_.end() && std::abs(it->second.start_time_unix_ms - start_ms) > 2000) it = masters_.end();
    Master master;
    if (it != masters_.end()) master = std::move(it->second);
    master.start_time_unix_ms = start_ms;
    std::set<int> workers;
    for (const corral::v1::ProcessFacts& w : inst.workers()) workers.insert(w.pid());
    if (it == masters_.end()) {
      master.first_seen = now;
    } else {
      int gone = 0;
      int appeared = 0;
      for (int pid : master.workers) gone += workers.count(pid) == 0;
      for (int pid : workers) appeared += master.workers.count(pid) == 0;
      int restarts = std::min(gone, appeared);
      if (restarts > 0) {
        master.restarts += restarts;
        master.recent.emplace_back(now, restarts);
      }
    }
    master.workers = std::move(workers);
    while (!master.recent.empty() && now - master.recent.front().first > window_) master.recent.pop_front();
    int in_window = 0;
    for (const auto& [when, n] : master.recent) in_window += n;
    double observed = absl::ToDoubleSeconds(now - master.first_seen);
    double minutes = std::max(absl::ToDoubleMinutes(std::min(window_, now - master.first_seen)), 1.0 / 60);
    inst.set_worker_restarts(master.restarts);
    inst.set_worker_restarts_per_minute(in_window / minutes);
    inst.set_observed_seconds(observed);
    next.emplace(pid, std::move(master));
  }
  masters_ = std::move(next);
}

}  // namespace corral::agent
