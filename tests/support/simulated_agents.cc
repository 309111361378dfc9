#include "tests/support/simulated_agents.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/config_delta.h"
#include "agent/probe.h"
#include "agent/uplink.h"
#include "corral/v1/collector.pb.h"
#include "grpcpp/alarm.h"
#include "grpcpp/generic/generic_stub.h"

namespace corral::testing {

corral::v1::Snapshot FixtureSnapshot(int workers, absl::Duration interval) {
  corral::agent::ProbeOptions options;
  options.proc_root = std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/proc-fleet";
  corral::v1::Snapshot s = corral::agent::Probe(options).Discover();
  corral::v1::Snapshot out;
  for (const corral::v1::GunicornInstance& instance : s.instances()) {
    if (instance.master().pid() == 7) *out.add_instances() = instance;
  }
  if (out.instances().empty()) *out.add_instances() = s.instances(0);
  corral::v1::GunicornInstance* inst = out.mutable_instances(0);
  const corral::v1::ProcessFacts model = inst->workers(0);
  while (inst->workers_size() > workers) inst->mutable_workers()->RemoveLast();
  while (inst->workers_size() < workers) {
    corral::v1::ProcessFacts* w = inst->add_workers();
    *w = model;
    w->set_pid(model.pid() + 1000 + inst->workers_size());
  }
  out.mutable_agent()->set_service("svc");
  out.mutable_agent()->set_hostname("bench-host");
  out.mutable_agent()->set_agent_version("bench");
  out.mutable_agent()->set_interval_ms(absl::ToInt64Milliseconds(interval));
  return out;
}

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  grpc::ByteBuffer buffer;
  bool own = false;
  (void)grpc::SerializationTraits<google::protobuf::Message>::Serialize(message, &buffer, &own);
  return buffer;
}

grpc::ByteBuffer AgentMessageBytes(const corral::v1::Snapshot& snapshot, const std::string& service,
                                   const std::string& instance, bool steady_state) {
  corral::v1::AgentMessage message;
  *message.mutable_snapshot() = snapshot;
  message.mutable_snapshot()->mutable_agent()->set_service(service);
  message.mutable_snapshot()->mutable_agent()->set_instance(instance);
  if (steady_state) {
    // The second message on a stream: the delta has seen the configuration.
    corral::agent::ConfigDelta delta;
    corral::v1::AgentMessage first = message;
    delta.Apply(*first.mutable_snapshot());
    delta.Apply(*message.mutable_snapshot());
  }
  return Serialize(message);
}

namespace {

// A channel of its own connection (not shared through the global subchannel
// pool), with corral-agent's uplink settings (agent/uplink.cc).
grpc::ChannelArguments AgentArguments() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return args;
}

}  // namespace

std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& address, int n) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("corral.test.connection", i);  // a distinct connection each
    // Only the delay between attempts: GRPC_ARG_MIN_RECONNECT_BACKOFF_MS
    // would also cut the time a connection may take to come up.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    channels.push_back(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

int64_t RssKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      int64_t kb = 0;
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb;
    }
  }
  return 0;
}

struct SimulatedAgents::Tag {
  Agent* agent;
  Op op;
  int queue;
};

struct SimulatedAgents::Stream {
  explicit Stream(Agent* agent)
      : started{agent, Op::kStarted, 0},
        read{agent, Op::kRead, 0},
        written{agent, Op::kWritten, 0},
        finished{agent, Op::kFinished, 0} {}
  std::shared_ptr<grpc::Channel> channel;  // when the agent has its own connection
  std::unique_ptr<grpc::GenericStub> own_stub;
  grpc::ClientContext context;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call;
  grpc::ByteBuffer incoming;
  grpc::ByteBuffer outgoing;
  grpc::Status status;
  Tag started, read, written, finished;
  int pending = 0;  // operations whose tag has not come back
  bool writing = false;
  bool broken = false;
  bool delivered = false;
};

struct SimulatedAgents::Agent {
  int index = 0;
  grpc::Alarm alarm;
  Tag timer{nullptr, Op::kTimer, 0};
  bool timer_pending = false;
  absl::Time phase;         // reports are due at phase + k * interval
  absl::Time reconnect_at;  // when the next stream may be opened
  absl::Duration delay;     // the backoff's current delay
  int64_t sequence = 0;
  std::unique_ptr<Stream> stream;
  bool done = false;
  std::vector<absl::Time> starts;  // guarded by SimulatedAgents::mu_
};

