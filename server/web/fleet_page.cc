#include "server/web/fleet_page.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/web/html.h"

namespace corral::server::web {
namespace {

int Badness(const std::string& status) {
  if (status == "critical") return 0;
  if (status == "degraded") return 1;
  if (status == "ok") return 3;
  return 2;  // anything a newer server adds
}

// "3", "min 2", or "" when nothing is expected of the worker count.
std::string ExpectedWorkers(const corral::v1::ServiceExpectations& expected) {
  std::string exact, minimum;
  for (const corral::v1::Expectation& e : expected.expectations()) {
    if (e.key() == "workers") exact = e.value();
    if (e.key() == "min_workers") minimum = e.value();
  }
  if (!exact.empty()) return exact;
  if (!minimum.empty()) return absl::StrCat("min ", minimum);
  return "";
}

std::string LiveWorkersCell(const corral::v1::ServiceSummary& s) {
  std::vector<std::string> parts;
  for (int n : s.live_workers()) parts.push_back(n < 0 ? "&ndash;" : absl::StrCat(n));
  return parts.empty() ? "&ndash;" : absl::StrJoin(parts, " &middot; ");
}

}  // namespace

std::vector<const corral::v1::ServiceSummary*> WorstFirst(const corral::v1::FleetStatus& status) {
  std::vector<const corral::v1::ServiceSummary*> order;
  order.reserve(status.services_size());
  for (const corral::v1::ServiceSummary& s : status.services()) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    int ba = Badness(a->status()), bb = Badness(b->status());
    if (ba != bb) return ba < bb;
    if (a->findings() != b->findings()) return a->findings() > b->findings();
    return a->service() < b->service();
  });
  return order;
}

std::string RenderFleetMain(const corral::v1::FleetStatus& status, const corral::v1::ExpectationsList& expectations,
                            const std::string& filter) {
  std::map<std::string, std::string> expected;
  for (const corral::v1::ServiceExpectations& e : expectations.services()) expected[e.service()] = ExpectedWorkers(e);
  int counts[4] = {0, 0, 0, 0};
  for (const corral::v1::ServiceSummary& s : status.services()) ++counts[Badness(s.status())];

  std::string out;
  out.reserve(512 + status.services_size() * 400);
  absl::StrAppend(&out, "<h1>Fleet</h1>\n<p class=\"lead\" id=\"fleet-summary\">", status.services_size(),
                  " service(s): ", counts[0], " critical, ", counts[1], " degraded, ", counts[3], " ok. As of ",
                  TimeElement(status.generated_at_unix_ms(), /*with_date=*/true), ".</p>\n",
                  "<form method=\"get\" action=\"/\" role=\"search\"><label class=\"filter\" for=\"filter\">Filter "
                  "services <input type=\"search\" id=\"filter\" name=\"q\" value=\"",
                  Escape(filter), "\" placeholder=\"name contains\" autocomplete=\"off\"></label></form>\n");
  if (status.services().empty()) {
    absl::StrAppend(&out,
                    "<p id=\"empty\">No agent has reported yet. Start <code>corral-agent --server HOST:PORT</code> "
                    "beside a Gunicorn, or import what a repository declares with <code>corral expect "
                    "import</code>.</p>\n");
    return out;
  }
  absl::StrAppend(&out,
                  "<div class=\"scroll\"><table id=\"fleet\"><caption class=\"muted\">Services, worst first</caption>"
                  "<thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Status</th>"
                  "<th scope=\"col\" class=\"num\">Replicas</th><th scope=\"col\">Live workers</th>"
                  "<th scope=\"col\" class=\"num\">Configured</th><th scope=\"col\" class=\"num\">Expected</th>"
                  "<th scope=\"col\" class=\"wide\">Top finding</th></tr></thead>\n<tbody>\n");
  for (const corral::v1::ServiceSummary* s : WorstFirst(status)) {
    if (!filter.empty() && !ContainsIgnoringCase(s->service(), filter)) continue;
    std::vector<std::string> configured;
    for (int64_t c : s->configured_workers()) configured.push_back(absl::StrCat(c));
    std::string expected_text = expected.count(s->service()) ? expected[s->service()] : "";
    std::string name = Escape(s->service());
    absl::StrAppend(&out, "<tr data-service=\"", name, "\" data-status=\"", Escape(s->status()), "\">",
                    "<td class=\"name\"><a href=\"/service/", PathSegment(s->service()), "\">", name, "</a>");
    if (!s->namespaces().empty()) {
      std::vector<std::string> namespaces;
      for (const std::string& n : s->namespaces()) namespaces.push_back(Escape(n));
      absl::StrAppend(&out, " <span class=\"src\">", absl::StrJoin(namespaces, ", "), "</span>");
    }
    absl::StrAppend(&out, "</td><td><span class=\"badge s-", Escape(s->status()), "\">", Escape(s->status()),
                    "</span></td><td class=\"num\">", s->replicas_online(), "/", s->replicas_total(), "</td><td>",
                    LiveWorkersCell(*s), "</td><td class=\"num\">",
                    configured.empty() ? "unknown" : absl::StrJoin(configured, ", "), "</td><td class=\"num\">",
                    expected_text.empty() ? "&ndash;" : Escape(expected_text), "</td><td class=\"wide\">");
    if (s->has_top_finding() && !s->top_finding().rule().empty()) {
      const corral::v1::Finding& f = s->top_finding();
      absl::StrAppend(&out, "<span class=\"badge s-", Escape(f.severity()), "\">", Escape(f.rule()), "</span> ",
                      Escape(f.message()));
      if (s->findings() > 1) absl::StrAppend(&out, " <span class=\"muted\">(+", s->findings() - 1, " more)</span>");
    }
    absl::StrAppend(&out, "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody></table></div>\n");
  return out;
}

}  // namespace corral::server::web
