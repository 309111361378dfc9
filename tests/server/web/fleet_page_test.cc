#include "server/web/fleet_page.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace corral::server::web {
namespace {

corral::v1::ServiceSummary* AddService(corral::v1::FleetStatus* status, const std::string& name,
                                       const std::string& health, int findings) {
  corral::v1::ServiceSummary* s = status->add_services();
  s->set_service(name);
  s->set_status(health);
  s->set_findings(findings);
  s->set_replicas_online(3);
  s->set_replicas_total(3);
  return s;
}

TEST(WorstFirst, CriticalThenDegradedThenOkByFindingsThenName) {
  corral::v1::FleetStatus status;
  AddService(&status, "zeta", "ok", 0);
  AddService(&status, "beta", "degraded", 1);
  AddService(&status, "alpha", "ok", 0);
  AddService(&status, "gamma", "critical", 1);
  AddService(&status, "delta", "degraded", 4);
  std::vector<std::string> order;
  for (const corral::v1::ServiceSummary* s : WorstFirst(status)) order.push_back(s->service());
  EXPECT_EQ(order, (std::vector<std::string>{"gamma", "delta", "beta", "alpha", "zeta"}));
}

TEST(RenderFleetMain, OneRowPerServiceWithItsNumbers) {
  corral::v1::FleetStatus status;
  status.set_generated_at_unix_ms(1796306525000);
  corral::v1::ServiceSummary* api = AddService(&status, "api-backend", "critical", 2);
  api->add_live_workers(1);
  api->add_live_workers(3);
  api->add_live_workers(-1);
  api->add_configured_workers(1);
  api->add_configured_workers(3);
  api->mutable_top_finding()->set_rule("STALE_IMAGE");
  api->mutable_top_finding()->set_severity("critical");
  api->mutable_top_finding()->set_message("api-backend-1 runs an older image");
  AddService(&status, "worker", "ok", 0);
  corral::v1::ExpectationsList expectations;
  corral::v1::ServiceExpectations* e = expectations.add_services();
  e->set_service("api-backend");
  e->add_expectations()->set_key("workers");
  e->mutable_expectations(0)->set_value("3");

  std::string html = RenderFleetMain(status, expectations, "");
  EXPECT_TRUE(absl::StrContains(html, "<tr data-service=\"api-backend\" data-status=\"critical\">")) << html;
  EXPECT_TRUE(absl::StrContains(html, "<a href=\"/service/api-backend\">api-backend</a>"));
  EXPECT_TRUE(absl::StrContains(html, "1 &middot; 3 &middot; &ndash;"));
  EXPECT_TRUE(absl::StrContains(html, "<td class=\"num\">1, 3</td><td class=\"num\">3</td>"));
  EXPECT_TRUE(absl::StrContains(html, "STALE_IMAGE</span> api-backend-1 runs an older image"));
  EXPECT_TRUE(absl::StrContains(html, "(+1 more)"));
  // The worker row has no configured count and no expectation.
  EXPECT_TRUE(absl::StrContains(html, "<td class=\"num\">unknown</td><td class=\"num\">&ndash;</td>"));
  EXPECT_LT(html.find("data-service=\"api-backend\""), html.find("data-service=\"worker\""));
  EXPECT_TRUE(absl::StrContains(html, "2 service(s): 1 critical, 0 degraded, 1 ok."));
}

TEST(RenderFleetMain, NamesAreTextNeverMarkup) {
  corral::v1::FleetStatus status;
  corral::v1::ServiceSummary* s = AddService(&status, "<script>alert(1)</script>", "degraded", 1);
  s->mutable_top_finding()->set_rule("<b>");
  s->mutable_top_finding()->set_severity("warning\"><img src=x onerror=alert(1)>");
  s->mutable_top_finding()->set_message("</td><script>x()</script>");
  s->add_namespaces("<i>ns</i>");
  std::string html = RenderFleetMain(status, {}, "");
  EXPECT_FALSE(absl::StrContains(html, "<script>")) << html;
  EXPECT_FALSE(absl::StrContains(html, "<img")) << html;
  EXPECT_FALSE(absl::StrContains(html, "<i>ns")) << html;
  EXPECT_TRUE(absl::StrContains(html, "data-service=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
  EXPECT_TRUE(absl::StrContains(html, "href=\"/service/%3Cscript%3Ealert%281%29%3C%2Fscript%3E\""));
  std::string filtered = RenderFleetMain(status, {}, "\"><script>");
  EXPECT_FALSE(absl::StrContains(filtered, "<script>")) << filtered;
  EXPECT_TRUE(absl::StrContains(filtered, "value=\"&quot;&gt;&lt;script&gt;\""));
}

TEST(RenderFleetMain, FilterKeepsMatchingNamesIgnoringCase) {
  corral::v1::FleetStatus status;
  AddService(&status, "api-backend", "ok", 0);
  AddService(&status, "billing", "ok", 0);
  std::string html = RenderFleetMain(status, {}, "API");
  EXPECT_TRUE(absl::StrContains(html, "data-service=\"api-backend\""));
  EXPECT_FALSE(absl::StrContains(html, "data-service=\"billing\""));
}

TEST(RenderFleetMain, EmptyFleetSaysHowToStart) {
  std::string html = RenderFleetMain({}, {}, "");
  EXPECT_TRUE(absl::StrContains(html, "No agent has reported yet")) << html;
  EXPECT_FALSE(absl::StrContains(html, "<table"));
}

}  // namespace
}  // namespace corral::server::web
