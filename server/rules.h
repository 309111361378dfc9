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
//   REPLICAS_DISAGREE [critical]    replicas differ in live workers or
//                                   settings; names the minority replica and
//                                   the settings that differ
#ifndef CORRAL_SERVER_RULES_H_
#define CORRAL_SERVER_RULES_H_

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "corral/v1/fleet.pb.h"
#include "server/registry.h"

namespace corral::server {

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
ServiceEvaluation EvaluateService(const std::string& service, absl::Span<const InstanceView> instances, absl::Time now);

}  // namespace corral::server

#endif  // CORRAL_SERVER_RULES_H_
