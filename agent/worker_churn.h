// Counts worker restarts across samples: a worker pid that disappeared and
// was replaced by a new one. TTIN adds workers without restarts; TTOU
// removes them without restarts; a HUP or a crash loop restarts them.
#ifndef CORRAL_AGENT_WORKER_CHURN_H_
#define CORRAL_AGENT_WORKER_CHURN_H_

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include "absl/time/time.h"
#include "corral/v1/snapshot.pb.h"

namespace corral::agent {

class WorkerChurn {
 public:
  explicit WorkerChurn(absl::Duration window = absl::Minutes(5)) : window_(window) {}

  // Feeds one sample and writes worker_restarts, worker_restarts_per_minute
  // and observed_seconds into every instance of `snapshot`. Masters no longer
  // present are forgotten.
  void Update(absl::Time now, corral::v1::Snapshot& snapshot);

 private:
  struct Master {
    int64_t start_time_unix_ms = 0;
    absl::Time first_seen;
    std::set<int> workers;
    int64_t restarts = 0;
    std::deque<std::pair<absl::Time, int>> recent;  // (when, restarts seen then)
  };
  absl::Duration window_;
  // Keyed by pid; a start time that moved by more than clock noise means
  // the pid was reused by another master.
  std::map<int, Master> masters_;
};

}  // namespace corral::agent

#endif  // CORRAL_AGENT_WORKER_CHURN_H_
