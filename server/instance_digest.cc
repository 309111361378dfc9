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

}  // namespace corral::server
