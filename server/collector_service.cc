#include "server/collector_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/component_log.h"
#include "corral/v1/collector.pb.h"
#include "server/raw_messages.h"
#include "server/snapshot_validation.h"
#include "spdlog/spdlog.h"

namespace corral::server {
namespace {

const ComponentLog Log("collector");

// The snapshot a request carries, sharing the request's arena.
template <typename Request>
std::shared_ptr<const corral::v1::Snapshot> SnapshotOf(const std::shared_ptr<const Request>& request) {
  return std::shared_ptr<const corral::v1::Snapshot>(request, &request->snapshot());
}

}  // namespace

// One agent stream, from the request for it to its Finish. Every operation
// completes on the stream's one queue, whose one thread calls Proceed: no
// two steps of a stream run at once, so it needs no lock. At most one read
// and one write are outstanding; Finish waits for the write.
class CollectorService::StreamCall {
 public:
  enum class Op { kRequested, kRead, kWritten, kFinished };
  struct Tag {
    StreamCall* call;
    Op op;
  };

  StreamCall(CollectorService* service, grpc::ServerCompletionQueue* queue)
      : service_(service), queue_(queue), stream_(&context_), carriers_(&service->config_pool_) {
    service_->RequestStream(&context_, &stream_, queue_, queue_, &requested_);
  }

  void Proceed(Op op, bool ok) {
    switch (op) {
      case Op::kRequested:
        Accepted(ok);
        break;
      case Op::kRead:
        reading_ = false;
        ReadDone(ok);
        break;
      case Op::kWritten:
        writing_ = false;
        if (finish_waiting_) StartFinish();
        break;
      case Op::kFinished:
        Done();
        return;
    }
    if (!accepted_ || (!reading_ && !writing_ && !finishing_)) Done();
  }

 private:
  void Accepted(bool ok) {
    if (!ok) return;  // the server is shutting down
    accepted_ = true;
    {
      absl::MutexLock lock(&service_->calls_mu_);
      ++service_->live_calls_;
    }
    // The next agent's stream is awaited at once.
    if (!service_->stopping_.load()) new StreamCall(service_, queue_);
    peer_ = context_.peer();
    grpc::Status auth = service_->auth_->Check(context_);
    if (!auth.ok()) {
      Log()->warn("refused stream from {}: {}", peer_, auth.error_message());
      FinishOnce(auth);
      return;
    }
    StartRead();
  }

  void ReadDone(bool ok) {
    if (!ok) {  // the agent closed its side, or the connection broke
      FinishOnce(grpc::Status::OK);
      return;
    }
    if (absl::Status size = ValidateWireSize(request_.Length()); !size.ok()) {
      service_->rejected_.fetch_add(1, std::memory_order_relaxed);
      service_->LogRejection(peer_, std::string(size.message()));
      FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(size.message())));
      return;
    }
    std::shared_ptr<const corral::v1::AgentMessage> message = ParseRawInArena<corral::v1::AgentMessage>(request_);
    request_.Clear();
    if (message == nullptr) {
      service_->rejected_.fetch_add(1, std::memory_order_relaxed);
      service_->LogRejection(peer_, "malformed message");
      FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed AgentMessage"));
      return;
    }
    if (message->leaving()) {
      Leave();
      FinishOnce(grpc::Status::OK);
      return;
    }
    std::shared_ptr<const corral::v1::Snapshot> snapshot = SnapshotOf(message);
    const corral::v1::AgentIdentity& agent = snapshot->agent();
    int64_t interval_ms = agent.interval_ms();
    // The identity lives in the message's arena, which the registry keeps.
    bool same_key = key_.first == agent.service() && key_.second == agent.instance();
    std::pair<std::string, std::string> key;
    if (!same_key) key = {agent.service(), agent.instance()};
    grpc::Status accepted = service_->Accept(std::move(snapshot), &carriers_, peer_);
    if (!accepted.ok()) {
      FinishOnce(accepted);
      return;
    }
    if (!same_key) {
      if (!key_.first.empty()) service_->registry_->StreamClosed(key_.first, key_.second);
      key_ = std::move(key);
      service_->registry_->StreamOpened(key_.first, key_.second);
    }
    int64_t wanted = absl::ToInt64Milliseconds(service_->options_.agent_interval);
    if (wanted > 0 && interval_ms != wanted && !writing_ && sent_interval_ms_ != wanted) {
      writing_ = true;
      sent_interval_ms_ = wanted;
      corral::v1::ServerMessage reply;
      reply.set_interval_ms(wanted);
      SerializeRaw(reply, &response_);
      stream_.Write(response_, &written_);
    }
    StartRead();
  }

  void StartRead() {
    reading_ = true;
    stream_.Read(&request_, &read_);
  }

  // The agent said it is shutting down: its instance leaves the fleet now.
  void Leave() {
    std::pair<std::string, std::string> key = std::move(key_);
    key_ = {};
    if (key.first.empty()) return;  // it never reported on this stream
    if (service_->registry_->Leave(key.first, key.second)) {
      Log()->info("instance {}/{} left: its agent from {} is stopping", key.first, key.second, peer_);
      if (service_->options_.on_leave) service_->options_.on_leave(key.first, key.second);
    }
  }

  void FinishOnce(const grpc::Status& status) {
    if (finishing_ || finish_waiting_) return;
    status_ = status;
    if (writing_) {
      finish_waiting_ = true;
      return;
    }
    StartFinish();
  }

  void StartFinish() {
    finish_waiting_ = false;
    finishing_ = true;
    stream_.Finish(status_, &finished_);
  }

  void Done() {
    if (accepted_) {
      if (!key_.first.empty()) service_->registry_->StreamClosed(key_.first, key_.second);
      absl::MutexLock lock(&service_->calls_mu_);
      --service_->live_calls_;
    }
    delete this;
  }

  CollectorService* service_;
  grpc::ServerCompletionQueue* queue_;
  grpc::ServerContext context_;
  grpc::ServerAsyncReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer> stream_;
  Tag requested_{this, Op::kRequested};
  Tag read_{this, Op::kRead};
  Tag written_{this, Op::kWritten};
  Tag finished_{this, Op::kFinished};
  std::string peer_;
  ConfigCarriers carriers_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  grpc::Status status_;
  std::pair<std::string, std::string> key_;
  bool accepted_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool finish_waiting_ = false;
  bool finishing_ = false;
  int64_t sent_interval_ms_ = 0;
};

