// Consistency rules over one service's instances (DESIGN.md, rule catalog).
// Pure: takes the instances as the registry sees them and returns findings.
//
//   AGENT_OFFLINE [critical]        no report for 3 of the agent's intervals
//   NO_GUNICORN [critical]          agent alive, no Gunicorn master found
//   WORKERS_BELOW_CONFIG [critical] fewer live workers than the master's own
//                                   `workers`, with workers restarting or too
//                                   early to tell
//   RUNTIME_SCALED [info]           live count differs from `workers` with no
//                                   restarts: TTIN/TTOU
//   DEV_SETTING [warning]           reload on, or debug logging
//   SETTINGS_UNKNOWABLE [info]      setproctitle erased argv/environment
//   REPLICAS_DISAGREE [critical]    replicas differ in live workers,
//                                   settings or Gunicorn release; names the
//                                   minority replica and what differs (the
//                                   release as "gunicorn_version"; unknown
//                                   on one side is no difference)
//
// Against the service's expectations (server/expectations.h):
//   WORKERS_BELOW_EXPECTED [critical] / WORKERS_ABOVE_EXPECTED [warning]
//                                   live workers vs `workers` (exact) or
//                                   below `min_workers`
//   REPLICAS_BELOW_EXPECTED [critical] / REPLICAS_ABOVE_EXPECTED [warning]
//                                   instances not offline vs `replicas`
//   CONFIG_DRIFT [warning]          an effective setting differs from the
//                                   expected one; one finding per setting,
//                                   naming the source that set it. Also the
//                                   Gunicorn release against
//                                   `gunicorn_version`, naming the file it
//                                   was read from (an unknown release is
//                                   never drift)
//   STALE_IMAGE [critical]          the master runs a command that differs
//                                   from the Dockerfile's CMD/ENTRYPOINT
//                                   compose relies on, or its build revision
//                                   differs from `build_revision`
// From the instance alone:
//   DIRTY_WORKERS_BELOW_CONFIG [warning]
//                                   fewer live dirty workers (Gunicorn 25+)
//                                   than dirty_workers/dirty_apps ask for,
//                                   when that is known and above 0; an app
//                                   class's `workers` attribute can also
//                                   lower the count, which no setting shows
//   WORKER_CHURN [warning]          workers restart above kChurnPerMinute
//                                   (not with max_requests, which recycles
//                                   workers by design)
//   WORKER_STUCK [warning]          a worker's heartbeat is older than half
//                                   its timeout (plus kHeartbeatSlack)
//   MEMORY_PRESSURE [warning]       cgroup memory at kMemoryPressureRatio of
//                                   its limit, or OOM kills went up within
//                                   kOomWindow
//   WORKERS_VS_CPUS [info]          more workers than Gunicorn's 2 x CPUs + 1,
//                                   or fewer than the CPU quota
// From Gunicorn's statsd (when the agent receives it), over its window and
// with at least kMinResponses in it:
//   LATENCY_HIGH [warning]          mean latency above max_latency (2s)
//   ERROR_RATE_HIGH [critical]      5xx share above max_error_rate (5%)
#ifndef CORRAL_SERVER_RULES_H_
#define CORRAL_SERVER_RULES_H_

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "corral/v1/fleet.pb.h"
#include "server/expectations.h"
#include "server/registry.h"

namespace corral::server {

inline constexpr double kChurnPerMinute = 1.0;
inline constexpr double kMemoryPressureRatio = 0.9;
inline constexpr absl::Duration kOomWindow = absl::Minutes(10);
// An idle sync worker checks in every timeout/2 (its select() timeout), so
// a heartbeat only counts as stuck a little past that.
inline constexpr absl::Duration kHeartbeatSlack = absl::Seconds(1);
// The incident report's thresholds, unless the service expects others.
inline constexpr absl::Duration kDefaultMaxLatency = absl::Seconds(2);
inline constexpr double kDefaultMaxErrorRate = 0.05;
inline constexpr double kMinResponses = 10;

enum class Severity { kInfo = 1, kWarning = 2, kCritical = 3 };

// "info", "warning", "critical"; and back (nullopt for anything else).
const char* SeverityName(Severity severity);
std::optional<Severity> ParseSeverity(const std::string& name);

struct ServiceEvaluation {
  std::vector<corral::v1::Finding> findings;  // most severe first
  // "ok", "degraded" or "critical".
  std::string status;
  // Settings whose known values differ between online replicas.
  std::vector<corral::v1::SettingComparison> differing_settings;
};

// `instances` are one service's, ordered by instance name.
ServiceEvaluation EvaluateService(const std::string& service, absl::Span<const InstanceView> instances, absl::Time now,
                                  const Expectations& expected = Expectations());

// Identifies a finding across evaluations, for the history: rule, instance
// and, for CONFIG_DRIFT, the setting.
std::string FindingKey(const corral::v1::Finding& finding);

// Whether the finding is judged by comparing the service's replicas with
// each other or counting them (service-wide findings, REPLICAS_DISAGREE),
// rather than from one instance and the expectations alone: such a finding
// means nothing while only some replicas have reported.
bool ComparesReplicas(const corral::v1::Finding& finding);

}  // namespace corral::server

#endif  // CORRAL_SERVER_RULES_H_