SimulatedAgents::SimulatedAgents(SimulatedAgentsOptions options)
    : options_(std::move(options)),
      queue_count_(std::max(1, options_.queues)),
      queues_(new grpc::CompletionQueue[static_cast<size_t>(queue_count_)]) {
  if (options_.connections > 0) {
    shared_channels_ = Channels(options_.address, options_.connections);
    for (auto& channel : shared_channels_) shared_stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
  }
  absl::Time start = absl::Now();
  for (int i = 0; i < options_.agents; ++i) {
    auto agent = std::make_unique<Agent>();
    agent->index = i;
    agent->timer = {agent.get(), Op::kTimer, i % queue_count_};
    agent->phase = start + options_.interval * (static_cast<double>(i) / std::max(1, options_.agents));
    agent->reconnect_at = agent->phase;
    agent->delay = options_.initial_backoff;
    agents_.push_back(std::move(agent));
  }
  // From here on, each agent's state is touched only by its queue's thread.
  for (auto& agent : agents_) SetTimer(agent.get(), agent->reconnect_at);
  for (int q = 0; q < queue_count_; ++q) threads_.emplace_back([this, q] { Poll(q); });
}

SimulatedAgents::~SimulatedAgents() { Stop(); }

grpc::CompletionQueue* SimulatedAgents::QueueOf(const Agent* agent) { return &queues_[agent->index % queue_count_]; }

void SimulatedAgents::SetTimer(Agent* agent, absl::Time when) {
  agent->timer_pending = true;
  agent->alarm.Set(QueueOf(agent), absl::ToChronoTime(when), &agent->timer);
}

void SimulatedAgents::Poll(int queue) {
  void* tag;
  bool ok;
  while (queues_[queue].Next(&tag, &ok)) Handle(static_cast<Tag*>(tag), ok);
}

void SimulatedAgents::Handle(Tag* tag, bool ok) {
  if (tag->op == Op::kStop) {
    for (auto& agent : agents_) {
      if (agent->index % queue_count_ != tag->queue) continue;
      if (agent->timer_pending) agent->alarm.Cancel();
      if (agent->stream != nullptr) agent->stream->context.TryCancel();
      MaybeRelease(agent.get());
    }
    delete tag;
    return;
  }
  Agent* agent = tag->agent;
  Stream* stream = agent->stream.get();
  switch (tag->op) {
    case Op::kTimer:
      agent->timer_pending = false;
      if (!ok || stopping_.load()) break;
      if (stream == nullptr) {
        if (absl::Now() >= agent->reconnect_at) {
          Open(agent);
        } else {
          SetTimer(agent, agent->reconnect_at);
        }
      } else if (!stream->broken && !stream->writing) {
        Send(agent);
      }
      break;
    case Op::kStarted:
      --stream->pending;
      if (!ok) {
        Fail(agent);
        break;
      }
      ++stream->pending;
      stream->call->Read(&stream->incoming, &stream->read);
      Send(agent);  // a reconnected agent sends its pending snapshot at once
      break;
    case Op::kRead:
      --stream->pending;
      if (!ok) {
        Fail(agent);  // the server finished the stream or the connection broke
        break;
      }
      stream->incoming.Clear();
      ++stream->pending;
      stream->call->Read(&stream->incoming, &stream->read);
      break;
    case Op::kWritten: {
      --stream->pending;
      stream->writing = false;
      if (!ok) {
        Fail(agent);
        break;
      }
      sent_.fetch_add(1, std::memory_order_relaxed);
      if (!stream->delivered) {
        stream->delivered = true;
        connected_.fetch_add(1);
        absl::MutexLock lock(&mu_);
        agent->starts.push_back(absl::Now());
      }
      if (stream->broken || stopping_.load()) break;
      absl::Time now = absl::Now();
      double periods = std::floor(absl::FDivDuration(now - agent->phase, options_.interval)) + 1;
      if (!agent->timer_pending) SetTimer(agent, agent->phase + options_.interval * std::max(0.0, periods));
      break;
    }
    case Op::kFinished:
      --stream->pending;
      break;
    case Op::kStop:
      break;
  }
  MaybeRelease(agent);
}

