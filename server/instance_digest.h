// What the server needs from a snapshot, computed once when it arrives so
// that queries and rules never walk the whole snapshot again.
#ifndef CORRAL_SERVER_INSTANCE_DIGEST_H_
#define CORRAL_SERVER_INSTANCE_DIGEST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "corral/v1/snapshot.pb.h"
#include "server/config_digest.h"
#include "server/report.h"

namespace corral::server {

// What the worker-count rules need of one master.
struct MasterDigest {
  int pid = 0;
  int live = 0;
  std::optional<int64_t> configured;
  std::string workers_source;
  double restarts_per_minute = 0;
  double observed_seconds = 0;
};

struct InstanceDigest {
  int masters = 0;
  // The primary master: the oldest one that is not a USR2 child; -1 when
  // the snapshot has no master.
  int primary = -1;
  // Over every master of the instance.
  int live_workers = 0;
  std::vector<MasterDigest> master_digests;
  // The primary master's configuration digest; nullptr without a master.
  std::shared_ptr<const ConfigDigest> config;
  int64_t worker_restarts = 0;
  double worker_restarts_per_minute = 0;
  double observed_seconds = 0;
  double master_age_seconds = 0;
  // The primary master's cgroup OOM kill count; 0 without a master.
  int64_t oom_kills = 0;
  // A hash of what can make the instance be judged differently at once:
  // its masters, their live and configured workers, its configuration (by
  // content), its OOM kills. Measurements (restart rates, ages, how long
  // the agent has watched) are left out: they move with every report, and
  // a query may answer from an evaluation a little older (FleetEvaluator).
  // The registry keeps this number rather than reading the previous digest
  // (a cache miss per report with 10,000 instances between two of one).
  uint64_t material = 0;
};

InstanceDigest Digest(const Report& report);

}  // namespace corral::server

#endif  // CORRAL_SERVER_INSTANCE_DIGEST_H_
