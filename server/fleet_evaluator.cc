#include "server/fleet_evaluator.h"

#include "absl/container/flat_hash_set.h"
#include "server/fleet_view.h"
#include "server/rules.h"

namespace corral::server {

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
  cache_[service] = shared;
  return shared;
}

int FleetEvaluator::Refresh() {
  std::vector<std::pair<std::string, uint64_t>> versions = registry_->ServiceVersions();
  absl::Time now = registry_->Now();
  std::vector<std::pair<std::string, uint64_t>> stale;
  {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<std::string> present;
    for (const auto& [name, version] : versions) {
      present.insert(name);
      auto it = cache_.find(name);
      if (it == cache_.end() || it->second->version != version || now >= it->second->valid_until ||
          (book_ != nullptr && book_->For(name) != it->second->expected)) {
        stale.emplace_back(name, version);
      }
    }
    for (auto it = cache_.begin(); it != cache_.end();) {
      if (!present.count(it->first)) {
        cache_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [name, version] : stale) EvaluateAndRecord(name, version);
  int evaluated = static_cast<int>(stale.size());
  if (history_ != nullptr) {
    // Services the history remembers but the registry no longer lists: their
    // instances went away (or never came back after a restart).
    absl::flat_hash_set<std::string> listed;
    for (const auto& [name, version] : versions) listed.insert(name);
    for (const std::string& name : history_->RememberedServices()) {
      if (!listed.count(name)) history_->Observe(name, 0, {}, {});
    }
  }
  return evaluated;
}

std::vector<EvaluatedService> FleetEvaluator::Services() {
  std::vector<EvaluatedService> out;
  for (const auto& [name, version] : registry_->ServiceVersions()) {
    std::shared_ptr<const Evaluation> e = EvaluateAndRecord(name, version);
    if (e == nullptr) continue;
    out.push_back({name, e->views, e->summary, e->findings, e->expected});
  }
  return out;
}

std::optional<std::vector<corral::v1::Finding>> FleetEvaluator::Findings(const std::string& service) {
  for (const auto& [name, version] : registry_->ServiceVersions()) {
    if (name != service) continue;
    std::shared_ptr<const Evaluation> e = EvaluateAndRecord(name, version);
    if (e == nullptr) return std::nullopt;
    return e->findings;
  }
  return std::nullopt;
}

corral::v1::FleetStatus FleetEvaluator::Status() {
  corral::v1::FleetStatus status;
  status.set_generated_at_unix_ms(absl::ToUnixMillis(registry_->Now()));
  for (const auto& [name, version] : registry_->ServiceVersions()) {
    if (std::shared_ptr<const Evaluation> e = EvaluateAndRecord(name, version)) *status.add_services() = e->summary;
  }
  return status;
}

corral::v1::CheckResponse FleetEvaluator::Check(const std::optional<std::string>& service) {
  corral::v1::CheckResponse response;
  for (const auto& [name, version] : registry_->ServiceVersions()) {
    if (service && name != *service) continue;
    std::shared_ptr<const Evaluation> e = EvaluateAndRecord(name, version);
    if (e == nullptr) continue;
    response.add_services(name);
    for (const corral::v1::Finding& f : e->findings) *response.add_findings() = f;
  }
  return response;
}

}  // namespace corral::server
