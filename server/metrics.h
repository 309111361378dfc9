// The fleet in Prometheus's text exposition format (version 0.0.4), for
// corral-server's /metrics: one HELP and TYPE line per family, label values
// escaped, families in a fixed order. Pure: evaluated services in, text out.
//
// Per instance (labels service, instance):
//   corral_instance_up                         1 online, 0 disconnected or offline
//   corral_instance_live_workers               workers running now (all masters)
//   corral_instance_configured_workers         the primary master's `workers`; absent when unknown
//   corral_instance_expected_workers           `workers`/`min_workers` expected; absent when none
//   corral_instance_memory_bytes               cgroup memory in use
//   corral_instance_memory_limit_bytes         cgroup memory limit; absent when unlimited
//   corral_instance_oldest_heartbeat_seconds   the stalest worker heartbeat; absent when unknown
//   corral_instance_worker_restarts_per_minute over the agent's last five minutes
//   corral_instance_last_report_age_seconds
// Per service (label service):
//   corral_service_status                      0 ok, 1 degraded, 2 critical
//   corral_service_replicas                    instances, by state
//   corral_service_findings                    open findings by rule and severity
// From Gunicorn's statsd, where the agent receives it:
//   corral_instance_request_duration_seconds   summary: quantiles over the
//                                              agent's window; _sum/_count totals
//   corral_instance_responses_total            by status code
//   corral_instance_requests_per_second, corral_instance_critical_logs_total
#ifndef CORRAL_SERVER_METRICS_H_
#define CORRAL_SERVER_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "corral/v1/fleet.pb.h"
#include "server/fleet_evaluator.h"

namespace corral::server {

// The server's own counters.
struct ServerCounters {
  uint64_t reports = 0;
  uint64_t rejected = 0;
};

// `services` in name order.
std::string RenderMetrics(const std::vector<EvaluatedService>& services, const ServerCounters& counters,
                          absl::Time now);

// A label value escaped for the text format: \\, \" and \n.
std::string EscapeLabelValue(const std::string& value);

}  // namespace corral::server

#endif  // CORRAL_SERVER_METRICS_H_
