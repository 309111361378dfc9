#include "server/web/service_page.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"
#include "common/json.h"
#include "server/rule_names.h"
#include "server/web/html.h"
#include "server/web/workers_chart.h"

namespace corral::server::web {
namespace {

constexpr int kMaxTimelineEvents = 200;
constexpr int64_t kMinChartSpanMs = 10 * 60 * 1000;
constexpr int64_t kChartMarginMs = 30 * 1000;

std::string Badge(const std::string& css, const std::string& text) {
  return absl::StrCat("<span class=\"badge ", css, "\">", Escape(text), "</span>");
}

std::string ReplicaLabel(const corral::v1::InstanceSummary& r, bool qualify) {
  return Escape(qualify && !r.namespace_().empty() ? absl::StrCat(r.namespace_(), "/", r.instance()) : r.instance());
}

std::string ConfiguredCell(const corral::v1::InstanceSummary& r) {
  if (!r.has_configured_workers()) return "unknown";
  std::string out = absl::StrCat(r.configured_workers());
  if (!r.workers_source().empty())
    absl::StrAppend(&out, " <span class=\"src\">", Escape(r.workers_source()), "</span>");
  return out;
}

std::string Ms(bool has, double v) { return has ? absl::StrFormat("%.1f ms", v) : std::string("&ndash;"); }

void Replicas(const corral::v1::ServiceDetail& detail, std::string* out) {
  std::set<std::string> differ = InstancesThatDiffer(detail);
  bool qualify = detail.summary().namespaces_size() > 1;
  bool any_requests = false;
  for (const corral::v1::InstanceSummary& r : detail.replicas()) any_requests |= r.has_request_stats();
  absl::StrAppend(out,
                  "<section id=\"replicas\" aria-labelledby=\"replicas-h\"><h2 id=\"replicas-h\">Replicas</h2>"
                  "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Instance</th><th scope=\"col\">State</th>"
                  "<th scope=\"col\" class=\"num\">Live workers</th><th scope=\"col\">Configured</th>"
                  "<th scope=\"col\">App</th><th scope=\"col\" class=\"num\">Master up</th>"
                  "<th scope=\"col\" class=\"num\">Restarts</th><th scope=\"col\">Last report</th>"
                  "<th scope=\"col\">Gunicorn</th>");
  if (any_requests) {
    absl::StrAppend(out,
                    "<th scope=\"col\" class=\"num\">Req/s</th><th scope=\"col\" class=\"num\">p50</th>"
                    "<th scope=\"col\" class=\"num\">p99</th><th scope=\"col\" class=\"num\">5xx</th>");
  }
  absl::StrAppend(out, "</tr></thead><tbody>\n");
  for (const corral::v1::InstanceSummary& r : detail.replicas()) {
    bool odd = differ.count(r.instance()) > 0;
    absl::StrAppend(out, "<tr data-instance=\"", Escape(r.instance()), "\"", odd ? " class=\"differs\"" : "",
                    "><td class=\"name\">", ReplicaLabel(r, qualify));
    if (odd) absl::StrAppend(out, " <span class=\"badge s-warning\">differs</span>");
    if (!r.node().empty()) absl::StrAppend(out, " <span class=\"src\">on ", Escape(r.node()), "</span>");
    absl::StrAppend(out, "</td><td>", Badge(absl::StrCat("st-", r.state()), r.state()), "</td><td class=\"num\">",
                    r.live_workers(), "</td><td>", ConfiguredCell(r), "</td><td>",
                    r.app_uri().empty() ? "unknown" : Escape(r.app_uri()), "</td><td class=\"num\">",
                    r.masters() > 0 ? Escape(FormatDurationShort(absl::Seconds(r.master_age_seconds()))) : "&ndash;",
                    "</td><td class=\"num\">", r.worker_restarts(), "</td><td>", TimeElement(r.last_report_unix_ms()),
                    " <span class=\"src\">", AgoText(r.last_report_age_seconds()), "</span></td><td>",
                    r.gunicorn_version().empty() ? "unknown" : Escape(r.gunicorn_version()), "</td>");
    if (any_requests) {
      if (r.has_request_stats()) {
        const corral::v1::RequestStats& q = r.request_stats();
        absl::StrAppend(out, "<td class=\"num\">", absl::StrFormat("%.1f", q.requests_per_second()),
                        "</td><td class=\"num\">", Ms(q.has_latency_p50_ms(), q.latency_p50_ms()),
                        "</td><td class=\"num\">", Ms(q.has_latency_p99_ms(), q.latency_p99_ms()),
                        "</td><td class=\"num\">",
                        q.has_error_rate() ? absl::StrFormat("%.1f%%", 100 * q.error_rate()) : "&ndash;", "</td>");
      } else {
        absl::StrAppend(out, "<td class=\"num\" colspan=\"4\">no statsd</td>");
      }
    }
    absl::StrAppend(out, "</tr>\n");
  }
  absl::StrAppend(out, "</tbody></table></div></section>\n");
}

void Differences(const corral::v1::ServiceDetail& detail, std::string* out) {
  absl::StrAppend(out,
                  "<section id=\"differences\" aria-labelledby=\"differences-h\"><h2 id=\"differences-h\">"
                  "Settings that differ between replicas</h2>");
  if (detail.differing_settings().empty()) {
    absl::StrAppend(out, "<p class=\"muted\">None: the online replicas run the same settings.</p></section>\n");
    return;
  }
  std::vector<std::string> instances;
  for (const corral::v1::SettingComparison& c : detail.differing_settings()) {
    for (const corral::v1::ReplicaValue& v : c.values()) {
      if (std::find(instances.begin(), instances.end(), v.instance()) == instances.end()) {
        instances.push_back(v.instance());
      }
    }
  }
  absl::StrAppend(out, "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Setting</th>");
  for (const std::string& i : instances) absl::StrAppend(out, "<th scope=\"col\">", Escape(i), "</th>");
  absl::StrAppend(out, "</tr></thead><tbody>\n");
  for (const corral::v1::SettingComparison& c : detail.differing_settings()) {
    std::map<std::string, const corral::v1::ReplicaValue*> by_instance;
    for (const corral::v1::ReplicaValue& v : c.values()) by_instance[v.instance()] = &v;
    absl::StrAppend(out, "<tr data-setting=\"", Escape(c.setting()), "\"><th scope=\"row\">", Escape(c.setting()),
                    "</th>");
    for (const std::string& i : instances) {
      auto it = by_instance.find(i);
      if (it == by_instance.end()) {
        absl::StrAppend(out, "<td></td>");
        continue;
      }
      absl::StrAppend(out, "<td><span class=\"value\">",
                      it->second->value().empty() ? "unset" : Escape(it->second->value()),
                      "</span> <span class=\"src\">", Escape(it->second->source()), "</span></td>");
    }
    absl::StrAppend(out, "</tr>\n");
  }
  absl::StrAppend(out, "</tbody></table></div></section>\n");
}

void Findings(const google::protobuf::RepeatedPtrField<corral::v1::Finding>& findings, std::string* out) {
  absl::StrAppend(out, "<section id=\"findings\" aria-labelledby=\"findings-h\"><h2 id=\"findings-h\">Findings</h2>");
  if (findings.empty()) {
    absl::StrAppend(out, "<p class=\"muted\">No findings.</p></section>\n");
    return;
  }
  absl::StrAppend(out, "<ul class=\"findings\">\n");
  for (const corral::v1::Finding& f : findings) {
    absl::StrAppend(out, "<li data-rule=\"", Escape(f.rule()), "\">",
                    Badge(absl::StrCat("s-", f.severity()), f.severity()), " <strong>", Escape(f.rule()), "</strong>");
    if (!f.instance().empty()) absl::StrAppend(out, " <span class=\"src\">", Escape(f.instance()), "</span>");
    absl::StrAppend(out, "<br>", Escape(f.message()));
    if (!f.differences().empty()) {
      absl::StrAppend(out, "<ul>");
      for (const corral::v1::SettingComparison& c : f.differences()) {
        std::vector<std::string> values;
        for (const corral::v1::ReplicaValue& v : c.values()) {
          values.push_back(absl::StrCat(
              Escape(v.instance()), ": ", v.value().empty() ? "unset" : Escape(v.value()),
              v.source().empty() ? "" : absl::StrCat(" <span class=\"src\">(", Escape(v.source()), ")</span>")));
        }
        absl::StrAppend(out, "<li>", Escape(c.setting()), " &mdash; ", absl::StrJoin(values, "; "), "</li>");
      }
      absl::StrAppend(out, "</ul>");
    }
    absl::StrAppend(out, "</li>\n");
  }
  absl::StrAppend(out, "</ul></section>\n");
}

void Expectations(const ServicePageData& page, std::string* out) {
  absl::StrAppend(out,
                  "<section id=\"expectations\" aria-labelledby=\"expectations-h\"><h2 id=\"expectations-h\">"
                  "Expectations</h2>");
  const corral::v1::ServiceExpectations* mine = nullptr;
  for (const corral::v1::ServiceExpectations& s : page.expectations.services()) {
    if (s.service() == page.service) mine = &s;
  }
  if (mine == nullptr || mine->expectations().empty()) {
    absl::StrAppend(out,
                    "<p class=\"muted\">Nothing is expected of this service. Declare what it should run with "
                    "<code>corral expect import docker-compose.yml</code> or <code>corral expect set ",
                    Escape(page.service), " workers=3</code>.</p></section>\n");
    return;
  }
  absl::StrAppend(out,
                  "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Key</th><th scope=\"col\">Value</th>"
                  "<th scope=\"col\">Declared in</th><th scope=\"col\">By</th><th scope=\"col\">Since</th>"
                  "</tr></thead><tbody>\n");
  for (const corral::v1::Expectation& e : mine->expectations()) {
    absl::StrAppend(out, "<tr data-key=\"", Escape(e.key()), "\"><th scope=\"row\">", Escape(e.key()), "</th><td>",
                    Escape(e.value()), "</td><td>", e.origin().empty() ? "corral expect set" : Escape(e.origin()),
                    "</td><td>", Escape(e.declared_by()), "</td><td>",
                    e.updated_at_unix_ms() == 0 ? "&ndash;" : TimeElement(e.updated_at_unix_ms(), true),
                    "</td></tr>\n");
  }
  absl::StrAppend(out, "</tbody></table></div></section>\n");
}

void Diagnosis(const ServicePageData& page, std::string* out) {
  absl::StrAppend(out,
                  "<section id=\"diagnosis\" aria-labelledby=\"diagnosis-h\"><h2 id=\"diagnosis-h\">Diagnosis"
                  "</h2>");
  if (!page.diagnosis) {
    absl::StrAppend(out,
                    "<p class=\"muted\">No diagnosis: nothing has reported and nothing is expected.</p>"
                    "</section>\n");
    return;
  }
  const corral::v1::Diagnosis& d = *page.diagnosis;
  bool confirmed = std::any_of(d.hypotheses().begin(), d.hypotheses().end(),
                               [](const corral::v1::Hypothesis& h) { return h.verdict() == "confirmed"; });
  absl::StrAppend(out, "<p id=\"diagnosis-summary\" class=\"summary", confirmed ? " confirmed" : "", "\">",
                  Escape(d.summary()), "</p>\n<ol class=\"hypotheses\">\n");
  // What was confirmed first, then what cannot be told, then what was
  // ruled out: the reader wants the cause, then what is still open.
  std::vector<const corral::v1::Hypothesis*> order;
  for (const corral::v1::Hypothesis& h : d.hypotheses()) order.push_back(&h);
  auto rank = [](const std::string& verdict) { return verdict == "confirmed" ? 0 : verdict == "ruled_out" ? 2 : 1; };
  std::stable_sort(order.begin(), order.end(), [&](const corral::v1::Hypothesis* a, const corral::v1::Hypothesis* b) {
    return rank(a->verdict()) < rank(b->verdict());
  });
  for (const corral::v1::Hypothesis* hypothesis : order) {
    const corral::v1::Hypothesis& h = *hypothesis;
    absl::StrAppend(out, "<li data-hypothesis=\"", Escape(h.id()), "\" data-verdict=\"", Escape(h.verdict()), "\">",
                    Badge(absl::StrCat("v-", h.verdict()), h.verdict()), " <span class=\"title\">", Escape(h.title()),
                    "</span>");
    if (!h.instances().empty()) {
      std::vector<std::string> names;
      for (const std::string& i : h.instances()) names.push_back(Escape(i));
      absl::StrAppend(out, " <span class=\"src\">(", absl::StrJoin(names, ", "), ")</span>");
    }
    if (!h.evidence().empty()) {
      absl::StrAppend(out, "<ul>");
      for (const std::string& e : h.evidence()) absl::StrAppend(out, "<li>", Escape(e), "</li>");
      absl::StrAppend(out, "</ul>");
    }
    if (!h.what_would_tell().empty()) {
      absl::StrAppend(out, "<p class=\"muted\">Would tell: ", Escape(h.what_would_tell()), "</p>");
    }
    if (!h.fix().empty()) absl::StrAppend(out, "<p class=\"fix\"><strong>Fix:</strong> ", Escape(h.fix()), "</p>");
    absl::StrAppend(out, "</li>\n");
  }
  absl::StrAppend(out, "</ol></section>\n");
}

std::string EventText(const corral::v1::Event& e) {
  if (!e.message().empty()) return e.message();
  std::string what = absl::StrCat(e.service(), e.instance().empty() ? "" : "/", e.instance());
  if (!e.setting().empty()) absl::StrAppend(&what, " ", e.setting());
  if (!e.before().empty() || !e.after().empty()) absl::StrAppend(&what, " ", e.before(), " -> ", e.after());
  return what;
}

void History(const ServicePageData& page, std::string* out) {
  int64_t hours = (page.to_unix_ms - page.from_unix_ms + 1800 * 1000) / (3600 * 1000);
  absl::StrAppend(out, "<section id=\"history\" aria-labelledby=\"history-h\"><h2 id=\"history-h\">History, last ",
                  hours, " hour(s)</h2>\n");
  std::vector<corral::v1::InstanceSummary> replicas;
  if (page.detail) replicas.assign(page.detail->replicas().begin(), page.detail->replicas().end());
  // The chart starts at the first event when that is later than the
  // window's start, so a service that started ten minutes ago is not drawn
  // in the last pixels of six hours.
  int64_t chart_from = page.from_unix_ms;
  if (!page.history.events().empty()) {
    chart_from = std::max(chart_from, std::min(page.history.events(0).time_unix_ms() - kChartMarginMs,
                                               page.to_unix_ms - kMinChartSpanMs));
  }
  absl::StrAppend(out, RenderWorkersChart(WorkerSeriesOf(page.history, replicas, chart_from, page.to_unix_ms),
                                          chart_from, page.to_unix_ms));
  if (page.history.events().empty()) {
    absl::StrAppend(out,
                    "<ol id=\"timeline\" class=\"timeline\"></ol><p class=\"muted\">No events in this window."
                    "</p></section>\n");
    return;
  }
  // Newest first, as a reader scans for "what just happened".
  absl::StrAppend(out, "<ol id=\"timeline\" class=\"timeline\" reversed>\n");
  int shown = 0;
  for (int i = page.history.events_size() - 1; i >= 0 && shown < kMaxTimelineEvents; --i, ++shown) {
    const corral::v1::Event& e = page.history.events(i);
    absl::StrAppend(out, "<li data-event-id=\"", e.id(), "\" data-kind=\"", Escape(e.kind()), "\">",
                    TimeElement(e.time_unix_ms()), "<span class=\"kind\">", Escape(e.kind()));
    if (!e.severity().empty() && e.kind() == "finding_opened") {
      absl::StrAppend(out, " ", Badge(absl::StrCat("s-", e.severity()), e.severity()));
    }
    absl::StrAppend(out, "</span><span>", Escape(EventText(e)), "</span></li>\n");
  }
  absl::StrAppend(out, "</ol>");
  if (page.history.truncated() || page.history.events_size() > kMaxTimelineEvents) {
    absl::StrAppend(out, "<p class=\"muted\">Older events left out: <code>corral history --service ",
                    Escape(page.service), "</code> lists them all.</p>");
  }
  absl::StrAppend(out, "</section>\n");
}

}  // namespace

std::set<std::string> InstancesThatDiffer(const corral::v1::ServiceDetail& detail) {
  std::set<std::string> out;
  for (const corral::v1::Finding& f : detail.findings()) {
    if (f.instance().empty()) continue;
    if (f.rule() == rule::kReplicasDisagree || f.rule() == rule::kStaleImage || f.rule() == rule::kConfigDrift) {
      out.insert(f.instance());
    }
  }
  return out;
}

std::string RenderServiceMain(const ServicePageData& page) {
  std::string out;
  out.reserve(16 * 1024);
  absl::StrAppend(&out, "<h1 id=\"service-name\">", Escape(page.service), "</h1>\n");
  if (page.detail) {
    const corral::v1::ServiceSummary& s = page.detail->summary();
    std::vector<std::string> configured;
    for (int64_t c : s.configured_workers()) configured.push_back(absl::StrCat(c));
    absl::StrAppend(
        &out, "<p class=\"lead\" id=\"service-summary\">", Badge(absl::StrCat("s-", s.status()), s.status()), " ",
        s.replicas_online(), "/", s.replicas_total(), " replicas online; configured workers ",
        configured.empty() ? "unknown" : absl::StrJoin(configured, ", "), "; ", s.findings(), " finding(s).</p>\n");
    Replicas(*page.detail, &out);
    Differences(*page.detail, &out);
    Findings(page.detail->findings(), &out);
  } else {
    absl::StrAppend(&out,
                    "<p class=\"lead\" id=\"service-summary\">No replica of this service has reported; "
                    "it is only declared.</p>\n");
  }
  Diagnosis(page, &out);
  Expectations(page, &out);
  History(page, &out);
  return out;
}

std::string ServicePageJson(const ServicePageData& page) {
  return absl::StrCat("{\n\"service\": ", page.detail ? ToJson(*page.detail) : "null",
                      ",\n\"diagnosis\": ", page.diagnosis ? ToJson(*page.diagnosis) : "null",
                      ",\n\"expectations\": ", ToJson(page.expectations), ",\n\"history\": ", ToJson(page.history),
                      "\n}\n");
}

}  // namespace corral::server::web
