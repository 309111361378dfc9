#include "server/registry.h"

#include <algorithm>
#include <atomic>
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

Registry::Shard& Registry::ShardFor(const std::string& service) const {
  return shards_[absl::HashOf(service) % kShards];
}

bool Registry::Record(Report report) {
  // The digest is computed outside the lock: it is the expensive part.
  auto digest = std::make_shared<const InstanceDigest>(Digest(report));
  const corral::v1::AgentIdentity& agent = report.snapshot().agent();
  const std::string& service = agent.service();
  absl::Duration interval = absl::Milliseconds(agent.interval_ms());
  auto shared = std::make_shared<const Report>(std::move(report));
  absl::Time now = options_.now();
  Shard& shard = ShardFor(service);
  bool inserted;
  {
    absl::MutexLock lock(&shard.mu);
    Service_& entry = shard.services[service];
    auto [it, fresh] = entry.instances.try_emplace(shared->snapshot().agent().instance());
    inserted = fresh;
    Record_& r = it->second;
    // New, back from offline or disconnected, or judged differently. Only
    // what the record holds is read: the previous report and digest are
    // cold in the cache by now.
    bool material = fresh || StateOf(r, now) != InstanceState::kOnline || r.material != digest->material;
    if (!fresh && digest->oom_kills > r.oom_kills) {
      r.last_oom_increase = now;
      r.oom_increase = digest->oom_kills - r.oom_kills;
    }
    r.oom_kills = digest->oom_kills;
    r.material = digest->material;
    Changed(shard, service, entry, material);
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
  Shard& shard = ShardFor(service);
  absl::MutexLock lock(&shard.mu);
  auto s = shard.services.find(service);
  if (s == shard.services.end()) return;
  auto it = s->second.instances.find(instance);
  if (it == s->second.instances.end()) return;
  ++it->second.open_streams;
  it->second.streamed = true;
  Changed(shard, s->first, s->second);
}

void Registry::StreamClosed(const std::string& service, const std::string& instance) {
  Shard& shard = ShardFor(service);
  absl::MutexLock lock(&shard.mu);
  auto s = shard.services.find(service);
  if (s == shard.services.end()) return;
  auto it = s->second.instances.find(instance);
  if (it == s->second.instances.end() || it->second.open_streams == 0) return;
  --it->second.open_streams;
  Changed(shard, s->first, s->second);
}

bool Registry::Leave(const std::string& service, const std::string& instance) {
  Shard& shard = ShardFor(service);
  absl::MutexLock lock(&shard.mu);
  auto s = shard.services.find(service);
  if (s == shard.services.end()) return false;
  if (s->second.instances.erase(instance) == 0) return false;
  Changed(shard, s->first, s->second);
  if (s->second.instances.empty()) shard.services.erase(s);
  return true;
}

std::vector<StateChange> Registry::Sweep() {
  absl::Time now = options_.now();
  std::vector<StateChange> changes;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (auto s = shard.services.begin(); s != shard.services.end();) {
      Instances_& instances = s->second.instances;
      for (auto it = instances.begin(); it != instances.end();) {
        Record_& r = it->second;
        InstanceState state = StateOf(r, now);
        if (state == InstanceState::kOffline && now - r.last_report >= options_.expire) {
          changes.push_back({s->first, it->first, state, /*forgotten=*/true});
          instances.erase(it++);
          Changed(shard, s->first, s->second);
          continue;
        }
        if (state != r.last_swept_state) {
          changes.push_back({s->first, it->first, state, false});
          r.last_swept_state = state;
        }
        ++it;
      }
      if (instances.empty()) {
        shard.services.erase(s++);
      } else {
        ++s;
      }
    }
  }
  std::sort(changes.begin(), changes.end(), [](const StateChange& a, const StateChange& b) {
    return std::tie(a.service, a.instance) < std::tie(b.service, b.instance);
  });
  return changes;
}

void Registry::Changed(Shard& shard, const std::string& name, Service_& entry, bool material) {
  entry.version = NextVersion();
  if (material) entry.material = entry.version;
  if (entry.queued) return;
  entry.queued = true;
  // A service dropped later stays listed here, so its taker learns it is gone.
  shard.changed.push_back(name);
}

std::vector<ServiceVersion> Registry::TakeChanged() {
  std::vector<ServiceVersion> out;
  for (Shard& shard : shards_) {
    std::vector<std::string> names;
    absl::MutexLock lock(&shard.mu);
    names.swap(shard.changed);
    for (std::string& name : names) {
      auto s = shard.services.find(name);
      if (s == shard.services.end()) {
        out.push_back({std::move(name), 0, 0});
      } else if (s->second.queued) {
        s->second.queued = false;
        out.push_back({std::move(name), s->second.version, s->second.material});
      }
    }
  }
  // A service dropped and created again is listed once, as it is now.
  std::sort(out.begin(), out.end(), [](const ServiceVersion& a, const ServiceVersion& b) {
    return a.name != b.name ? a.name < b.name : a.version > b.version;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const ServiceVersion& a, const ServiceVersion& b) { return a.name == b.name; }),
            out.end());
  return out;
}

uint64_t Registry::NextVersion() {
  static std::atomic<uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::pair<std::vector<InstanceView>, uint64_t> Registry::ServiceSnapshot(const std::string& service) const {
  absl::Time now = options_.now();
  std::vector<InstanceView> views;
  uint64_t version = 0;
  {
    const Shard& shard = ShardFor(service);
    absl::MutexLock lock(&shard.mu);
    auto s = shard.services.find(service);
    if (s == shard.services.end()) return {std::move(views), 0};
    version = s->second.version;
    views.reserve(s->second.instances.size());
    for (const auto& [name, r] : s->second.instances) {
      InstanceView& v = views.emplace_back();
      v.state = StateOf(r, now);
      v.last_report = r.last_report;
      v.interval = r.interval;
      v.report = r.report;
      v.digest = r.digest;
      v.last_oom_increase = r.last_oom_increase;
      v.oom_increase = r.oom_increase;
    }
  }
  std::sort(views.begin(), views.end(),
            [](const InstanceView& a, const InstanceView& b) { return a.instance() < b.instance(); });
  return {std::move(views), version};
}

std::vector<ServiceVersion> Registry::ServiceVersions() const {
  std::vector<ServiceVersion> versions;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [name, entry] : shard.services) versions.push_back({name, entry.version, entry.material});
  }
  std::sort(versions.begin(), versions.end(),
            [](const ServiceVersion& a, const ServiceVersion& b) { return a.name < b.name; });
  return versions;
}

void Registry::ForEachService(const std::optional<std::string>& service,
                              const std::function<void(const std::string&, absl::Span<const InstanceView>)>& f) const {
  std::vector<std::string> names;
  if (service) {
    names.push_back(*service);
  } else {
    for (ServiceVersion& s : ServiceVersions()) names.push_back(std::move(s.name));
  }
  for (const std::string& name : names) {
    std::vector<InstanceView> views = ServiceSnapshot(name).first;
    if (!views.empty()) f(name, views);
  }
}

std::vector<InstanceView> Registry::Instances(const std::optional<std::string>& service) const {
  std::vector<InstanceView> all;
  ForEachService(service, [&](const std::string&, absl::Span<const InstanceView> views) {
    all.insert(all.end(), views.begin(), views.end());
  });
  return all;
}

size_t Registry::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [name, entry] : shard.services) n += entry.instances.size();
  }
  return n;
}

}  // namespace corral::server
