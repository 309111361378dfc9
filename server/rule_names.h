// The names of the server's rules, as findings, `corral check`, the history
// and the Prometheus `rule` label carry them. Every part that emits or
// looks for a finding names it through these constants; the catalog with
// severities and meanings is in DESIGN.md and the README.
#ifndef CORRAL_SERVER_RULE_NAMES_H_
#define CORRAL_SERVER_RULE_NAMES_H_

namespace corral::server::rule {

// One instance.
inline constexpr char kNoGunicorn[] = "NO_GUNICORN";
inline constexpr char kAgentOffline[] = "AGENT_OFFLINE";
inline constexpr char kDevSetting[] = "DEV_SETTING";
inline constexpr char kSettingsUnknowable[] = "SETTINGS_UNKNOWABLE";
inline constexpr char kWorkersBelowConfig[] = "WORKERS_BELOW_CONFIG";
inline constexpr char kRuntimeScaled[] = "RUNTIME_SCALED";
inline constexpr char kDirtyWorkersBelowConfig[] = "DIRTY_WORKERS_BELOW_CONFIG";
inline constexpr char kWorkerChurn[] = "WORKER_CHURN";
inline constexpr char kWorkerStuck[] = "WORKER_STUCK";
inline constexpr char kMemoryPressure[] = "MEMORY_PRESSURE";
inline constexpr char kWorkersVsCpus[] = "WORKERS_VS_CPUS";
inline constexpr char kLatencyHigh[] = "LATENCY_HIGH";
inline constexpr char kErrorRateHigh[] = "ERROR_RATE_HIGH";

// An instance against the service's expectations.
inline constexpr char kWorkersBelowExpected[] = "WORKERS_BELOW_EXPECTED";
inline constexpr char kWorkersAboveExpected[] = "WORKERS_ABOVE_EXPECTED";
inline constexpr char kConfigDrift[] = "CONFIG_DRIFT";
inline constexpr char kStaleImage[] = "STALE_IMAGE";

// The service as a whole.
inline constexpr char kReplicasBelowExpected[] = "REPLICAS_BELOW_EXPECTED";
inline constexpr char kReplicasAboveExpected[] = "REPLICAS_ABOVE_EXPECTED";
inline constexpr char kReplicasDisagree[] = "REPLICAS_DISAGREE";

}  // namespace corral::server::rule

#endif  // CORRAL_SERVER_RULE_NAMES_H_
