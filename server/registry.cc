#include "server/registry.h"

namespace corral::server {

const char* StateName(InstanceState state) {
  switch (state) {
    case InstanceState::kOnline:
      return "online";
    case InstanceState::kDisconnected:
      return "disconnected";
    case InstanceState::kOffline:
      return "offline";
  }
  return "offline";
}

Registry::Registry(RegistryOptions options) : options_(std::move(options)) {}

InstanceState Registry::StateOf(const Record_& r, absl::Time now) const {
  if (now - r.last_report >= options_.offline_after_intervals * r.interval) return InstanceState::kOffline;
  if (r.streamed && r.open_streams == 0) return InstanceState::kDisconnected;
  return InstanceState::kOnline;
}

bool Registry::Record(std::shared_ptr<const corral::v1::Snapshot> snapshot) {
  // The digest is computed outside the lock: it is the expensive part.
  auto digest = std::make_shared<const InstanceDigest>(Digest(*snapshot));
  Key key(snapshot->agent().service(), snapshot->agent().instance());
  absl::Duration interval = absl::Milliseconds(snapshot->agent().interval_ms());
  absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = records_.try_emplace(std::move(key));
  Record_& r = it->second;
  r.snapshot = std::move(snapshot);
  r.digest = std::move(digest);
  r.last_report = now;
  r.interval = interval;
  r.last_swept_state = InstanceState::kOnline;
  return inserted;
}

void Registry::StreamOpened(const std::string& service, const std::string& instance) {
  absl::MutexLock lock(&mu_);
  auto it = records_.find(Key(service, instance));
  if (it == records_.end()) return;
  ++it->second.open_streams;
  it->second.streamed = true;
}

void Registry::StreamClosed(const std::string& service, const std::string& instance) {
  absl::MutexLock lock(&mu_);
  auto it = records_.find(Key(service, instance));
  if (it == records_.end() || it->second.open_streams == 0) return;
  --it->second.open_streams;
}

std::vector<StateChange> Registry::Sweep() {
  absl::Time now = options_.now();
  std::vector<StateChange> changes;
  absl::MutexLock lock(&mu_);
  for (auto it = records_.begin(); it != records_.end();) {
    Record_& r = it->second;
    InstanceState state = StateOf(r, now);
    if (state == InstanceState::kOffline && now - r.last_report >= options_.expire) {
      changes.push_back({it->first.first, it->first.second, state, /*forgotten=*/true});
      it = records_.erase(it);
      continue;
    }
    if (state != r.last_swept_state) {
      changes.push_back({it->first.first, it->first.second, state, false});
      r.last_swept_state = state;
    }
    ++it;
  }
  return changes;
}

std::vector<InstanceView> Registry::Instances(const std::optional<std::string>& service) const {
  absl::Time now = options_.now();
  std::vector<InstanceView> views;
  absl::MutexLock lock(&mu_);
  auto begin = service ? records_.lower_bound(Key(*service, "")) : records_.begin();
  for (auto it = begin; it != records_.end(); ++it) {
    if (service && it->first.first != *service) break;
    const Record_& r = it->second;
    views.push_back(
        {it->first.first, it->first.second, StateOf(r, now), r.last_report, r.interval, r.snapshot, r.digest});
  }
  return views;
}

size_t Registry::size() const {
  absl::MutexLock lock(&mu_);
  return records_.size();
}

}  // namespace corral::server
