#include "server/fleet_evaluator.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "server/fleet_view.h"
#include "server/rules.h"

namespace corral::server {

std::shared_ptr<const FleetEvaluator::Evaluation> FleetEvaluator::EvaluateAndRecord(const ServiceVersion& service) {
  absl::Time now = registry_->Now();
  std::shared_ptr<const Expectations> expected = book_ != nullptr ? book_->For(service.name) : nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(service.name);
    if (it != cache_.end() && now < it->second->valid_until && it->second->expected == expected) {
      const Evaluation& e = *it->second;
      // As the background loop: it takes a service whose reports only
      // brought measurements up once measurements_hold has passed, at a
      // round that comes within `hold`.
      if (service.material <= e.version && now - e.evaluated_at < e.measurements_hold + e.hold) return it->second;
    }
  }
  // Else exact: the cached evaluation if it is of this very version.
  return EvaluateAndRecord(service.name, service.version);
}

std::shared_ptr<const FleetEvaluator::Evaluation> FleetEvaluator::EvaluateAndRecord(const std::string& service,
                                                                                    uint64_t version) {
  absl::Time now = registry_->Now();
  std::shared_ptr<const Expectations> expected = book_ != nullptr ? book_->For(service) : nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(service);
    if (it != cache_.end() && it->second->version == version && now < it->second->valid_until &&
        it->second->expected == expected) {
      return it->second;
    }
  }
  auto [views, current_version] = registry_->ServiceSnapshot(service);
  if (views.empty()) return nullptr;
  auto evaluation = std::make_shared<Evaluation>();
  evaluation->version = current_version;
  evaluation->evaluated_at = now;
  absl::Duration shortest = absl::InfiniteDuration();
  for (const InstanceView& v : views) {
    if (v.state != InstanceState::kOffline) shortest = std::min(shortest, v.interval);
  }
  evaluation->hold = std::min(kBackgroundEvery, shortest / 4);
  evaluation->measurements_hold = std::max(evaluation->hold, std::min(kMeasurementsEvery, shortest / 2));
  evaluation->expected = expected;
  // Valid until the first instance that is not offline would become so.
  evaluation->valid_until = absl::InfiniteFuture();
  for (const InstanceView& v : views) {
    if (v.state != InstanceState::kOffline) {
      evaluation->valid_until = std::min(evaluation->valid_until, registry_->OfflineAt(v));
    }
    // A recent OOM kill counts for kOomWindow.
    if (now - v.last_oom_increase < kOomWindow) {
      evaluation->valid_until = std::min(evaluation->valid_until, v.last_oom_increase + kOomWindow);
    }
  }
  ServiceEvaluation result = EvaluateService(service, views, now, expected ? *expected : Expectations());
  evaluation->summary = Summarize(service, views, result);
  evaluation->findings = std::move(result.findings);
  if (history_ != nullptr) {
    // While the history awaits a remembered replica, the evaluation is
    // redone when that wait ends, so the full comparison is not left for
    // the next report.
    evaluation->valid_until = std::min(evaluation->valid_until, history_->NextSettlingDeadline(service));
    history_->Observe(service, current_version, views, evaluation->findings);
  }
  evaluation->views = std::move(views);
  std::shared_ptr<const Evaluation> shared = std::move(evaluation);
  absl::MutexLock lock(&mu_);
  KeepLocked(service, shared);
  return shared;
}

void FleetEvaluator::KeepLocked(const std::string& service, std::shared_ptr<const Evaluation> evaluation) {
  auto [it, fresh] = cache_.try_emplace(service);
  if (!fresh) {
    // Two threads may evaluate one service at once; the older result loses.
    if (it->second->version > evaluation->version) return;
    if (it->second->valid_until != absl::InfiniteFuture()) deadlines_.erase({it->second->valid_until, service});
  }
  if (evaluation->valid_until != absl::InfiniteFuture()) deadlines_.insert({evaluation->valid_until, service});
  it->second = std::move(evaluation);
}

void FleetEvaluator::DropLocked(const std::string& service) {
  auto it = cache_.find(service);
  if (it == cache_.end()) return;
  if (it->second->valid_until != absl::InfiniteFuture()) deadlines_.erase({it->second->valid_until, service});
  cache_.erase(it);
}

