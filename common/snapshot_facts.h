// Facts derived from a snapshot that agent, server and CLI must agree on:
// what counts as a live worker, and the configured worker count. Worker
// counting happens here and nowhere else.
#ifndef CORRAL_COMMON_SNAPSHOT_FACTS_H_
#define CORRAL_COMMON_SNAPSHOT_FACTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "common/setting_source.h"
#include "corral/v1/snapshot.pb.h"

namespace corral {

// Workers that are running: every worker except zombies (exited, not yet
// reaped by the master).
int LiveWorkers(const corral::v1::GunicornInstance& instance);

// The instance's effective `workers` setting, or nullopt when unknown.
std::optional<int64_t> ConfiguredWorkers(const corral::v1::GunicornInstance& instance);

// Dirty workers (Gunicorn 25+) that are running: the dirty arbiter's
// children that are dirty workers, zombies excluded. Never web workers.
int LiveDirtyWorkers(const corral::v1::GunicornInstance& instance);

// How many dirty workers the instance's settings ask for, or nullopt when
// unknown: 0 without dirty apps (Gunicorn starts no dirty arbiter then),
// else `dirty_workers`, lowered to the largest per-app limit when every app
// is written with one ("mod:App:2"). An app class can also limit itself
// with a `workers` attribute, which no setting shows.
std::optional<int64_t> ConfiguredDirtyWorkers(const corral::v1::GunicornInstance& instance);

// The effective value of a boolean setting ("true"/"false"), or nullopt.
std::optional<bool> BoolSetting(const corral::v1::GunicornInstance& instance, const char* name);

}  // namespace corral

#endif  // CORRAL_COMMON_SNAPSHOT_FACTS_H_
