#include "server/web/event_feed.h"

#include "absl/strings/str_cat.h"
#include "common/json.h"

namespace corral::server::web {

std::string ServerSentEvent(const corral::v1::Event& event) {
  // One line of JSON: newlines inside strings are escaped by the printer.
  return absl::StrCat("id: ", event.id(), "\nevent: change\ndata: ", ToJson(event, /*pretty=*/false), "\n\n");
}

EventFeed::EventFeed(History* history, int max_streams, absl::Duration keepalive)
    : history_(history), max_streams_(max_streams), keepalive_(keepalive) {
  if (history_ != nullptr) {
    subscription_ = history_->Subscribe([this](const corral::v1::Event& e) { Publish(e); });
  }
}

EventFeed::~EventFeed() {
  if (history_ != nullptr) history_->Unsubscribe(subscription_);
  Shutdown();
}

std::shared_ptr<EventFeed::Stream> EventFeed::Open(const std::string& service) {
  absl::MutexLock lock(&mu_);
  if (shut_down_ || static_cast<int>(streams_.size()) >= max_streams_) return nullptr;
  // The feed keeps a weak reference: the HTTP thread serving the stream
  // owns it, and Close() on its way out removes it here.
  std::shared_ptr<Stream> stream(new Stream(service, keepalive_), [this](Stream* s) {
    {
      absl::MutexLock lock(&mu_);
      streams_.erase(s);
    }
    delete s;
  });
  streams_[stream.get()] = stream;
  return stream;
}

void EventFeed::Shutdown() {
  std::vector<std::shared_ptr<Stream>> open;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    for (auto& [raw, weak] : streams_) {
      if (std::shared_ptr<Stream> s = weak.lock()) open.push_back(std::move(s));
    }
  }
  for (const std::shared_ptr<Stream>& s : open) s->Close();
}

int EventFeed::open_streams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(streams_.size());
}

void EventFeed::Publish(const corral::v1::Event& event) {
  std::vector<std::shared_ptr<Stream>> open;
  {
    absl::MutexLock lock(&mu_);
    if (streams_.empty()) return;
    for (auto& [raw, weak] : streams_) {
      if (std::shared_ptr<Stream> s = weak.lock()) open.push_back(std::move(s));
    }
  }
  std::string text = ServerSentEvent(event);
  for (const std::shared_ptr<Stream>& s : open) s->Push(event.service(), text);
}

void EventFeed::Stream::Push(const std::string& service, const std::string& text) {
  absl::MutexLock lock(&mu_);
  if (closed_ || overflowed_) return;
  // Events about no service (server_started) concern every page.
  if (!service_.empty() && !service.empty() && service != service_) return;
  if (queue_.size() >= kMaxQueued) {
    overflowed_ = true;
    queue_.clear();
    return;
  }
  queue_.push_back(text);
}

void EventFeed::Stream::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

std::optional<std::string> EventFeed::Stream::Next() {
  absl::MutexLock lock(&mu_);
  if (!greeted_) {
    // The retry delay, and a first line so the browser sees the stream open.
    greeted_ = true;
    return std::string("retry: 3000\n: corral events\n\n");
  }
  auto ready = [this]() { return closed_ || overflowed_ || !queue_.empty(); };
  mu_.AwaitWithTimeout(absl::Condition(&ready), keepalive_);
  if (closed_) return std::nullopt;
  if (overflowed_) {
    closed_ = true;
    return std::string("event: reload\ndata: {}\n\n");
  }
  if (queue_.empty()) return std::string(": keepalive\n\n");
  std::string out;
  while (!queue_.empty()) {
    out += queue_.front();
    queue_.pop_front();
  }
  return out;
}

}  // namespace corral::server::web
