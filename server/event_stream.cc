#include "server/event_stream.h"

#include "absl/strings/str_cat.h"
#include "server/raw_messages.h"

namespace corral::server {

EventStream::EventStream(History* history, const corral::v1::WatchRequest& request)
    : history_(history), service_(request.service()) {
  // Listen first, then read the store: an event recorded in between is
  // either in the replay or held, never missed.
  subscription_ = history_->Subscribe([this](const corral::v1::Event& e) { Push(e); });
  std::vector<corral::v1::Event> replay;
  if (request.after_id() > 0) {
    EventQuery query;
    query.service = service_;
    query.after_id = request.after_id();
    query.limit = static_cast<int>(kMaxQueuedEvents);
    bool truncated = false;
    absl::StatusOr<std::vector<corral::v1::Event>> stored = history_->Query(query, &truncated);
    if (!stored.ok()) {
      absl::MutexLock lock(&mu_);
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                absl::StrCat("cannot read the history: ", stored.status().message())));
      return;
    }
    if (truncated) {
      absl::MutexLock lock(&mu_);
      FinishLocked(grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                                absl::StrCat("more than ", kMaxQueuedEvents,
                                             " events since the last one seen; read them with corral history")));
      return;
    }
    replay = *std::move(stored);
  }
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  last_queued_id_ = request.after_id();
  for (corral::v1::Event& e : replay) {
    last_queued_id_ = std::max(last_queued_id_, e.id());
    queue_.push_back(std::move(e));
  }
  for (corral::v1::Event& e : held_) {
    if (e.id() != 0 && e.id() <= last_queued_id_) continue;
    last_queued_id_ = std::max(last_queued_id_, e.id());
    queue_.push_back(std::move(e));
  }
  held_.clear();
  replaying_ = false;
  WriteNextLocked();
}

void EventStream::Push(const corral::v1::Event& event) {
  if (!service_.empty() && event.service() != service_ && !event.service().empty()) return;
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  if (replaying_) {
    held_.push_back(event);
    return;
  }
  if (event.id() != 0 && event.id() <= last_queued_id_) return;
  if (queue_.size() >= kMaxQueuedEvents) {
    FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              "this watcher fell too far behind; resume from the last event id"));
    return;
  }
  last_queued_id_ = std::max(last_queued_id_, event.id());
  queue_.push_back(event);
  WriteNextLocked();
}

void EventStream::WriteNextLocked() {
  if (writing_ || finished_ || queue_.empty()) return;
  writing_ = true;
  SerializeRaw(queue_.front(), &in_flight_);
  StartWrite(&in_flight_);
}

void EventStream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  if (pending_finish_) {
    Finish(*std::move(pending_finish_));
    pending_finish_.reset();
    return;
  }
  if (!ok) {
    FinishLocked(grpc::Status::CANCELLED);
    return;
  }
  queue_.pop_front();
  WriteNextLocked();
}

void EventStream::OnCancel() {
  absl::MutexLock lock(&mu_);
  FinishLocked(grpc::Status::CANCELLED);
}

void EventStream::FinishLocked(grpc::Status status) {
  if (finished_) return;
  finished_ = true;
  // Finish waits for the write in flight, if any.
  if (writing_) {
    pending_finish_ = std::move(status);
    return;
  }
  Finish(std::move(status));
}

void EventStream::OnDone() {
  history_->Unsubscribe(subscription_);
  delete this;
}

}  // namespace corral::server
