// One agent-to-server link: a long-lived bidirectional stream that carries
// one message per sample, re-opened with exponential backoff and jitter when
// it breaks. Offer() never blocks: the sampler hands over its latest
// snapshot and goes back to work; an unsent older snapshot is replaced,
// because only the latest state matters -- memory stays bounded however
// long the server is away.
#ifndef CORRAL_AGENT_UPLINK_H_
#define CORRAL_AGENT_UPLINK_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "corral/v1/collector.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace corral::agent {

struct UplinkOptions {
  std::string address;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::optional<std::string> token;
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(30);
  // Called (from the link's thread) when the server asks for an interval.
  std::function<void(absl::Duration)> on_interval;
  // The instance the link reports, for its log lines; empty when the agent
  // reports one instance only.
  std::string label;
};

class Uplink {
 public:
  explicit Uplink(UplinkOptions options);
  ~Uplink();

  void Start();
  // Hands over the latest snapshot. Never blocks on the network.
  void Offer(std::shared_ptr<const corral::v1::Snapshot> snapshot);
  // Tells the server, if connected, that this agent is shutting down on
  // purpose (AgentMessage.leaving), so its instance leaves the fleet at
  // once; returns without waiting. Stop() then waits for the server's
  // answer until `deadline`.
  void Leave();
  // Cancels the stream and joins the thread; the server sees the stream
  // close at once. After Leave(), first waits until the server finished the
  // stream or `deadline` passed.
  void Stop(absl::Time deadline = absl::InfinitePast());

  bool connected() const { return connected_.load(); }
  uint64_t sent() const { return sent_.load(); }
  // Snapshots replaced before they could be sent (server slow or away).
  uint64_t replaced() const { return replaced_.load(); }
  const std::string& address() const { return options_.address; }

 private:
  void Run();
  void Connect();
  bool Stopping();
  // One stream's life: returns its final status; `delivered` says whether
  // at least one snapshot went through.
  grpc::Status RunStream(bool* delivered);
  void Backoff(absl::Duration* delay);
  // " for LABEL" in log lines, or nothing.
  std::string For() const;

  UplinkOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<corral::v1::Collector::Stub> stub_;
  std::thread thread_;

  absl::Mutex mu_;
  std::shared_ptr<const corral::v1::Snapshot> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Leave() was called; `left_` once the server finished that stream.
  bool leaving_ ABSL_GUARDED_BY(mu_) = false;
  bool left_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;

  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> replaced_{0};
};

// The uplinks of an agent that reports several pods (--per-pod): one stream
// per pod and server, so the server keeps each pod's liveness as it keeps a
// single instance's. A pod's uplinks open when its first snapshot is offered
// and stop -- its streams close, the server marks it disconnected, then
// offline -- as soon as an offer leaves it out (its Gunicorn is gone). On
// Leave() every pod still reported leaves the fleet on purpose.
class PodUplinks {
 public:
  // Makes the started uplinks, one per server, of the pod `agent` names.
  using Opener = std::function<std::vector<std::unique_ptr<Uplink>>(const corral::v1::AgentIdentity& agent)>;

  explicit PodUplinks(Opener open);
  ~PodUplinks();

  // Hands every snapshot to its pod's uplinks (by AgentIdentity namespace,
  // service and instance), opening those of new pods and stopping those of
  // pods not in `snapshots`. Never waits on the network, except to cancel
  // the streams of pods that went away.
  void Offer(const std::vector<std::shared_ptr<const corral::v1::Snapshot>>& snapshots);
  // As Uplink::Leave and Uplink::Stop, for every pod.
  void Leave();
  void Stop(absl::Time deadline = absl::InfinitePast());

  // "namespace/service/instance" of the pods with open uplinks, in order.
  std::vector<std::string> pods() const;

 private:
  Opener open_;
  std::map<std::string, std::vector<std::unique_ptr<Uplink>>> by_pod_;
};

// "namespace/service/instance" ("service/instance" without a namespace).
std::string PodKey(const corral::v1::AgentIdentity& agent);

// One step of the uplink's reconnection backoff: the wait before the next
// attempt is `delay` scaled by `jitter` (a uniform draw from [0, 1)) into
// [delay / 2, delay), and the delay after that doubles up to `max_backoff`.
// The jitter spreads agents that lost one server at the same moment over
// half their delay, so they do not all come back in one burst.
struct BackoffStep {
  absl::Duration wait;
  absl::Duration next_delay;
};
BackoffStep NextBackoff(absl::Duration delay, absl::Duration max_backoff, double jitter);

// Sends one snapshot with the unary Report call (corral-agent --once).
absl::Status ReportOnce(const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                        const std::optional<std::string>& token, const corral::v1::Snapshot& snapshot,
                        absl::Duration timeout);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_UPLINK_H_
