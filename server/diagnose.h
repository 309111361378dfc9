// `corral diagnose SERVICE`: the hypotheses people test by hand when a
// Gunicorn service misbehaves, each judged from the evidence the server
// holds -- reports, expectations, findings.
//
//   compose_override     the compose files (with overrides) declare the problem
//   wsgi_entry_point     the declared WSGI application fails to load
//   crash_at_start       workers or masters keep restarting
//   resource_limits      cgroup memory, OOM kills, pids or CPU limits
//   conflicting_sources  a config file, GUNICORN_CMD_ARGS or the environment
//                        overrides what was declared
//   stale_image          the container runs an image older than its Dockerfile
//   permissions          what the agent cannot read, and who runs what
//
// Each gets a verdict -- confirmed, ruled_out, cannot_tell (with what would
// tell) -- and its evidence; a confirmed one also gets the fix. Pure.
#ifndef CORRAL_SERVER_DIAGNOSE_H_
#define CORRAL_SERVER_DIAGNOSE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "corral/v1/fleet.pb.h"
#include "server/expectations.h"
#include "server/registry.h"

namespace corral::server {

// `views` are the service's instances in name order; `findings` its
// current findings (FleetEvaluator).
corral::v1::Diagnosis Diagnose(const std::string& service, absl::Span<const InstanceView> views,
                               const Expectations& expected, const std::vector<corral::v1::Finding>& findings,
                               absl::Time now);

}  // namespace corral::server

#endif  // CORRAL_SERVER_DIAGNOSE_H_
