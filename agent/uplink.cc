#include "agent/uplink.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "agent/config_delta.h"
#include "common/component_log.h"
#include "common/duration.h"
#include "common/grpc_security.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

const ComponentLog Log("uplink");

std::string Describe(const grpc::Status& status) {
  static const char* kCodes[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  int code = static_cast<int>(status.error_code());
  std::string name = code >= 0 && code < 17 ? kCodes[code] : absl::StrCat(code);
  return status.error_message().empty() ? name : absl::StrCat(name, ": ", status.error_message());
}

}  // namespace

Uplink::Uplink(UplinkOptions options) : options_(std::move(options)) {}

std::string Uplink::For() const { return options_.label.empty() ? "" : absl::StrCat(" for ", options_.label); }

void Uplink::Connect() {
  grpc::ChannelArguments args;
  // Keep the idle stream alive through NATs and notice dead peers.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // A fresh channel with its own subchannels for each stream: a channel that
  // failed to connect keeps failing calls fast until its own reconnection
  // backoff (seconds, growing) expires, which would override ours.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel_ = grpc::CreateCustomChannel(options_.address, options_.credentials, args);
  stub_ = corral::v1::Collector::NewStub(channel_);
}

Uplink::~Uplink() { Stop(); }

void Uplink::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Uplink::Offer(std::shared_ptr<const corral::v1::Snapshot> snapshot) {
  absl::MutexLock lock(&mu_);
  if (pending_ != nullptr) replaced_.fetch_add(1);
  pending_ = std::move(snapshot);
}

void Uplink::Leave() {
  absl::MutexLock lock(&mu_);
  leaving_ = true;
  // Not connected: nothing to tell, and no stream to wait for.
  if (context_ == nullptr || !connected_.load()) left_ = true;
}

void Uplink::Stop(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (leaving_) {
      mu_.AwaitWithDeadline(absl::Condition(&left_), deadline);
    }
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

BackoffStep NextBackoff(absl::Duration delay, absl::Duration max_backoff, double jitter) {
  jitter = std::clamp(jitter, 0.0, 1.0);
  return {delay * (0.5 + 0.5 * jitter), std::min(delay * 2, max_backoff)};
}

void Uplink::Backoff(absl::Duration* delay) {
  static thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  BackoffStep step = NextBackoff(*delay, options_.max_backoff, jitter(rng));
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](bool* stopping) { return *stopping; }, &stopping_),
                       step.wait);
  *delay = step.next_delay;
}

bool Uplink::Stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void Uplink::Run() {
  absl::Duration delay = options_.initial_backoff;
  bool down_reported = false;
  while (!Stopping()) {
    bool delivered = false;
    grpc::Status status = RunStream(&delivered);
    {
      absl::MutexLock lock(&mu_);
      if (leaving_) {
        left_ = true;  // the stream that said so is over; never reconnect
        break;
      }
    }
    if (Stopping()) break;
    if (delivered) {
      connected_.store(false);
      Log()->warn("lost server {}{}: {}; reconnecting", options_.address, For(), Describe(status));
      delay = options_.initial_backoff;
      down_reported = true;
    } else if (!down_reported) {
      Log()->warn("cannot reach server {}{}: {}; retrying with backoff up to {}", options_.address, For(),
                  Describe(status), FormatDurationShort(options_.max_backoff));
      down_reported = true;
    } else {
      Log()->debug("server {} still unreachable: {}", options_.address, Describe(status));
    }
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
        status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      // Retrying fast will not fix a token or a snapshot the server refuses.
      delay = std::max(delay, absl::Seconds(5));
    }
    Backoff(&delay);
  }
  connected_.store(false);
}

