#include "server/history.h"

#include "server/change_detector.h"
#include "spdlog/spdlog.h"

namespace corral::server {

History::History(Store* store, HistoryOptions options)
    : store_(store), options_(std::move(options)), warm_at_(options_.now() + options_.warmup) {}

absl::StatusOr<std::unique_ptr<History>> History::Open(Store* store, HistoryOptions options) {
  absl::StatusOr<std::map<std::string, std::string>> saved = store->LoadBaselines();
  if (!saved.ok()) return saved.status();
  std::unique_ptr<History> history(new History(store, std::move(options)));
  absl::MutexLock lock(&history->mu_);
  for (const auto& [service, bytes] : *saved) {
    corral::v1::ServiceMemory memory;
    if (!memory.ParseFromString(bytes)) {
      spdlog::warn("history: the saved state of service {} in {} is unreadable; starting it afresh", service,
                   store->path());
      continue;
    }
    history->memory_[service] = std::move(memory);
  }
  return history;
}

void History::Observe(const std::string& service, uint64_t version, absl::Span<const InstanceView> views,
                      const std::vector<corral::v1::Finding>& findings) {
  if (!Warm()) return;
  absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  auto [last, fresh] = observed_.try_emplace(service, version, now);
  if (!fresh && !views.empty()) {
    // Two threads may evaluate one service at once; the older result loses.
    if (version < last->second.first || (version == last->second.first && now < last->second.second)) return;
  }
  last->second = {views.empty() ? 0 : version, now};
  corral::v1::ServiceMemory& memory = memory_[service];
  std::vector<corral::v1::Event> events = DetectChanges(service, views, findings, now, options_.forget_after, &memory);
  if (events.empty()) return;
  std::map<std::string, std::string> saved;
  if (memory.instances().empty() && memory.open_findings().empty()) {
    saved[service] = "";
    memory_.erase(service);
    observed_.erase(service);
  } else {
    saved[service] = memory.SerializeAsString();
  }
  StoreAndPublish(&events, saved);
}

void History::Record(std::vector<corral::v1::Event> events) {
  if (events.empty()) return;
  absl::MutexLock lock(&mu_);
  StoreAndPublish(&events, {});
}

void History::StoreAndPublish(std::vector<corral::v1::Event>* events,
                              const std::map<std::string, std::string>& memories) {
  absl::Status stored = store_->Append(events, memories);
  if (!stored.ok()) {
    // Watchers still get the events; the log says the file lost them.
    if (store_failures_++ % 100 == 0) {
      spdlog::error("history: cannot store {} event(s) in {}: {} ({} failure(s) so far)", events->size(),
                    store_->path(), std::string(stored.message()), store_failures_);
    }
  }
  absl::MutexLock lock(&listeners_mu_);
  for (const corral::v1::Event& e : *events) {
    for (const auto& [handle, listener] : listeners_) listener(e);
  }
}

std::vector<std::string> History::RememberedServices() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [service, memory] : memory_) out.push_back(service);
  return out;
}

absl::StatusOr<std::vector<corral::v1::Event>> History::Query(const EventQuery& query, bool* truncated) {
  return store_->Events(query, truncated);
}

uint64_t History::Subscribe(Listener listener) {
  absl::MutexLock lock(&listeners_mu_);
  uint64_t handle = next_listener_++;
  listeners_[handle] = std::move(listener);
  return handle;
}

void History::Unsubscribe(uint64_t handle) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.erase(handle);
}

absl::StatusOr<int64_t> History::Prune() {
  return store_->PruneEvents(absl::ToUnixMillis(options_.now() - options_.retention));
}

}  // namespace corral::server
