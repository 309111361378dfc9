#include "server/instance_digest.h"

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "common/snapshot_facts.h"

namespace corral::server {

bool IsPerReplicaSetting(const std::string& name) { return name == "pidfile"; }

InstanceDigest Digest(const Report& report) {
  const corral::v1::Snapshot& snapshot = report.snapshot();
  InstanceDigest d;
  d.masters = snapshot.instances_size();
  for (int i = 0; i < snapshot.instances_size(); ++i) {
    const corral::v1::GunicornInstance& inst = snapshot.instances(i);
    const corral::v1::GunicornInstance& configured = report.ConfigOf(i);
    MasterDigest& m = d.master_digests.emplace_back();
    m.pid = inst.master().pid();
    m.live = LiveWorkers(inst);
    m.configured = ConfiguredWorkers(configured);
    auto w = configured.config().find("workers");
    if (w != configured.config().end()) m.workers_source = w->second.source();
    m.restarts_per_minute = inst.worker_restarts_per_minute();
    m.observed_seconds = inst.observed_seconds();
    d.live_workers += m.live;
    if (inst.upgrade_parent_pid() != 0) continue;
    if (d.primary < 0 || inst.master().age_seconds() > snapshot.instances(d.primary).master().age_seconds()) {
      d.primary = i;
    }
  }
  if (d.primary < 0 && d.masters > 0) d.primary = 0;
  if (d.primary < 0) return d;
  const corral::v1::GunicornInstance& observed = snapshot.instances(d.primary);
  const corral::v1::GunicornInstance& primary = report.ConfigOf(d.primary);
  d.configured_workers = ConfiguredWorkers(primary);
  auto workers = primary.config().find("workers");
  if (workers != primary.config().end()) d.workers_source = workers->second.source();
  d.app_uri = primary.app_uri();
  d.settings_unknowable = primary.inputs().argv_erased() || primary.inputs().environ_erased();
  if (d.settings_unknowable) {
    d.erased = primary.inputs().argv_erased() && primary.inputs().environ_erased()
                   ? "command line and environment"
                   : (primary.inputs().argv_erased() ? "command line" : "environment");
  }
  for (const auto& [name, value] : {std::pair<const char*, const char*>{"reload", "true"}, {"loglevel", "debug"}}) {
    auto it = primary.config().find(name);
    if (it != primary.config().end() && it->second.source() != "unknown" && it->second.value() == value) {
      d.dev_settings.push_back(absl::StrCat(name, "=", value, " (", it->second.source(), ")"));
    }
  }
  d.worker_restarts = observed.worker_restarts();
  d.worker_restarts_per_minute = observed.worker_restarts_per_minute();
  d.observed_seconds = observed.observed_seconds();
  d.master_age_seconds = observed.master().age_seconds();
  // Map iteration order is unspecified: combine per-entry hashes with a
  // commutative operation.
  uint64_t fingerprint = 0;
  for (const auto& [name, setting] : primary.config()) {
    if (IsPerReplicaSetting(name)) continue;
    fingerprint += absl::HashOf(name, setting.source() == "unknown", setting.value());
  }
  d.settings_fingerprint = fingerprint;
  return d;
}

}  // namespace corral::server