CollectorService::CollectorService(Registry* registry, const CallAuth* auth, CollectorOptions options)
    : registry_(registry), auth_(auth), options_(options), log_window_start_(absl::Now()) {}

CollectorService::~CollectorService() { Stop(); }

void CollectorService::AddTo(grpc::ServerBuilder* builder) {
  builder->RegisterService(this);
  for (int i = 0; i < std::max(1, options_.stream_queues); ++i) queues_.push_back(builder->AddCompletionQueue());
}

void CollectorService::Start() {
  for (size_t i = 0; i < queues_.size(); ++i) {
    new StreamCall(this, queues_[i].get());
    threads_.emplace_back([this, i] { Poll(i); });
  }
}

void CollectorService::Poll(size_t i) {
  void* tag;
  bool ok;
  while (queues_[i]->Next(&tag, &ok)) {
    auto* t = static_cast<StreamCall::Tag*>(tag);
    t->call->Proceed(t->op, ok);
  }
}

void CollectorService::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  // The server's Shutdown() cancelled every stream; each finishes on its
  // queue's thread. A queue may only shut down once nothing will start an
  // operation on it.
  {
    absl::MutexLock lock(&calls_mu_);
    calls_mu_.AwaitWithTimeout(absl::Condition(
                                   +[](int* live) { return *live == 0; }, &live_calls_),
                               absl::Seconds(10));
  }
  for (auto& queue : queues_) queue->Shutdown();
  for (auto& thread : threads_) thread.join();
  if (threads_.empty()) {  // never started: drain here
    for (size_t i = 0; i < queues_.size(); ++i) Poll(i);
  }
}

grpc::ServerUnaryReactor* CollectorService::Report(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status auth = auth_->Check(*context);
  if (!auth.ok()) {
    Log()->warn("refused report from {}: {}", context->peer(), auth.error_message());
    reactor->Finish(auth);
    return reactor;
  }
  if (absl::Status size = ValidateWireSize(request->Length()); !size.ok()) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    LogRejection(context->peer(), std::string(size.message()));
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(size.message())));
    return reactor;
  }
  std::shared_ptr<const corral::v1::ReportRequest> parsed = ParseRawInArena<corral::v1::ReportRequest>(*request);
  std::shared_ptr<const corral::v1::Snapshot> snapshot = parsed ? SnapshotOf(parsed) : nullptr;
  if (snapshot == nullptr) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    LogRejection(context->peer(), "malformed message");
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed ReportRequest"));
    return reactor;
  }
  grpc::Status status = Accept(std::move(snapshot), nullptr, context->peer());
  if (status.ok()) {
    corral::v1::ReportResponse reply;
    reply.set_interval_ms(absl::ToInt64Milliseconds(options_.agent_interval));
    SerializeRaw(reply, response);
  }
  reactor->Finish(status);
  return reactor;
}

grpc::Status CollectorService::Accept(std::shared_ptr<const corral::v1::Snapshot> snapshot, ConfigCarriers* carriers,
                                      const std::string& peer) {
  auto refuse = [&](const absl::Status& why) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    LogRejection(peer, std::string(why.message()));
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(why.message()));
  };
  if (absl::Status valid = ValidateSnapshot(*snapshot); !valid.ok()) return refuse(valid);
  absl::StatusOr<corral::server::Report> report =
      carriers != nullptr ? carriers->Resolve(snapshot) : corral::server::Report::Complete(snapshot);
  if (!report.ok()) return refuse(report.status());
  reports_.fetch_add(1, std::memory_order_relaxed);
  // `snapshot` still holds the identity the registry now keeps too.
  if (registry_->Record(*std::move(report))) {
    Log()->info("instance {}/{} reporting from {}", snapshot->agent().service(), snapshot->agent().instance(), peer);
  }
  return grpc::Status::OK;
}

void CollectorService::LogRejection(const std::string& peer, const std::string& why) {
  // One line per refusal, but a flood must not flood the log: at most 5 per
  // 10 s, then one line counting the rest.
  absl::MutexLock lock(&log_mu_);
  absl::Time now = absl::Now();
  if (now - log_window_start_ >= absl::Seconds(10)) {
    if (suppressed_ > 0) Log()->warn("{} more invalid reports refused in the last 10s", suppressed_);
    log_window_start_ = now;
    logged_in_window_ = 0;
    suppressed_ = 0;
  }
  if (logged_in_window_ < 5) {
    ++logged_in_window_;
    Log()->warn("refused report from {}: {}", peer, why);
  } else {
    ++suppressed_;
  }
}

}  // namespace corral::server
