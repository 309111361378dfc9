#include "server/history.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "absl/strings/str_cat.h"
#include "server/change_detector.h"
#include "spdlog/spdlog.h"

namespace corral::server {

namespace {

// As the registry: an instance without a report for three of its intervals
// is offline, so a remembered one is not awaited longer.
constexpr int kAwaitedIntervals = 3;
// Events Follow() hands on per call: every 200 ms, 50,000 a second.
constexpr int kFollowBatch = 10000;

}  // namespace

History::History(Store* store, HistoryOptions options)
    : store_(store), options_(std::move(options)), started_(options_.now()) {}

absl::StatusOr<std::unique_ptr<History>> History::Open(Store* store, HistoryOptions options) {
  absl::StatusOr<std::map<std::string, std::string>> saved = store->LoadBaselines();
  if (!saved.ok()) return saved.status();
  std::unique_ptr<History> history(new History(store, std::move(options)));
  absl::MutexLock lock(&history->mu_);
  if (store->shared()) {
    absl::StatusOr<bool> lease = store->HoldHistoryLease();
    if (!lease.ok()) return lease.status();
    history->writer_ = *lease;
    // Watchers get what is stored from now on (and replay the rest).
    EventQuery newest;
    newest.limit = 1;
    absl::StatusOr<std::vector<corral::v1::Event>> last = store->Events(newest, nullptr);
    if (!last.ok()) return last.status();
    if (!last->empty()) history->followed_id_ = last->back().id();
    spdlog::info("history: {} is shared; this server {} the history writer", store->path(),
                 history->writer_ ? "is" : "is not (yet)");
  }
  for (const auto& [service, bytes] : *saved) {
    corral::v1::ServiceMemory memory;
    if (!memory.ParseFromString(bytes)) {
      spdlog::warn("history: the saved state of service {} in {} is unreadable; starting it afresh", service,
                   store->path());
      continue;
    }
    for (const auto& [instance, remembered] : memory.instances()) {
      if (remembered.state() == "offline") continue;  // not expected back
      absl::Duration interval = remembered.interval_ms() > 0 ? absl::Milliseconds(remembered.interval_ms())
                                                             : history->options_.default_interval;
      history->awaited_[service][instance] = history->started_ + kAwaitedIntervals * interval;
    }
    history->memory_[service] = std::move(memory);
  }
  if (!history->awaited_.empty()) {
    int instances = 0;
    for (const auto& [service, awaited] : history->awaited_) instances += static_cast<int>(awaited.size());
    spdlog::info("history: awaiting {} remembered instance(s) of {} service(s) before comparing their replicas",
                 instances, history->awaited_.size());
  }
  return history;
}

void History::Observe(const std::string& service, uint64_t version, absl::Span<const InstanceView> views,
                      const std::vector<corral::v1::Finding>& findings) {
  absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  auto [last, fresh] = observed_.try_emplace(service, version, now);
  if (!fresh && !views.empty()) {
    // Two threads may evaluate one service at once; the older result loses.
    if (version < last->second.first || (version == last->second.first && now < last->second.second)) return;
  }
  last->second = {views.empty() ? 0 : version, now};
  if (store_->shared()) {
    if (views.empty()) {
      last_input_.erase(service);
    } else {
      LastInput& input = last_input_[service];
      input.views.assign(views.begin(), views.end());
      input.findings = findings;
    }
  }
  Detect(service, views, findings, now);
}

void History::Detect(const std::string& service, absl::Span<const InstanceView> views,
                     const std::vector<corral::v1::Finding>& findings, absl::Time now) {
  Coverage coverage = Settle(service, views, now);
  if (coverage == Coverage::kSettling && views.empty()) return;  // nothing to compare yet
  // Instances that left are out of the evaluation unless they reported again.
  std::vector<InstanceView> current;
  std::vector<corral::v1::Finding> current_findings;
  bool filtered = false;
  for (const InstanceView& v : views) {
    auto gone = left_.find({service, v.instance()});
    if (gone != left_.end()) {
      if (v.last_report <= gone->second) {
        filtered = true;
        continue;
      }
      left_.erase(gone);
    }
    current.push_back(v);
  }
  if (filtered) {
    std::set<std::string> kept;
    for (const InstanceView& v : current) kept.insert(v.instance());
    for (const corral::v1::Finding& f : findings) {
      if (f.instance().empty() || kept.count(f.instance())) current_findings.push_back(f);
    }
  }
  corral::v1::ServiceMemory& memory = memory_[service];
  std::vector<corral::v1::Event> events =
      filtered ? DetectChanges(service, current, current_findings, now, options_.forget_after, &memory, coverage)
               : DetectChanges(service, views, findings, now, options_.forget_after, &memory, coverage);
  if (events.empty()) return;
  std::map<std::string, std::string> saved;
  if (memory.instances().empty() && memory.open_findings().empty()) {
    saved[service] = "";
    memory_.erase(service);
    observed_.erase(service);
  } else {
    saved[service] = memory.SerializeAsString();
  }
  StoreAndPublish(&events, saved, /*detected=*/true);
}

Coverage History::Settle(const std::string& service, absl::Span<const InstanceView> views, absl::Time now) {
  auto awaited = awaited_.find(service);
  if (awaited == awaited_.end()) return Coverage::kComplete;
  for (const InstanceView& v : views) awaited_back_ += static_cast<int>(awaited->second.erase(v.instance()));
  for (auto it = awaited->second.begin(); it != awaited->second.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    ++awaited_late_;
    it = awaited->second.erase(it);
  }
  if (!awaited->second.empty()) return Coverage::kSettling;
  awaited_.erase(awaited);
  if (awaited_.empty()) {
    spdlog::info(
        "history: comparing every service in full {:.1f}s after the start: {} remembered instance(s) "
        "reported again, {} did not within three of their intervals",
        absl::ToDoubleSeconds(now - started_), awaited_back_, awaited_late_);
  }
  return Coverage::kComplete;
}

absl::Time History::NextSettlingDeadline(const std::string& service) const {
  absl::MutexLock lock(&mu_);
  auto awaited = awaited_.find(service);
  absl::Time next = absl::InfiniteFuture();
  if (awaited == awaited_.end()) return next;
  for (const auto& [instance, deadline] : awaited->second) next = std::min(next, deadline);
  return next;
}

void History::Left(const std::string& service, const std::string& instance) {
  absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  for (auto it = left_.begin(); it != left_.end();) {
    it = now - it->second > options_.forget_after ? left_.erase(it) : std::next(it);
  }
  left_[{service, instance}] = now;
  auto awaited = awaited_.find(service);
  if (awaited != awaited_.end()) {
    awaited->second.erase(instance);  // it is not coming back
    if (awaited->second.empty()) awaited_.erase(awaited);
  }
  auto memory = memory_.find(service);
  std::string pod_namespace;
  if (memory != memory_.end()) {
    auto known = memory->second.instances().find(instance);
    if (known != memory->second.instances().end()) pod_namespace = known->second.namespace_();
  }
  std::vector<corral::v1::Event> events;
  auto event = [&](const char* kind) -> corral::v1::Event& {
    corral::v1::Event& e = events.emplace_back();
    e.set_time_unix_ms(absl::ToUnixMillis(now));
    e.set_kind(kind);
    e.set_service(service);
    e.set_instance(instance);
    e.set_namespace_(pod_namespace);
    return e;
  };
  std::string before;
  std::map<std::string, std::string> saved;
  if (memory != memory_.end()) {
    auto* open = memory->second.mutable_open_findings();
    std::set<std::string> resolved;  // in key order, so events are stable
    for (const auto& [key, f] : *open) {
      if (f.instance() == instance) resolved.insert(key);
    }
    for (const std::string& key : resolved) {
      const corral::v1::Finding& f = open->at(key);
      corral::v1::Event& e = event("finding_resolved");
      e.set_rule(f.rule());
      e.set_severity(f.severity());
      e.set_message(absl::StrCat("resolved: ", f.message(), " (the instance stopped)"));
      open->erase(key);
    }
    auto* instances = memory->second.mutable_instances();
    auto known = instances->find(instance);
    if (known != instances->end()) {
      before = known->second.state();
      instances->erase(known);
    }
    saved[service] = memory->second.SerializeAsString();
  }
  corral::v1::Event& e = event("instance_stopped");
  e.set_before(before);
  e.set_after("stopped");
  e.set_message(absl::StrCat(service, "/", instance,
                             " stopped: its agent is shutting down, so it no longer counts as a replica"));
  StoreAndPublish(&events, saved, /*detected=*/true);
}

void History::Record(std::vector<corral::v1::Event> events) {
  if (events.empty()) return;
  absl::MutexLock lock(&mu_);
  StoreAndPublish(&events, {}, /*detected=*/false);
}

void History::StoreAndPublish(std::vector<corral::v1::Event>* events,
                              const std::map<std::string, std::string>& memories, bool detected) {
  // Another server is the writer: it detects and stores the same changes.
  if (detected && !writer_) return;
  // A shared store's events reach watchers from the store, with their ids
  // (Follow), wherever they were stored.
  const bool publish = !store_->shared();
  absl::Time now = options_.now();
  if (!failing_) {
    absl::Status stored = store_->Append(events, memories);
    if (stored.ok()) {
      if (publish) Publish(*events);
      return;
    }
    failing_ = true;
    failing_since_ = now;
    next_retry_ = now + options_.retry_every;
    // The store's message names the file.
    spdlog::error(
        "history: cannot store events: {}; keeping up to {} event(s) in memory and retrying every {} until "
        "it works again",
        std::string(stored.message()), options_.max_unsaved_events, absl::FormatDuration(options_.retry_every));
  } else if (now >= next_retry_ && WriteUnsaved(events, memories, now)) {
    if (publish) Publish(*events);
    return;
  }
  KeepUnsaved(*events, memories, detected, now);
  // Watchers see them now; they get their ids when stored.
  if (publish) Publish(*events);
}

void History::KeepUnsaved(const std::vector<corral::v1::Event>& events,
                          const std::map<std::string, std::string>& memories, bool detected, absl::Time now) {
  for (const auto& [service, bytes] : memories) unsaved_memories_[service] = bytes;
  for (const corral::v1::Event& e : events) {
    if (unsaved_.size() < options_.max_unsaved_events) {
      unsaved_.push_back(e);
      unsaved_detected_.push_back(detected);
      continue;
    }
    if (lost_++ == 0) {
      lost_first_ms_ = e.time_unix_ms();
      spdlog::warn(
          "history: {} event(s) wait in memory for {}, the most it keeps; until it can be written, newer "
          "events reach watchers but are not stored",
          unsaved_.size(), store_->path());
    }
    lost_last_ms_ = e.time_unix_ms();
  }
}

bool History::WriteUnsaved(std::vector<corral::v1::Event>* events, const std::map<std::string, std::string>& memories,
                           absl::Time now) {
  std::vector<corral::v1::Event> batch = unsaved_;
  const size_t waiting = batch.size();
  if (lost_ > 0) {
    corral::v1::Event& e = batch.emplace_back();
    e.set_time_unix_ms(absl::ToUnixMillis(now));
    e.set_kind("events_lost");
    e.set_message(absl::StrCat(
        lost_, " event(s) from ",
        absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(lost_first_ms_), absl::LocalTimeZone()), " to ",
        absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(lost_last_ms_), absl::LocalTimeZone()),
        " were not stored: ", store_->path(), " could not be written and ", options_.max_unsaved_events,
        " already waited in memory"));
  }
  const size_t own = batch.size();
  batch.insert(batch.end(), events->begin(), events->end());
  std::map<std::string, std::string> all = unsaved_memories_;
  for (const auto& [service, bytes] : memories) all[service] = bytes;
  absl::Status stored = store_->Append(&batch, all);
  if (!stored.ok()) {
    next_retry_ = now + options_.retry_every;
    return false;
  }
  for (size_t i = own; i < batch.size(); ++i) (*events)[i - own] = std::move(batch[i]);
  spdlog::info("history: {} can be written again after {}: stored the {} event(s) kept in memory{}", store_->path(),
               absl::FormatDuration(absl::Trunc(now - failing_since_, absl::Milliseconds(100))), waiting,
               lost_ > 0 ? absl::StrCat("; ", lost_, " more could not be kept") : "");
  if (own > waiting && !store_->shared()) Publish({batch[waiting]});
  unsaved_.clear();
  unsaved_detected_.clear();
  unsaved_memories_.clear();
  lost_ = 0;
  failing_ = false;
  return true;
}

