#include "cli/diagnosis_format.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/fleet_format.h"

namespace corral::cli {

std::string RenderExpectations(const corral::v1::ExpectationsList& list, const Style& style) {
  if (list.services().empty()) return "no expectations (set some with corral expect set or corral expect import)\n";
  std::string out;
  for (const corral::v1::ServiceExpectations& s : list.services()) {
    absl::StrAppend(&out, style.Bold(s.service()), "\n");
    if (s.expectations().empty()) {
      absl::StrAppend(&out, "  (none)\n");
      continue;
    }
    Table table({"KEY", "VALUE", "DECLARED IN", "BY", "SINCE"});
    for (const corral::v1::Expectation& e : s.expectations()) {
      table.AddRow({e.key(), e.value(), e.origin().empty() ? "corral expect set" : e.origin(), e.declared_by(),
                    e.updated_at_unix_ms() == 0
                        ? "-"
                        : absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(e.updated_at_unix_ms()),
                                           absl::LocalTimeZone())});
    }
    absl::StrAppend(&out, table.Render(2, &style));
  }
  return out;
}

std::string RenderDiagnosis(const corral::v1::Diagnosis& d, const Style& style) {
  std::string out = absl::StrCat(style.Bold(absl::StrCat("Diagnosis of ", d.service())), "\n", d.summary(), "\n");
  if (d.expectations().expectations().empty()) {
    absl::StrAppend(&out, style.Dim("(nothing is expected of this service: corral expect import docker-compose.yml)"),
                    "\n");
  }
  int n = 0;
  for (const corral::v1::Hypothesis& h : d.hypotheses()) {
    absl::StrAppend(&out, "\n", ++n, ". ", style.Bold(h.title()), "  ", Colored(h.verdict(), style));
    if (!h.instances().empty()) absl::StrAppend(&out, "  (", absl::StrJoin(h.instances(), ", "), ")");
    absl::StrAppend(&out, "\n");
    for (const std::string& e : h.evidence()) absl::StrAppend(&out, "   - ", e, "\n");
    if (!h.what_would_tell().empty()) absl::StrAppend(&out, "   would tell: ", h.what_would_tell(), "\n");
    if (!h.fix().empty()) absl::StrAppend(&out, "   ", style.Bold("fix:"), " ", h.fix(), "\n");
  }
  return out;
}

std::string RenderEvent(const corral::v1::Event& e, absl::TimeZone zone, const Style& style) {
  std::string time = absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(e.time_unix_ms()), zone);
  std::string kind = e.kind();
  if (!e.severity().empty() && e.kind() == "finding_opened")
    kind = absl::StrCat(kind, " ", Colored(e.severity(), style));
  std::string what = e.message();
  if (what.empty()) {
    what = absl::StrCat(e.service(), e.instance().empty() ? "" : "/", e.instance(), " ", e.setting(), " ", e.before(),
                        " -> ", e.after());
  }
  // A pod's events read "namespace/service/pod ..." as `corral status`
  // names the service; messages that do not start with the service say
  // the namespace at the end.
  if (!e.namespace_().empty()) {
    what = absl::StartsWith(what, absl::StrCat(e.service(), "/"))
               ? absl::StrCat(e.namespace_(), "/", what)
               : absl::StrCat(what, " (namespace ", e.namespace_(), ")");
  }
  return absl::StrCat(style.Dim(time), "  ", kind, "  ", what, "\n");
}

std::string RenderHistory(const corral::v1::HistoryResponse& history, absl::TimeZone zone, const Style& style) {
  std::string out;
  if (history.truncated()) {
    absl::StrAppend(&out, style.Dim("(older events left out: raise --limit or narrow --since)"), "\n");
  }
  for (const corral::v1::Event& e : history.events()) absl::StrAppend(&out, RenderEvent(e, zone, style));
  if (history.events().empty()) out += "no events\n";
  return out;
}

}  // namespace corral::cli
