#include "server/fleet_view.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace corral::server {
namespace {}  // namespace

corral::v1::ServiceSummary Summarize(const std::string& service, absl::Span<const InstanceView> instances,
                                     const ServiceEvaluation& evaluation) {
  corral::v1::ServiceSummary s;
  s.set_service(service);
  s.set_replicas_total(static_cast<int32_t>(instances.size()));
  std::set<int64_t> configured;
  std::set<std::string> namespaces;
  int online = 0;
  for (const InstanceView& v : instances) {
    if (!v.snapshot().agent().namespace_().empty()) namespaces.insert(v.snapshot().agent().namespace_());
    bool is_online = v.state == InstanceState::kOnline;
    if (is_online) ++online;
    s.add_live_workers(is_online ? v.digest->live_workers : -1);
    if (is_online && v.digest->config && v.digest->config->configured_workers) {
      configured.insert(*v.digest->config->configured_workers);
    }
  }
  s.set_replicas_online(online);
  for (int64_t n : configured) s.add_configured_workers(n);
  for (const std::string& ns : namespaces) s.add_namespaces(ns);
  s.set_status(evaluation.status);
  s.set_findings(static_cast<int32_t>(evaluation.findings.size()));
  if (!evaluation.findings.empty()) *s.mutable_top_finding() = evaluation.findings.front();
  return s;
}

corral::v1::InstanceSummary Summarize(const InstanceView& view, absl::Time now) {
  corral::v1::InstanceSummary s;
  s.set_service(view.service());
  s.set_instance(view.instance());
  s.set_hostname(view.snapshot().agent().hostname());
  s.set_namespace_(view.snapshot().agent().namespace_());
  s.set_node(view.snapshot().agent().node());
  s.set_state(StateName(view.state));
  s.set_last_report_unix_ms(absl::ToUnixMillis(view.last_report));
  s.set_last_report_age_seconds(absl::ToDoubleSeconds(now - view.last_report));
  s.set_interval_ms(absl::ToInt64Milliseconds(view.interval));
  s.set_agent_version(view.snapshot().agent().agent_version());
  const InstanceDigest& d = *view.digest;
  s.set_masters(d.masters);
  s.set_live_workers(d.live_workers);
  if (d.config != nullptr) {
    if (d.config->configured_workers) s.set_configured_workers(*d.config->configured_workers);
    s.set_workers_source(d.config->workers_source);
    s.set_app_uri(d.config->app_uri);
    s.set_gunicorn_version(d.config->gunicorn_version);
  }
  s.set_master_age_seconds(d.master_age_seconds);
  s.set_worker_restarts(d.worker_restarts);
  if (view.snapshot().has_request_stats()) *s.mutable_request_stats() = view.snapshot().request_stats();
  return s;
}

absl::StatusOr<corral::v1::ServiceDetail> BuildServiceDetail(const std::string& service,
                                                             const std::vector<InstanceView>& views, absl::Time now,
                                                             const Expectations& expected) {
  std::vector<InstanceView> instances;
  for (const InstanceView& v : views) {
    if (v.service() == service) instances.push_back(v);
  }
  if (instances.empty())
    return absl::NotFoundError(absl::StrCat("no instance of service '", service, "' has reported"));
  ServiceEvaluation evaluation = EvaluateService(service, instances, now, expected);
  corral::v1::ServiceDetail detail;
  *detail.mutable_summary() = Summarize(service, instances, evaluation);
  for (const InstanceView& v : instances) *detail.add_replicas() = Summarize(v, now);
  for (auto& c : evaluation.differing_settings) *detail.add_differing_settings() = std::move(c);
  for (auto& f : evaluation.findings) *detail.add_findings() = std::move(f);
  return detail;
}

corral::v1::InstanceList BuildInstanceList(const std::vector<InstanceView>& views, absl::Time now) {
  corral::v1::InstanceList list;
  for (const InstanceView& v : views) *list.add_instances() = Summarize(v, now);
  return list;
}

}  // namespace corral::server
