#include "server/instance_digest.h"

#include "absl/hash/hash.h"
#include "common/snapshot_facts.h"

namespace corral::server {

namespace {

// InstanceDigest::material. The configuration by content: unary reports
// carry it every time, each with a digest of its own.
uint64_t MaterialHash(const InstanceDigest& d) {
  uint64_t h = absl::HashOf(d.masters, d.primary, d.live_workers, d.oom_kills);
  for (const MasterDigest& m : d.master_digests) h = absl::HashOf(h, m.pid, m.live, m.configured, m.workers_source);
  if (d.config != nullptr) {
    const ConfigDigest& c = *d.config;
    h = absl::HashOf(h, c.settings_fingerprint, c.configured_workers, c.workers_source, c.app_uri, c.gunicorn_version,
                     c.settings_unknowable, c.erased, c.dev_settings);
  }
  return h;
}

}  // namespace

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
  if (d.primary >= 0) {
    const corral::v1::GunicornInstance& observed = snapshot.instances(d.primary);
    d.config = report.ConfigDigestPtr(d.primary);
    d.worker_restarts = observed.worker_restarts();
    d.worker_restarts_per_minute = observed.worker_restarts_per_minute();
    d.observed_seconds = observed.observed_seconds();
    d.master_age_seconds = observed.master().age_seconds();
    d.oom_kills = observed.resources().oom_kills();
  }
  d.material = MaterialHash(d);
  return d;
}

}  // namespace corral::server
