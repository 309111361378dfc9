#include "server/metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace corral::server {

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

class Writer {
 public:
  explicit Writer(size_t reserve) { out_.reserve(reserve); }

  void Family(const char* name, const char* type, const char* help) {
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }

  // `labels` is the already-rendered inside of the braces.
  void Sample(const char* name, const std::string& labels, double value) {
    absl::StrAppend(&out_, name, "{", labels, "} ", Number(value), "\n");
  }
  void Sample(const char* name, double value) { absl::StrAppend(&out_, name, " ", Number(value), "\n"); }

  // Whole numbers (counts, bytes) exactly; others with 6 significant digits.
  static std::string Number(double value) {
    if (value == std::floor(value) && std::fabs(value) < 1e15) return absl::StrCat(static_cast<int64_t>(value));
    return absl::StrFormat("%.6g", value);
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string InstanceLabels(const EvaluatedService& s, const InstanceView& v) {
  return absl::StrCat("service=\"", EscapeLabelValue(s.name), "\",instance=\"", EscapeLabelValue(v.instance()), "\"");
}

const corral::v1::GunicornInstance* Primary(const InstanceView& v) {
  if (v.digest->primary < 0) return nullptr;
  return &v.snapshot().instances(v.digest->primary);
}

using InstanceValue = std::function<std::optional<double>(const EvaluatedService&, const InstanceView&)>;

}  // namespace

std::string RenderMetrics(const std::vector<EvaluatedService>& services, const ServerCounters& counters,
                          absl::Time now) {
  size_t instances = 0;
  for (const EvaluatedService& s : services) instances += s.views.size();
  Writer w(instances * 1200 + services.size() * 400 + 2048);
  std::vector<std::vector<std::string>> labels(services.size());
  for (size_t i = 0; i < services.size(); ++i) {
    for (const InstanceView& v : services[i].views) labels[i].push_back(InstanceLabels(services[i], v));
  }
  auto per_instance = [&](const char* name, const char* type, const char* help, const InstanceValue& value) {
    w.Family(name, type, help);
    for (size_t i = 0; i < services.size(); ++i) {
      for (size_t j = 0; j < services[i].views.size(); ++j) {
        if (std::optional<double> x = value(services[i], services[i].views[j])) w.Sample(name, labels[i][j], *x);
      }
    }
  };

  per_instance("corral_instance_up", "gauge", "1 when the instance's agent is reporting (online), else 0.",
               [](const EvaluatedService&, const InstanceView& v) -> std::optional<double> {
                 return v.state == InstanceState::kOnline ? 1 : 0;
               });
  per_instance(
      "corral_instance_live_workers", "gauge",
      "Gunicorn workers running in the instance now (zombies excluded), as its agent last saw them.",
      [](const EvaluatedService&, const InstanceView& v) -> std::optional<double> { return v.digest->live_workers; });
  per_instance("corral_instance_configured_workers", "gauge",
               "The primary master's effective workers setting; absent when unknown.",
               [](const EvaluatedService&, const InstanceView& v) -> std::optional<double> {
                 if (v.digest->config == nullptr || !v.digest->config->configured_workers) return std::nullopt;
                 return static_cast<double>(*v.digest->config->configured_workers);
               });
  per_instance("corral_instance_expected_workers", "gauge",
               "Live workers the service is expected to run per replica (workers, or min_workers); absent when "
               "nothing is expected.",
               [](const EvaluatedService& s, const InstanceView&) -> std::optional<double> {
                 if (s.expected == nullptr) return std::nullopt;
                 std::optional<int64_t> n = s.expected->Int("workers");
                 if (!n) n = s.expected->Int("min_workers");
                 if (!n) return std::nullopt;
                 return static_cast<double>(*n);
               });
  per_instance("corral_instance_memory_bytes", "gauge", "Memory in use by the instance's cgroup.",
               [](const EvaluatedService&, const InstanceView& v) -> std::optional<double> {
                 const corral::v1::GunicornInstance* p = Primary(v);
                 if (p == nullptr || p->resources().cgroup_version().empty()) return std::nullopt;
                 return static_cast<double>(p->resources().memory_usage_bytes());
               });
  per_instance("corral_instance_memory_limit_bytes", "gauge",
               "Memory limit of the instance's cgroup; absent when unlimited.",
               [](const EvaluatedService&, const InstanceView& v) -> std::optional<double> {
                 const corral::v1::GunicornInstance* p = Primary(v);
                 if (p == nullptr || !p->resources().has_memory_limit_bytes()) return std::nullopt;
                 return static_cast<double>(p->resources().memory_limit_bytes());
               });
  per_instance("corral_instance_oldest_heartbeat_seconds", "gauge",
               "Seconds since the stalest worker last checked in; absent when no heartbeat is known.",
               [](const EvaluatedService&, const InstanceView& v) -> std::optional<double> {
                 const corral::v1::GunicornInstance* p = Primary(v);
                 if (p == nullptr) return std::nullopt;
                 std::optional<double> oldest;
                 for (const corral::v1::ProcessFacts& worker : p->workers()) {
                   if (!worker.has_heartbeat_age_seconds() || worker.state() == "Z") continue;
                   oldest = std::max(oldest.value_or(0), worker.heartbeat_age_seconds());
                 }
                 return oldest;
               });
  per_instance("corral_instance_worker_restarts_per_minute", "gauge",
               "Workers that exited and were replaced, per minute over the agent's last five minutes.",
               [](const EvaluatedService&, const InstanceView& v) -> std::optional<double> {
                 return v.digest->worker_restarts_per_minute;
               });
  per_instance("corral_instance_last_report_age_seconds", "gauge", "Seconds since the instance's last report.",
               [now](const EvaluatedService&, const InstanceView& v) -> std::optional<double> {
                 return absl::ToDoubleSeconds(now - v.last_report);
               });

  // Gunicorn's statsd, where the agent receives it: the duration summary's
  // quantiles cover the agent's window, its _sum and _count everything since
  // the agent started.
  w.Family("corral_instance_request_duration_seconds", "summary",
           "Request duration from Gunicorn's statsd: quantiles over the agent's last minute (within 2%), sum and "
           "count since the agent started.");
  for (size_t i = 0; i < services.size(); ++i) {
    for (size_t j = 0; j < services[i].views.size(); ++j) {
      const InstanceView& v = services[i].views[j];
      if (!v.snapshot().has_request_stats()) continue;
      const corral::v1::RequestStats& r = v.snapshot().request_stats();
      const std::string& l = labels[i][j];
      if (r.has_latency_p50_ms()) {
        w.Sample("corral_instance_request_duration_seconds", l + ",quantile=\"0.5\"", r.latency_p50_ms() / 1000);
        w.Sample("corral_instance_request_duration_seconds", l + ",quantile=\"0.95\"", r.latency_p95_ms() / 1000);
        w.Sample("corral_instance_request_duration_seconds", l + ",quantile=\"0.99\"", r.latency_p99_ms() / 1000);
      }
      w.Sample("corral_instance_request_duration_seconds_sum", l, r.request_duration_seconds_total());
      w.Sample("corral_instance_request_duration_seconds_count", l, static_cast<double>(r.requests_total()));
    }
  }
  w.Family("corral_instance_responses_total", "counter",
           "Responses by status code from Gunicorn's statsd since the agent started.");
  for (size_t i = 0; i < services.size(); ++i) {
    for (size_t j = 0; j < services[i].views.size(); ++j) {
      const InstanceView& v = services[i].views[j];
      if (!v.snapshot().has_request_stats()) continue;
      std::map<std::string, int64_t> sorted(v.snapshot().request_stats().responses_total().begin(),
                                            v.snapshot().request_stats().responses_total().end());
      for (const auto& [code, n] : sorted) {
        w.Sample("corral_instance_responses_total",
                 absl::StrCat(labels[i][j], ",status=\"", EscapeLabelValue(code), "\""), static_cast<double>(n));
      }
    }
  }
  per_instance("corral_instance_requests_per_second", "gauge",
               "Requests per second over the agent's last minute, from Gunicorn's statsd.",
               [](const EvaluatedService&, const InstanceView& v) -> std::optional<double> {
                 if (!v.snapshot().has_request_stats()) return std::nullopt;
                 return v.snapshot().request_stats().requests_per_second();
               });
  per_instance("corral_instance_critical_logs_total", "counter",
               "Critical log lines Gunicorn counted (worker timeouts), since the agent started.",
               [](const EvaluatedService&, const InstanceView& v) -> std::optional<double> {
                 if (!v.snapshot().has_request_stats()) return std::nullopt;
                 return static_cast<double>(v.snapshot().request_stats().critical_logs_total());
               });

  w.Family("corral_service_status", "gauge", "The service's status: 0 ok, 1 degraded (warnings), 2 critical.");
  for (const EvaluatedService& s : services) {
    const std::string& status = s.summary.status();
    w.Sample("corral_service_status", absl::StrCat("service=\"", EscapeLabelValue(s.name), "\""),
             status == "critical"   ? 2
             : status == "degraded" ? 1
                                    : 0);
  }
  w.Family("corral_service_replicas", "gauge", "The service's instances by state.");
  for (const EvaluatedService& s : services) {
    std::map<std::string, int> by_state = {{"online", 0}, {"disconnected", 0}, {"offline", 0}};
    for (const InstanceView& v : s.views) ++by_state[StateName(v.state)];
    for (const auto& [state, n] : by_state) {
      w.Sample("corral_service_replicas",
               absl::StrCat("service=\"", EscapeLabelValue(s.name), "\",state=\"", state, "\""), n);
    }
  }
  w.Family("corral_service_findings", "gauge", "Open findings of the service by rule and severity.");
  for (const EvaluatedService& s : services) {
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const corral::v1::Finding& f : s.findings) ++counts[{f.rule(), f.severity()}];
    for (const auto& [key, n] : counts) {
      w.Sample("corral_service_findings",
               absl::StrCat("service=\"", EscapeLabelValue(s.name), "\",rule=\"", EscapeLabelValue(key.first),
                            "\",severity=\"", EscapeLabelValue(key.second), "\""),
               n);
    }
  }
  w.Family("corral_server_reports_total", "counter", "Agent reports accepted since the server started.");
  w.Sample("corral_server_reports_total", static_cast<double>(counters.reports));
  w.Family("corral_server_rejected_reports_total", "counter",
           "Agent reports refused as malformed, oversized or unauthenticated since the server started.");
  w.Sample("corral_server_rejected_reports_total", static_cast<double>(counters.rejected));
  return w.Take();
}

}  // namespace corral::server
