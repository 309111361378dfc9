#include "server/instance_digest.h"

#include "common/snapshot_facts.h"

namespace corral::server {

InstanceDigest Digest(const Report& report) {
  const corral::v1::Snapshot& snapshot = report.snapshot();
  InstanceDigest d;
  d.masters = snapshot.instances_size();
  for (int i = 0; i < snapshot.instances_size(); ++i) {
    const corral::v1::GunicornInstance& inst = snapshot.instances(i);
    const ConfigDigest& config = report.ConfigDigestOf(i);
    MasterDigest& m = d.master_digests.emplace_back();
    m.pid = inst.master().pid();
    m.live = LiveWorkers(inst);
    m.configured = config.configured_workers;
    m.workers_source = config.workers_source;
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
  d.config = report.ConfigDigestPtr(d.primary);
  d.worker_restarts = observed.worker_restarts();
  d.worker_restarts_per_minute = observed.worker_restarts_per_minute();
  d.observed_seconds = observed.observed_seconds();
  d.master_age_seconds = observed.master().age_seconds();
  return d;
}

namespace {

// Unary reports carry their configuration every time, each with a digest of
// its own: equal content is the same configuration.
bool SameConfig(const std::shared_ptr<const ConfigDigest>& a, const std::shared_ptr<const ConfigDigest>& b) {
  if (a == b) return true;
  if (a == nullptr || b == nullptr) return false;
  return a->settings_fingerprint == b->settings_fingerprint && a->configured_workers == b->configured_workers &&
         a->workers_source == b->workers_source && a->app_uri == b->app_uri &&
         a->gunicorn_version == b->gunicorn_version && a->settings_unknowable == b->settings_unknowable &&
         a->erased == b->erased && a->dev_settings == b->dev_settings;
}

}  // namespace

bool MaterialChange(const InstanceDigest& before, const InstanceDigest& after) {
  if (before.masters != after.masters || before.primary != after.primary || before.live_workers != after.live_workers ||
      !SameConfig(before.config, after.config) || before.master_digests.size() != after.master_digests.size()) {
    return true;
  }
  for (size_t i = 0; i < before.master_digests.size(); ++i) {
    const MasterDigest& a = before.master_digests[i];
    const MasterDigest& b = after.master_digests[i];
    if (a.pid != b.pid || a.live != b.live || a.configured != b.configured || a.workers_source != b.workers_source) {
      return true;
    }
  }
  return false;
}

}  // namespace corral::server