void SimulatedAgents::Open(Agent* agent) {
  if (offline_.load()) {
    // As against a closed port: refused at once.
    failed_attempts_.fetch_add(1, std::memory_order_relaxed);
    {
      absl::MutexLock lock(&mu_);
      ++end_reasons_["offline (not attempted)"];
    }
    BackOff(agent);
    return;
  }
  auto stream = std::make_unique<Stream>(agent);
  int queue = agent->index % queue_count_;
  for (Tag* t : {&stream->started, &stream->read, &stream->written, &stream->finished}) t->queue = queue;
  grpc::GenericStub* stub;
  if (options_.connections > 0) {
    stub = shared_stubs_[static_cast<size_t>(agent->index) % shared_stubs_.size()].get();
  } else {
    // A fresh channel for each stream, as corral-agent's uplink opens one.
    stream->channel = grpc::CreateCustomChannel(options_.address, grpc::InsecureChannelCredentials(), AgentArguments());
    stream->own_stub = std::make_unique<grpc::GenericStub>(stream->channel);
    stub = stream->own_stub.get();
  }
  stream->call = stub->PrepareCall(&stream->context, "/corral.v1.Collector/Stream", QueueOf(agent));
  stream->pending = 1;
  stream->call->StartCall(&stream->started);
  agent->stream = std::move(stream);
}

void SimulatedAgents::BackOff(Agent* agent) {
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  corral::agent::BackoffStep step = corral::agent::NextBackoff(agent->delay, options_.max_backoff, jitter(rng));
  agent->delay = step.next_delay;
  agent->reconnect_at = absl::Now() + step.wait;
  if (!agent->timer_pending) SetTimer(agent, agent->reconnect_at);
}

void SimulatedAgents::Send(Agent* agent) {
  Stream* stream = agent->stream.get();
  stream->outgoing = options_.message(agent->index, agent->sequence++, !stream->delivered);
  stream->writing = true;
  ++stream->pending;
  stream->call->Write(stream->outgoing, &stream->written);
}

void SimulatedAgents::Fail(Agent* agent) {
  Stream* stream = agent->stream.get();
  if (stream->broken) return;
  stream->broken = true;
  stream->context.TryCancel();
  ++stream->pending;
  stream->call->Finish(&stream->status, &stream->finished);
}

void SimulatedAgents::MaybeRelease(Agent* agent) {
  Stream* stream = agent->stream.get();
  if (stream != nullptr) {
    if (!stream->broken && stopping_.load()) Fail(agent);
    if (!stream->broken || stream->pending > 0) return;
    bool delivered = stream->delivered;
    {
      absl::MutexLock lock(&mu_);
      ++end_reasons_[absl::StrCat(stream->status.error_code(), " ", stream->status.error_message())];
    }
    agent->stream.reset();
    if (delivered) {
      connected_.fetch_sub(1);
      agent->delay = options_.initial_backoff;
    } else {
      failed_attempts_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!stopping_.load()) {
      BackOff(agent);
      return;
    }
  }
  if (stopping_.load() && agent->stream == nullptr && !agent->timer_pending && !agent->done) {
    agent->done = true;
    absl::MutexLock lock(&mu_);
    ++done_;
  }
}

void SimulatedAgents::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  std::vector<std::unique_ptr<grpc::Alarm>> alarms;
  for (int q = 0; q < queue_count_; ++q) {
    alarms.push_back(std::make_unique<grpc::Alarm>());
    alarms.back()->Set(&queues_[q], absl::ToChronoTime(absl::Now()), new Tag{nullptr, Op::kStop, q});
  }
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](SimulatedAgents* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
                               return self->done_ == static_cast<int>(self->agents_.size());
                             },
                             this),
                         absl::Seconds(30));
  }
  for (int q = 0; q < queue_count_; ++q) queues_[q].Shutdown();
  for (auto& thread : threads_) thread.join();
}

std::map<std::string, int> SimulatedAgents::EndReasons() const {
  absl::MutexLock lock(&mu_);
  return end_reasons_;
}

std::vector<std::vector<absl::Time>> SimulatedAgents::StreamStarts() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::vector<absl::Time>> out;
  out.reserve(agents_.size());
  for (const auto& agent : agents_) out.push_back(agent->starts);
  return out;
}

}  // namespace corral::testing
