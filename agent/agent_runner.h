// The agent's sampling loop: sample, stamp identity and worker churn, hand
// the snapshot to every uplink, log what changed, wait for the next tick.
// Sampling never waits on the network.
//
// With --per-pod (the node form on Kubernetes) each sample is split into one
// snapshot per pod, every master going to the pod its environment names
// (identity.h, PodOfMaster), and each pod's snapshots travel on that pod's
// own uplinks (PodUplinks).
#ifndef CORRAL_AGENT_AGENT_RUNNER_H_
#define CORRAL_AGENT_AGENT_RUNNER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "agent/agent_options.h"
#include "agent/identity.h"
#include "agent/probe.h"
#include "agent/proc_reader.h"
#include "agent/uplink.h"
#include "agent/worker_churn.h"

namespace corral::agent {

// Master pid -> its pod, or why the pod is unknown.
using PodsOfMasters = std::map<int, absl::StatusOr<PodIdentity>>;

// Splits one sample into one snapshot per pod, in PodKey order. A pod's
// snapshot carries its masters and `own` as identity with the pod's
// service, name (the instance) and namespace, and the container id found in
// its first master's cgroup path. Masters whose pod is unknown go to one
// snapshot with `own` as identity, last, each with a POD_UNKNOWN warning
// that says why; that snapshot is left out when there is no such master.
// Every snapshot keeps the sample's time, sequence, scan kind, duration and
// scan errors; request stats stay with `own`.
std::vector<corral::v1::Snapshot> SplitByPod(const corral::v1::Snapshot& sample, const PodsOfMasters& pods,
                                             const corral::v1::AgentIdentity& own);

class AgentRunner {
 public:
  AgentRunner(const AgentOptions& options, corral::v1::AgentIdentity identity);

  // One sample with identity and churn filled in.
  corral::v1::Snapshot SampleOnce();

  // --per-pod: one sample split by pod (SplitByPod). Each master's pod is
  // read from its environment once per master; a master whose pod is
  // unknown is logged once, as a warning.
  std::vector<corral::v1::Snapshot> SampleByPod();

  // Samples every interval into `uplinks` until `stop` is notified.
  void Run(const std::vector<Uplink*>& uplinks, absl::Notification* stop);

  // --per-pod: samples every interval by pod into `pods` until `stop` is
  // notified.
  void RunByPod(PodUplinks* pods, absl::Notification* stop);

  // The server may change the interval at any time.
  void SetInterval(absl::Duration interval);

  // Every snapshot carries what `stats` returns (Gunicorn's statsd).
  void SetRequestStats(std::function<corral::v1::RequestStats()> stats) { request_stats_ = std::move(stats); }

 private:
  void LogChanges(const corral::v1::Snapshot& snapshot);
  // Calls `sample` every interval until `stop` is notified.
  void Every(absl::Notification* stop, const std::function<void()>& sample);
  // The pod of one master of the latest sample.
  absl::StatusOr<PodIdentity> PodOf(const corral::v1::GunicornInstance& instance);

  Probe probe_;
  ProcReader reader_;
  WorkerChurn churn_;
  corral::v1::AgentIdentity identity_;
  std::atomic<int64_t> interval_ms_;
  uint64_t sequence_ = 0;
  // Master pid -> live workers at the last sample, for change logs.
  std::map<int, int> last_workers_;
  bool first_sample_ = true;
  std::function<corral::v1::RequestStats()> request_stats_;
  // --per-pod, by master (pid, start time): the pods found, which never
  // change, and the masters already warned about.
  using MasterKey = std::pair<int, int64_t>;
  std::map<MasterKey, PodIdentity> pods_;
  std::set<MasterKey> warned_;
};

}  // namespace corral::agent

#endif  // CORRAL_AGENT_AGENT_RUNNER_H_
