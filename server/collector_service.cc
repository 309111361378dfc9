#include "server/collector_service.h"

#include <algorithm>

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

class CollectorService::StreamReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamReactor(CollectorService* service, grpc::CallbackServerContext* context)
      : service_(service), peer_(context->peer()) {
    grpc::Status auth = service_->auth_->Check(*context);
    if (!auth.ok()) {
      Log()->warn("refused stream from {}: {}", peer_, auth.error_message());
      FinishOnce(auth);
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
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
    std::string service = snapshot->agent().service();
    std::string instance = snapshot->agent().instance();
    int64_t interval_ms = snapshot->agent().interval_ms();
    grpc::Status accepted = service_->Accept(std::move(snapshot), &carriers_, peer_);
    if (!accepted.ok()) {
      FinishOnce(accepted);
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (key_.first != service || key_.second != instance) {
        if (!key_.first.empty()) service_->registry_->StreamClosed(key_.first, key_.second);
        key_ = {service, instance};
        service_->registry_->StreamOpened(service, instance);
      }
      int64_t wanted = absl::ToInt64Milliseconds(service_->options_.agent_interval);
      if (wanted > 0 && interval_ms != wanted && !writing_ && sent_interval_ms_ != wanted) {
        writing_ = true;
        sent_interval_ms_ = wanted;
        corral::v1::ServerMessage reply;
        reply.set_interval_ms(wanted);
        SerializeRaw(reply, &response_);
        StartWrite(&response_);
      }
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&mu_);
      if (!key_.first.empty()) service_->registry_->StreamClosed(key_.first, key_.second);
    }
    delete this;
  }

 private:
  // The agent said it is shutting down: its instance leaves the fleet now.
  void Leave() {
    std::pair<std::string, std::string> key;
    {
      absl::MutexLock lock(&mu_);
      key = std::move(key_);
      key_ = {};
    }
    if (key.first.empty()) return;  // it never reported on this stream
    if (service_->registry_->Leave(key.first, key.second)) {
      Log()->info("instance {}/{} left: its agent from {} is stopping", key.first, key.second, peer_);
      if (service_->options_.on_leave) service_->options_.on_leave(key.first, key.second);
    }
  }

  void FinishOnce(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  CollectorService* service_;
  std::string peer_;
  ConfigCarriers carriers_;  // only touched by OnReadDone, one read at a time
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  absl::Mutex mu_;
  std::pair<std::string, std::string> key_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int64_t sent_interval_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

CollectorService::CollectorService(Registry* registry, const CallAuth* auth, CollectorOptions options)
    : registry_(registry), auth_(auth), options_(options), log_window_start_(absl::Now()) {}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* CollectorService::Stream(
    grpc::CallbackServerContext* context) {
  return new StreamReactor(this, context);
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
  absl::Status valid = ValidateSnapshot(*snapshot);
  absl::StatusOr<corral::server::Report> report = absl::InternalError("unset");
  if (valid.ok()) {
    report = carriers != nullptr ? carriers->Resolve(snapshot) : corral::server::Report::Complete(snapshot);
    valid = report.status();
  }
  if (!valid.ok()) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    std::string why(valid.message());
    LogRejection(peer, why);
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, why);
  }
  reports_.fetch_add(1, std::memory_order_relaxed);
  std::string service = snapshot->agent().service();
  std::string instance = snapshot->agent().instance();
  if (registry_->Record(*std::move(report))) Log()->info("instance {}/{} reporting from {}", service, instance, peer);
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
