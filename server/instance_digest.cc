#include "server/instance_digest.h"

#include "absl/hash/hash.h"
#include "common/snapshot_facts.h"

namespace corral::server {

bool IsPerReplicaSetting(const std::string& name) { return name == "pidfile"; }

InstanceDigest Digest(const corral::v1::Snapshot& snapshot) {
  InstanceDigest d;
  d.masters = snapshot.instances_size();
  for (int i = 0; i < snapshot.instances_size(); ++i) {
    const corral::v1::GunicornInstance& inst = snapshot.instances(i);
    d.live_workers += LiveWorkers(inst);
    if (inst.upgrade_parent_pid() != 0) continue;
    if (d.primary < 0 || inst.master().age_seconds() > snapshot.instances(d.primary).master().age_seconds()) {
      d.primary = i;
    }
  }
  if (d.primary < 0 && d.masters > 0) d.primary = 0;
  if (d.primary < 0) return d;
  const corral::v1::GunicornInstance& primary = snapshot.instances(d.primary);
  d.configured_workers = ConfiguredWorkers(primary);
  auto workers = primary.config().find("workers");
  if (workers != primary.config().end()) d.workers_source = workers->second.source();
  d.app_uri = primary.app_uri();
  d.settings_unknowable = primary.inputs().argv_erased() || primary.inputs().environ_erased();
  d.worker_restarts = primary.worker_restarts();
  d.worker_restarts_per_minute = primary.worker_restarts_per_minute();
  d.observed_seconds = primary.observed_seconds();
  d.master_age_seconds = primary.master().age_seconds();
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