void History::Flush(bool force) {
  absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  if (!failing_ || (now < next_retry_ && !force)) return;
  std::vector<corral::v1::Event> none;
  WriteUnsaved(&none, {}, now);
}

void History::DropUnsavedDetections() {
  std::vector<corral::v1::Event> kept;
  for (size_t i = 0; i < unsaved_.size(); ++i) {
    if (!unsaved_detected_[i]) kept.push_back(std::move(unsaved_[i]));
  }
  if (kept.size() < unsaved_.size()) {
    spdlog::info("history: {} detected event(s) not stored are left to the state stored in {}",
                 unsaved_.size() - kept.size(), store_->path());
  }
  unsaved_ = std::move(kept);
  unsaved_detected_.assign(unsaved_.size(), false);
  unsaved_memories_.clear();
  if (unsaved_.empty() && lost_ == 0) failing_ = false;
}

bool History::LoadMemories() {
  absl::StatusOr<std::map<std::string, std::string>> saved = store_->LoadBaselines();
  if (!saved.ok()) {
    spdlog::error("history: cannot read the stored state to continue from: {}", std::string(saved.status().message()));
    return false;
  }
  std::map<std::string, corral::v1::ServiceMemory> loaded;
  for (const auto& [service, bytes] : *saved) {
    corral::v1::ServiceMemory memory;
    if (!memory.ParseFromString(bytes)) {
      spdlog::warn("history: the saved state of service {} in {} is unreadable; starting it afresh", service,
                   store_->path());
      continue;
    }
    loaded[service] = std::move(memory);
  }
  memory_ = std::move(loaded);
  return true;
}