int FleetEvaluator::Refresh() {
  absl::Time now = registry_->Now();
  std::vector<ServiceVersion> changed = registry_->TakeChanged();
  uint64_t generation = book_ != nullptr ? book_->generation() : 0;
  std::vector<std::pair<std::string, uint64_t>> stale;
  bool services_gone = false;
  bool first;
  {
    absl::MutexLock lock(&mu_);
    first = !primed_;
    primed_ = true;
    // Candidates: what changed, what reached its deadline, and, when the
    // expectations moved (or at the first Refresh), every service.
    // By name: the version (0 when unknown: evaluated when due) and the
    // material version.
    absl::flat_hash_map<std::string, std::pair<uint64_t, uint64_t>> candidates;
    // Not held back: deadlines, expectations, the first.
    absl::flat_hash_set<std::string> urgent;
    for (const auto& [name, material] : deferred_) candidates[name] = {0, material};
    for (const ServiceVersion& v : changed) {
      if (v.version == 0) {
        DropLocked(v.name);
        deferred_.erase(v.name);
        candidates.erase(v.name);
        services_gone = true;
      } else {
        candidates[v.name] = {v.version, v.material};
      }
    }
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      const std::string& name = deadlines_.begin()->second;
      auto it = cache_.find(name);
      if (it != cache_.end()) {
        candidates.try_emplace(name, it->second->version, 0);
        urgent.insert(name);
      }
      deadlines_.erase(deadlines_.begin());
    }
    if (first) {
      for (const ServiceVersion& v : registry_->ServiceVersions()) {
        candidates[v.name] = {v.version, v.material};
        urgent.insert(v.name);
      }
    } else if (generation != book_generation_) {
      for (const auto& [name, evaluation] : cache_) {
        if (book_->For(name) != evaluation->expected) {
          candidates.try_emplace(name, evaluation->version, 0);
          urgent.insert(name);
        }
      }
    }
    book_generation_ = generation;
    for (const auto& [name, versions] : candidates) {
      const auto [version, material] = versions;
      auto it = cache_.find(name);
      bool expectations_changed = it != cache_.end() && book_ != nullptr && book_->For(name) != it->second->expected;
      if (it != cache_.end() && it->second->version == version && now < it->second->valid_until &&
          !expectations_changed) {
        deferred_.erase(name);
        continue;
      }
      if (it != cache_.end() && !expectations_changed && !urgent.count(name) && now < it->second->valid_until) {
        const Evaluation& e = *it->second;
        absl::Duration hold = material > e.version ? e.hold : e.measurements_hold;
        if (now - e.evaluated_at < hold) {
          uint64_t& kept = deferred_[name];
          kept = std::max(kept, material);
          continue;
        }
      }
      deferred_.erase(name);
      stale.emplace_back(name, version);
    }
  }
  std::sort(stale.begin(), stale.end());
  for (const auto& [name, version] : stale) EvaluateAndRecord(name, version);
  if (history_ != nullptr) {
    bool due;
    {
      absl::MutexLock lock(&mu_);
      due = first || services_gone || now >= unlisted_due_;
    }
    if (due) ObserveUnlisted(now);
  }
  return static_cast<int>(stale.size());
}

void FleetEvaluator::ObserveUnlisted(absl::Time now) {
  // Services the history remembers but the registry no longer lists: their
  // instances went away (or never came back after a restart). Looked at
  // when a service is dropped, every few seconds for the history's own
  // deadlines (forgetting, an awaited replica's wait), and at the next such
  // wait's end.
  absl::flat_hash_set<std::string> listed;
  for (ServiceVersion& v : registry_->ServiceVersions()) listed.insert(std::move(v.name));
  absl::Time due = now + absl::Seconds(5);
  for (const std::string& name : history_->RememberedServices()) {
    if (listed.count(name)) continue;
    history_->Observe(name, 0, {}, {});
    due = std::min(due, history_->NextSettlingDeadline(name));
  }
  absl::MutexLock lock(&mu_);
  unlisted_due_ = due;
}

std::vector<EvaluatedService> FleetEvaluator::Services() {
  std::vector<EvaluatedService> out;
  for (const ServiceVersion& v : registry_->ServiceVersions()) {
    std::shared_ptr<const Evaluation> e = EvaluateAndRecord(v);
    if (e == nullptr) continue;
    out.push_back({v.name, e->views, e->summary, e->findings, e->expected});
  }
  return out;
}

std::optional<std::vector<corral::v1::Finding>> FleetEvaluator::Findings(const std::string& service) {
  for (const ServiceVersion& v : registry_->ServiceVersions()) {
    if (v.name != service) continue;
    std::shared_ptr<const Evaluation> e = EvaluateAndRecord(v);
    if (e == nullptr) return std::nullopt;
    return e->findings;
  }
  return std::nullopt;
}

corral::v1::FleetStatus FleetEvaluator::Status() {
  corral::v1::FleetStatus status;
  status.set_generated_at_unix_ms(absl::ToUnixMillis(registry_->Now()));
  for (const ServiceVersion& v : registry_->ServiceVersions()) {
    if (std::shared_ptr<const Evaluation> e = EvaluateAndRecord(v)) *status.add_services() = e->summary;
  }
  return status;
}

corral::v1::CheckResponse FleetEvaluator::Check(const std::optional<std::string>& service) {
  corral::v1::CheckResponse response;
  for (const ServiceVersion& v : registry_->ServiceVersions()) {
    if (service && v.name != *service) continue;
    std::shared_ptr<const Evaluation> e = EvaluateAndRecord(v);
    if (e == nullptr) continue;
    response.add_services(v.name);
    for (const corral::v1::Finding& f : e->findings) *response.add_findings() = f;
  }
  return response;
}

}  // namespace corral::server