grpc::Status Uplink::RunStream(bool* delivered) {
  Connect();
  grpc::ClientContext context;
  if (options_.token) context.AddMetadata(kAuthorizationHeader, BearerValue(*options_.token));
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return grpc::Status::CANCELLED;
    context_ = &context;
    stream_ended_ = false;
  }
  std::unique_ptr<grpc::ClientReaderWriter<corral::v1::AgentMessage, corral::v1::ServerMessage>> stream =
      stub_->Stream(&context);
  ConfigDelta delta;  // a new stream carries every configuration first
  std::thread reader([&] {
    corral::v1::ServerMessage message;
    while (stream->Read(&message)) {
      if (message.interval_ms() > 0 && options_.on_interval) {
        options_.on_interval(absl::Milliseconds(message.interval_ms()));
      }
    }
    // The stream is over (server gone, refused, or cancelled): wake the
    // writer so the break is noticed now, not at the next sample.
    absl::MutexLock lock(&mu_);
    stream_ended_ = true;
  });
  bool goodbye = false;
  while (true) {
    std::shared_ptr<const corral::v1::Snapshot> snapshot;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Uplink* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || self->stream_ended_ || self->leaving_ || self->pending_ != nullptr;
          },
          this));
      if (stopping_ || stream_ended_) break;
      if (leaving_) {
        goodbye = *delivered;  // the server knows this instance only after a snapshot
        break;
      }
      snapshot = std::move(pending_);
    }
    corral::v1::AgentMessage message;
    *message.mutable_snapshot() = *snapshot;
    delta.Apply(*message.mutable_snapshot());
    if (!stream->Write(message)) {
      // Keep it for the next stream unless a newer one arrived meanwhile.
      absl::MutexLock lock(&mu_);
      if (pending_ == nullptr) pending_ = std::move(snapshot);
      break;
    }
    sent_.fetch_add(1);
    *delivered = true;
    if (!connected_.exchange(true)) Log()->info("connected to server {}{}", options_.address, For());
  }
  if (goodbye) {
    corral::v1::AgentMessage leaving;
    leaving.set_leaving(true);
    // The server answers by finishing the stream, which ends the reader.
    if (stream->Write(leaving) && stream->WritesDone()) {
      Log()->info("told server {} that {} is leaving", options_.address,
                  options_.label.empty() ? std::string("this instance") : options_.label);
    }
  }
  // Cancel only to stop: a stream that ended or failed a write is over, and
  // Finish() then says why (UNAVAILABLE, INVALID_ARGUMENT, ...).
  if (Stopping()) context.TryCancel();
  reader.join();
  grpc::Status status = stream->Finish();
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  return status;
}

std::string PodKey(const corral::v1::AgentIdentity& agent) {
  return absl::StrCat(agent.namespace_(), agent.namespace_().empty() ? "" : "/", agent.service(), "/",
                      agent.instance());
}

PodUplinks::PodUplinks(Opener open) : open_(std::move(open)) {}

PodUplinks::~PodUplinks() { Stop(); }

void PodUplinks::Offer(const std::vector<std::shared_ptr<const corral::v1::Snapshot>>& snapshots) {
  std::map<std::string, std::shared_ptr<const corral::v1::Snapshot>> offered;
  for (const auto& snapshot : snapshots) offered[PodKey(snapshot->agent())] = snapshot;
  for (auto it = by_pod_.begin(); it != by_pod_.end();) {
    if (offered.count(it->first)) {
      ++it;
      continue;
    }
    Log()->info("{} has no Gunicorn master any more: closing its stream", it->first);
    for (auto& uplink : it->second) uplink->Stop();
    it = by_pod_.erase(it);
  }
  for (auto& [key, snapshot] : offered) {
    auto [it, fresh] = by_pod_.try_emplace(key);
    if (fresh) {
      Log()->info("reporting {} on its own stream", key);
      it->second = open_(snapshot->agent());
    }
    for (auto& uplink : it->second) uplink->Offer(snapshot);
  }
}

void PodUplinks::Leave() {
  for (auto& [key, uplinks] : by_pod_) {
    for (auto& uplink : uplinks) uplink->Leave();
  }
}

void PodUplinks::Stop(absl::Time deadline) {
  for (auto& [key, uplinks] : by_pod_) {
    for (auto& uplink : uplinks) uplink->Stop(deadline);
  }
  by_pod_.clear();
}

std::vector<std::string> PodUplinks::pods() const {
  std::vector<std::string> keys;
  for (const auto& [key, uplinks] : by_pod_) keys.push_back(key);
  return keys;
}

absl::Status ReportOnce(const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                        const std::optional<std::string>& token, const corral::v1::Snapshot& snapshot,
                        absl::Duration timeout) {
  std::unique_ptr<corral::v1::Collector::Stub> stub =
      corral::v1::Collector::NewStub(grpc::CreateChannel(address, credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  if (token) context.AddMetadata(kAuthorizationHeader, BearerValue(*token));
  corral::v1::ReportRequest request;
  *request.mutable_snapshot() = snapshot;
  corral::v1::ReportResponse response;
  grpc::Status status = stub->Report(&context, request, &response);
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("server ", address, ": ", Describe(status)));
}

}  // namespace corral::agent
