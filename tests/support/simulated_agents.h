// Simulated agents for load and chaos tests: snapshots the real probe builds
// from the fixture proc tree, and many agents streaming them to a
// corral-server over gRPC from one process, reconnecting with the real
// agent's backoff (agent/uplink.h, NextBackoff) when the server goes away.
#ifndef CORRAL_TESTS_SUPPORT_SIMULATED_AGENTS_H_
#define CORRAL_TESTS_SUPPORT_SIMULATED_AGENTS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "corral/v1/snapshot.pb.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"

namespace corral::testing {

// A realistic snapshot: the fixture's stale replica (tests/fixtures/
// proc-fleet, pid 7: `gunicorn --workers 1 --reload app:app`) as the probe
// reads it, with `workers` live workers, from service "svc" reporting every
// `interval`.
corral::v1::Snapshot FixtureSnapshot(int workers = 3, absl::Duration interval = absl::Seconds(5));

// `message` in gRPC's wire form.
grpc::ByteBuffer Serialize(const google::protobuf::Message& message);

// The AgentMessage agent `service`/`instance` sends with `snapshot`: in
// steady state, with the configuration left out as an uplink does after
// the first message on a stream.
grpc::ByteBuffer AgentMessageBytes(const corral::v1::Snapshot& snapshot, const std::string& service,
                                   const std::string& instance, bool steady_state);

// `n` channels to `address`, each its own HTTP/2 connection. A lost
// connection is retried within a second (gRPC's default backoff grows to
// two minutes).
std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& address, int n);

// VmRSS of process `pid` in KiB (0 when unreadable).
int64_t RssKb(int pid);

struct SimulatedAgentsOptions {
  std::string address;
  int agents = 1;
  // Each agent sends one message per interval; their phases are spread
  // evenly over the first interval.
  absl::Duration interval = absl::Seconds(1);
  // > 0: the agents' streams share this many connections, round-robin.
  // 0: every agent has its own connection, a fresh one for every stream,
  // as corral-agent does.
  int connections = 16;
  // As corral-agent: its --interval caps the backoff.
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(1);
  // The message agent `agent` sends as its `sequence`-th report (counted
  // over all its streams, from 0); `first_on_stream` when it opens a
  // stream. Called on the simulator's threads.
  std::function<grpc::ByteBuffer(int agent, int64_t sequence, bool first_on_stream)> message;
  // Completion queues (each with a thread) the agents are spread over. The
  // gRPC Debian ships searches every outstanding operation of a queue on
  // each completion (it is built without NDEBUG), so tens of thousands of
  // agents want more than two.
  int queues = 2;
};

// N agents, each with its own Collector.Stream, driven by completion
// queues on two threads. Every report is written as the real uplink
// writes it; when a stream breaks, the agent waits as NextBackoff says
// and opens a new one.
class SimulatedAgents {
 public:
  explicit SimulatedAgents(SimulatedAgentsOptions options);
  // Stops every agent (see Stop).
  ~SimulatedAgents();

  SimulatedAgents(const SimulatedAgents&) = delete;
  SimulatedAgents& operator=(const SimulatedAgents&) = delete;

  // Cancels every stream and waits until all are finished.
  void Stop();

  // While offline, opening a stream fails at once without touching the
  // network, as against a server that is down (its port closed): a long
  // outage of many agents costs timers only, while the agents' attempts
  // keep the real backoff's schedule.
  void SetOffline(bool offline) { offline_.store(offline); }

  // Agents whose current stream has carried at least one message.
  int connected() const { return connected_.load(); }
  // Messages written, over all agents and streams.
  uint64_t sent() const { return sent_.load(); }
  // Streams opened that failed before a message went through (the server
  // was away).
  uint64_t failed_attempts() const { return failed_attempts_.load(); }
  // Why streams ended, by status ("UNAVAILABLE: failed to connect ..."),
  // with how many.
  std::map<std::string, int> EndReasons() const;
  // When each stream's first message was written, per agent, in order.
  std::vector<std::vector<absl::Time>> StreamStarts() const;

 private:
  struct Agent;
  struct Stream;
  struct Tag;
  enum class Op { kStarted, kRead, kWritten, kFinished, kTimer, kStop };

  void Poll(int queue);
  void Handle(Tag* tag, bool ok);
  void Open(Agent* agent);
  void Send(Agent* agent);
  void Fail(Agent* agent);
  // Schedules the next attempt as the agent's backoff says.
  void BackOff(Agent* agent);
  void MaybeRelease(Agent* agent);
  void SetTimer(Agent* agent, absl::Time when);
  grpc::CompletionQueue* QueueOf(const Agent* agent);

  SimulatedAgentsOptions options_;
  std::vector<std::shared_ptr<grpc::Channel>> shared_channels_;
  std::vector<std::unique_ptr<grpc::GenericStub>> shared_stubs_;
  std::vector<std::unique_ptr<Agent>> agents_;
  int queue_count_ = 2;
  std::unique_ptr<grpc::CompletionQueue[]> queues_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> offline_{false};
  std::atomic<int> connected_{0};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> failed_attempts_{0};
  mutable absl::Mutex mu_;
  int done_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> end_reasons_ ABSL_GUARDED_BY(mu_);
  bool stopped_ = false;
};

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_SIMULATED_AGENTS_H_
