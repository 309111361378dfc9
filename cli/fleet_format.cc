#include "cli/fleet_format.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/duration.h"

namespace corral::cli {
namespace {

constexpr size_t kTopFindingWidth = 90;

std::string Ago(double seconds) { return FormatDurationShort(absl::Seconds(seconds)) + " ago"; }

// The Gunicorn release, "?" when unknown (as the APP column shows an
// unknown app).
std::string VersionText(const corral::v1::InstanceSummary& instance) {
  return instance.gunicorn_version().empty() ? "?" : instance.gunicorn_version();
}

int Rank(const std::string& severity) {
  if (severity == "critical") return 3;
  if (severity == "warning") return 2;
  if (severity == "info") return 1;
  return 0;
}

// Configured workers, as the tables show them; "unknown" is decided here
// and nowhere else.
std::string ConfiguredWorkersText(const corral::v1::ServiceSummary& summary) {
  return summary.configured_workers().empty() ? "unknown" : absl::StrJoin(summary.configured_workers(), ",");
}

std::string ConfiguredWorkersText(const corral::v1::InstanceSummary& instance, bool with_source) {
  if (!instance.has_configured_workers()) return "unknown";
  return with_source ? absl::StrCat(instance.configured_workers(), " (", instance.workers_source(), ")")
                     : absl::StrCat(instance.configured_workers());
}

// "namespace/service" on Kubernetes ("prod,staging/api" when one service
// name spans namespaces), else the service alone.
std::string ServiceLabel(const corral::v1::ServiceSummary& summary) {
  if (summary.namespaces().empty()) return summary.service();
  return absl::StrCat(absl::StrJoin(summary.namespaces(), ","), "/", summary.service());
}

std::string ServiceLabel(const corral::v1::InstanceSummary& instance) {
  return instance.namespace_().empty() ? instance.service()
                                       : absl::StrCat(instance.namespace_(), "/", instance.service());
}

// Kubernetes: the node; elsewhere the agent's host name.
std::string HostText(const corral::v1::InstanceSummary& instance) {
  return instance.node().empty() ? instance.hostname() : instance.node();
}

}  // namespace

std::string Colored(const std::string& word, const Style& style) {
  if (word == "critical" || word == "offline" || word == "confirmed") return style.Red(word);
  if (word == "degraded" || word == "warning" || word == "disconnected" || word == "cannot_tell") {
    return style.Yellow(word);
  }
  if (word == "ok" || word == "online" || word == "ruled_out") return style.Green(word);
  return word;
}

std::string LiveWorkersText(const corral::v1::ServiceSummary& summary) {
  std::vector<std::string> parts;
  for (int n : summary.live_workers()) parts.push_back(n < 0 ? "-" : absl::StrCat(n));
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

std::string RenderFleetStatus(const corral::v1::FleetStatus& status, const Style& style) {
  if (status.services().empty()) return "No instance has reported yet.\n";
  Table table({"SERVICE", "REPLICAS", "LIVE WORKERS", "CONFIGURED", "STATUS", "TOP FINDING"});
  for (const corral::v1::ServiceSummary& s : status.services()) {
    std::string top = s.has_top_finding() ? absl::StrCat(s.top_finding().rule(), ": ", s.top_finding().message()) : "-";
    // A table row stays readable; `corral service` has the whole story.
    if (top.size() > kTopFindingWidth) top = top.substr(0, kTopFindingWidth - 3) + "...";
    table.AddRow({ServiceLabel(s), absl::StrCat(s.replicas_online(), "/", s.replicas_total()), LiveWorkersText(s),
                  ConfiguredWorkersText(s), Colored(s.status(), style), top});
  }
  return table.Render(0, &style);
}

std::string RenderServiceDetail(const corral::v1::ServiceDetail& detail, const Style& style) {
  const corral::v1::ServiceSummary& s = detail.summary();
  std::string out = absl::StrCat(style.Bold(ServiceLabel(s)), "  ", Colored(s.status(), style), "  ",
                                 s.replicas_online(), "/", s.replicas_total(), " replicas online\n\n");
  Table replicas(
      {"INSTANCE", "STATE", "LIVE", "CONFIGURED", "APP", "GUNICORN", "MASTER UP", "RESTARTS", "LAST REPORT"});
  // Pods of one service name in several namespaces: say which is which.
  bool qualify = s.namespaces_size() > 1;
  for (const corral::v1::InstanceSummary& r : detail.replicas()) {
    replicas.AddRow({qualify ? absl::StrCat(r.namespace_(), "/", r.instance()) : r.instance(),
                     Colored(r.state(), style), absl::StrCat(r.live_workers()),
                     ConfiguredWorkersText(r, /*with_source=*/true), r.app_uri().empty() ? "?" : r.app_uri(),
                     VersionText(r), r.masters() > 0 ? FormatDurationShort(absl::Seconds(r.master_age_seconds())) : "-",
                     absl::StrCat(r.worker_restarts()), Ago(r.last_report_age_seconds())});
  }
  absl::StrAppend(&out, replicas.Render(0, &style));
  bool any_requests = false;
  for (const corral::v1::InstanceSummary& r : detail.replicas()) any_requests |= r.has_request_stats();
  if (any_requests) {
    // Gunicorn's own request metrics, from its statsd.
    Table requests({"INSTANCE", "REQ/S", "MEAN", "P50", "P95", "P99", "5XX", "GUNICORN WORKERS", "WINDOW"});
    auto ms = [](bool has, double v) { return has ? absl::StrFormat("%.1fms", v) : std::string("-"); };
    for (const corral::v1::InstanceSummary& r : detail.replicas()) {
      if (!r.has_request_stats()) {
        requests.AddRow({r.instance(), "-", "-", "-", "-", "-", "-", "-", "-"});
        continue;
      }
      const corral::v1::RequestStats& q = r.request_stats();
      requests.AddRow({r.instance(), absl::StrFormat("%.1f", q.requests_per_second()),
                       ms(q.has_latency_mean_ms(), q.latency_mean_ms()), ms(q.has_latency_p50_ms(), q.latency_p50_ms()),
                       ms(q.has_latency_p95_ms(), q.latency_p95_ms()), ms(q.has_latency_p99_ms(), q.latency_p99_ms()),
                       q.has_error_rate() ? absl::StrFormat("%.1f%%", 100 * q.error_rate()) : "-",
                       q.has_gunicorn_workers() ? absl::StrCat(q.gunicorn_workers()) : "-",
                       absl::StrFormat("%.0fs", q.window_seconds())});
    }
    absl::StrAppend(&out, "\nRequests (Gunicorn's statsd):\n", requests.Render(0, &style));
  }
  if (!detail.differing_settings().empty()) {
    // One column per replica that appears in any comparison.
    std::vector<std::string> instances;
    for (const auto& c : detail.differing_settings()) {
      for (const auto& v : c.values()) {
        if (std::find(instances.begin(), instances.end(), v.instance()) == instances.end()) {
          instances.push_back(v.instance());
        }
      }
    }
    std::vector<std::string> header{"SETTING"};
    header.insert(header.end(), instances.begin(), instances.end());
    Table diff(header);
    for (const auto& c : detail.differing_settings()) {
      std::map<std::string, std::string> by_instance;
      for (const auto& v : c.values()) {
        by_instance[v.instance()] =
            absl::StrCat(v.value().empty() ? "-" : v.value(), " ", style.Dim(absl::StrCat("(", v.source(), ")")));
      }
      std::vector<std::string> row{c.setting()};
      for (const std::string& i : instances) row.push_back(by_instance.count(i) ? by_instance[i] : "");
      diff.AddRow(row);
    }
    absl::StrAppend(&out, "\nSettings that differ between replicas:\n", diff.Render(0, &style));
  }
  if (!detail.findings().empty()) {
    Table findings({"SEVERITY", "RULE", "FINDING"});
    for (const corral::v1::Finding& f : detail.findings()) {
      findings.AddRow({Colored(f.severity(), style), f.rule(), f.message()});
    }
    absl::StrAppend(&out, "\nFindings:\n", findings.Render(0, &style));
  }
  return out;
}

std::string RenderInstances(const corral::v1::InstanceList& list, const Style& style) {
  if (list.instances().empty()) return "No instance has reported yet.\n";
  Table table(
      {"SERVICE", "INSTANCE", "STATE", "LIVE", "CONFIGURED", "GUNICORN", "LAST REPORT", "INTERVAL", "HOST", "AGENT"});
  for (const corral::v1::InstanceSummary& i : list.instances()) {
    table.AddRow({ServiceLabel(i), i.instance(), Colored(i.state(), style), absl::StrCat(i.live_workers()),
                  ConfiguredWorkersText(i, /*with_source=*/false), VersionText(i), Ago(i.last_report_age_seconds()),
                  FormatDurationShort(absl::Milliseconds(i.interval_ms())), HostText(i), i.agent_version()});
  }
  return table.Render(0, &style);
}

std::string RenderCheck(const corral::v1::CheckResponse& check, const std::string& fail_on, const Style& style) {
  std::string out;
  int failing = 0;
  Table findings({"SEVERITY", "RULE", "FINDING"});
  for (const corral::v1::Finding& f : check.findings()) {
    if (Rank(f.severity()) >= Rank(fail_on)) ++failing;
    findings.AddRow({Colored(f.severity(), style), f.rule(), f.message()});
  }
  if (!check.findings().empty()) out = findings.Render(0, &style);
  std::string scope = absl::StrCat(check.services_size(), " service(s)");
  if (failing == 0) {
    absl::StrAppend(&out, style.Green(absl::StrCat("consistent: no finding at or above ", fail_on)), " in ", scope,
                    check.findings().empty() ? "" : absl::StrCat(" (", check.findings_size(), " below)"), "\n");
  } else {
    absl::StrAppend(&out, style.Red(absl::StrCat(failing, " finding(s) at or above ", fail_on)), " in ", scope, "\n");
  }
  return out;
}

}  // namespace corral::cli
