#include "server/registry.h"

#include <algorithm>
#include <tuple>

#include "absl/hash/hash.h"

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

Registry::Shard& Registry::ShardFor(const Key& key) const { return shards_[absl::HashOf(key) % kShards]; }

bool Registry::Record(Report report) {
  // The digest is computed outside the lock: it is the expensive part.
  auto digest = std::make_shared<const InstanceDigest>(Digest(report));
  const corral::v1::AgentIdentity& agent = report.snapshot().agent();
  Key key(agent.service(), agent.instance());
  absl::Duration interval = absl::Milliseconds(agent.interval_ms());
  auto shared = std::make_shared<const Report>(std::move(report));
  absl::Time now = options_.now();
  Shard& shard = ShardFor(key);
  bool inserted;
  {
    absl::MutexLock lock(&shard.mu);
    auto [it, fresh] = shard.records.try_emplace(std::move(key));
    inserted = fresh;
    Record_& r = it->second;
    // The previous report is released after the lock, not under it.
    std::swap(r.report, shared);
    std::swap(r.digest, digest);
    r.last_report = now;
    r.interval = interval;
    r.last_swept_state = InstanceState::kOnline;
  }
  return inserted;
}

void Registry::StreamOpened(const std::string& service, const std::string& instance) {
  Key key(service, instance);
  Shard& shard = ShardFor(key);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.records.find(key);
  if (it == shard.records.end()) return;
  ++it->second.open_streams;
  it->second.streamed = true;
}

void Registry::StreamClosed(const std::string& service, const std::string& instance) {
  Key key(service, instance);
  Shard& shard = ShardFor(key);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.records.find(key);
  if (it == shard.records.end() || it->second.open_streams == 0) return;
  --it->second.open_streams;
}

std::vector<StateChange> Registry::Sweep() {
  absl::Time now = options_.now();
  std::vector<StateChange> changes;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (auto it = shard.records.begin(); it != shard.records.end();) {
      Record_& r = it->second;
      InstanceState state = StateOf(r, now);
      if (state == InstanceState::kOffline && now - r.last_report >= options_.expire) {
        changes.push_back({it->first.first, it->first.second, state, /*forgotten=*/true});
        it = shard.records.erase(it);
        continue;
      }
      if (state != r.last_swept_state) {
        changes.push_back({it->first.first, it->first.second, state, false});
        r.last_swept_state = state;
      }
      ++it;
    }
  }
  std::sort(changes.begin(), changes.end(), [](const StateChange& a, const StateChange& b) {
    return std::tie(a.service, a.instance) < std::tie(b.service, b.instance);
  });
  return changes;
}

std::vector<InstanceView> Registry::Instances(const std::optional<std::string>& service) const {
  absl::Time now = options_.now();
  // Copies of the keys sort fast (names are short: no allocation); going
  // through each view's snapshot to compare would chase pointers.
  std::vector<std::pair<Key, InstanceView>> entries;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    auto begin = service ? shard.records.lower_bound(Key(*service, "")) : shard.records.begin();
    if (!service) entries.reserve(entries.size() + shard.records.size());
    for (auto it = begin; it != shard.records.end(); ++it) {
      if (service && it->first.first != *service) break;
      const Record_& r = it->second;
      auto& [key, view] = entries.emplace_back();
      key = it->first;
      view.state = StateOf(r, now);
      view.last_report = r.last_report;
      view.interval = r.interval;
      view.report = r.report;
      view.digest = r.digest;
    }
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<InstanceView> views;
  views.reserve(entries.size());
  for (auto& e : entries) views.push_back(std::move(e.second));
  return views;
}

size_t Registry::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    n += shard.records.size();
  }
  return n;
}

}  // namespace corral::server