void History::UpdateLease() {
  bool taken_now = false;
  absl::StatusOr<bool> held = store_->HoldHistoryLease(&taken_now);
  if (held.ok() && *held && (taken_now || !writer_)) {
    // Whatever this server remembers may be ahead of what the last writer
    // committed (or behind, if it wrote since): continue from the store.
    if (!LoadMemories()) return;  // tried again on the next call
    DropUnsavedDetections();
    if (!writer_) {
      spdlog::info("history: this server is now the history writer, continuing from the state of {} service(s) in {}",
                   memory_.size(), store_->path());
    }
    writer_ = true;
    // What changed since the last writer's last commit is recorded now,
    // not at the next change of each service.
    absl::Time now = options_.now();
    for (const auto& [service, input] : last_input_) Detect(service, input.views, input.findings, now);
  } else if ((!held.ok() || !*held) && writer_) {
    spdlog::warn("history: this server is no longer the history writer ({}); another server records the changes",
                 held.ok() ? "another server holds the lease" : std::string(held.status().message()));
    DropUnsavedDetections();
    writer_ = false;
  }
}

void History::Follow() {
  if (!store_->shared()) return;
  absl::MutexLock lock(&mu_);
  UpdateLease();
  // In id order, the order the writers stored them in: a backlog flushed
  // at once, or events stamped by a server whose clock is behind, reach
  // the watchers whole. More than a batch waits for the next call.
  absl::StatusOr<std::vector<corral::v1::Event>> stored = store_->EventsAfter(followed_id_, kFollowBatch);
  if (!stored.ok()) return;  // the writer and Flush say why
  if (!stored->empty()) followed_id_ = stored->back().id();
  Publish(*stored);
}

bool History::writer() const {
  absl::MutexLock lock(&mu_);
  return writer_;
}

size_t History::unsaved() const {
  absl::MutexLock lock(&mu_);
  return unsaved_.size();
}

void History::Publish(const std::vector<corral::v1::Event>& events) {
  absl::MutexLock lock(&listeners_mu_);
  for (const corral::v1::Event& e : events) {
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
