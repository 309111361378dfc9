// The agent's sampling loop: sample, stamp identity and worker churn, hand
// the snapshot to every uplink, log what changed, wait for the next tick.
// Sampling never waits on the network.
#ifndef CORRAL_AGENT_AGENT_RUNNER_H_
#define CORRAL_AGENT_AGENT_RUNNER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "agent/agent_options.h"
#include "agent/probe.h"
#include "agent/uplink.h"
#include "agent/worker_churn.h"

namespace corral::agent {

class AgentRunner {
 public:
  AgentRunner(const AgentOptions& options, corral::v1::AgentIdentity identity);

  // One sample with identity and churn filled in.
  corral::v1::Snapshot SampleOnce();

  // Samples every interval into `uplinks` until `stop` is notified.
  void Run(const std::vector<Uplink*>& uplinks, absl::Notification* stop);

  // The server may change the interval at any time.
  void SetInterval(absl::Duration interval);

  // Every snapshot carries what `stats` returns (Gunicorn's statsd).
  void SetRequestStats(std::function<corral::v1::RequestStats()> stats) { request_stats_ = std::move(stats); }

 private:
  void LogChanges(const corral::v1::Snapshot& snapshot);

  Probe probe_;
  WorkerChurn churn_;
  corral::v1::AgentIdentity identity_;
  std::atomic<int64_t> interval_ms_;
  uint64_t sequence_ = 0;
  // Master pid -> live workers at the last sample, for change logs.
  std::map<int, int> last_workers_;
  bool first_sample_ = true;
  std::function<corral::v1::RequestStats()> request_stats_;
};

}  // namespace corral::agent

#endif  // CORRAL_AGENT_AGENT_RUNNER_H_
