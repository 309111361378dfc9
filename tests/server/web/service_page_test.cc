#include "server/web/service_page.h"

#include "absl/strings/match.h"
#include "common/json_reader.h"
#include "gtest/gtest.h"

namespace corral::server::web {
namespace {

// The seed incident: api-backend-1 runs the stale image's command.
ServicePageData IncidentPage() {
  ServicePageData page;
  page.service = "api-backend";
  corral::v1::ServiceDetail& d = page.detail.emplace();
  d.mutable_summary()->set_service("api-backend");
  d.mutable_summary()->set_status("critical");
  d.mutable_summary()->set_replicas_online(3);
  d.mutable_summary()->set_replicas_total(3);
  for (const char* name : {"api-backend-1", "api-backend-2", "api-backend-3"}) {
    corral::v1::InstanceSummary* r = d.add_replicas();
    r->set_service("api-backend");
    r->set_instance(name);
    r->set_state("online");
    bool stale = std::string(name) == "api-backend-1";
    r->set_live_workers(stale ? 1 : 3);
    r->set_configured_workers(stale ? 1 : 3);
    r->set_workers_source("cmdline");
    r->set_app_uri(stale ? "app:app" : "wsgi:application");
    r->set_gunicorn_version("20.1.0");
    r->set_masters(1);
    r->set_master_age_seconds(3600);
    r->set_last_report_unix_ms(1796306525000);
  }
  corral::v1::SettingComparison* c = d.add_differing_settings();
  c->set_setting("workers");
  for (auto [name, value] : {std::pair{"api-backend-1", "1"}, {"api-backend-2", "3"}, {"api-backend-3", "3"}}) {
    corral::v1::ReplicaValue* v = c->add_values();
    v->set_instance(name);
    v->set_value(value);
    v->set_source("cmdline");
  }
  corral::v1::Finding* f = d.add_findings();
  f->set_rule("REPLICAS_DISAGREE");
  f->set_severity("critical");
  f->set_instance("api-backend-1");
  f->set_message("api-backend-1 differs from the other replicas in workers, app_uri");
  corral::v1::Diagnosis& diagnosis = page.diagnosis.emplace();
  diagnosis.set_service("api-backend");
  diagnosis.set_summary("Confirmed: stale Docker image on api-backend-1");
  corral::v1::Hypothesis* h = diagnosis.add_hypotheses();
  h->set_id("permissions");
  h->set_title("Permissions");
  h->set_verdict("ruled_out");
  h = diagnosis.add_hypotheses();
  h->set_id("stale_image");
  h->set_title("A stale Docker image");
  h->set_verdict("confirmed");
  h->add_evidence("api-backend-1 runs `gunicorn --workers 1 --reload app:app`");
  h->set_fix("rebuild the image: docker compose build api-backend");
  corral::v1::ServiceExpectations* e = page.expectations.add_services();
  e->set_service("api-backend");
  corral::v1::Expectation* x = e->add_expectations();
  x->set_key("workers");
  x->set_value("3");
  x->set_origin("docker-compose.yml:12");
  x->set_declared_by("compose");
  corral::v1::Event* event = page.history.add_events();
  event->set_id(41);
  event->set_time_unix_ms(1796306400000);
  event->set_kind("workers_changed");
  event->set_service("api-backend");
  event->set_instance("api-backend-1");
  event->set_before("3");
  event->set_after("1");
  event->set_message("api-backend/api-backend-1: live workers 3 -> 1");
  page.from_unix_ms = 1796306525000 - 6 * 3600 * 1000;
  page.to_unix_ms = 1796306525000;
  return page;
}

TEST(InstancesThatDiffer, AreTheOnesFindingsSingleOut) {
  ServicePageData page = IncidentPage();
  EXPECT_EQ(InstancesThatDiffer(*page.detail), (std::set<std::string>{"api-backend-1"}));
  corral::v1::Finding* f = page.detail->add_findings();
  f->set_rule("WORKERS_BELOW_CONFIG");
  f->set_instance("api-backend-3");
  EXPECT_EQ(InstancesThatDiffer(*page.detail), (std::set<std::string>{"api-backend-1"}));
}

TEST(RenderServiceMain, MarksTheStaleReplicaAndShowsEverySection) {
  std::string html = RenderServiceMain(IncidentPage());
  EXPECT_TRUE(absl::StrContains(html, "<tr data-instance=\"api-backend-1\" class=\"differs\">")) << html;
  EXPECT_TRUE(absl::StrContains(html, "<tr data-instance=\"api-backend-2\">"));
  for (const char* section : {"replicas", "differences", "findings", "diagnosis", "expectations", "history"}) {
    EXPECT_TRUE(absl::StrContains(html, absl::StrCat("<section id=\"", section, "\""))) << section;
  }
  EXPECT_TRUE(absl::StrContains(html,
                                "<tr data-setting=\"workers\"><th scope=\"row\">workers</th><td><span "
                                "class=\"value\">1</span> <span class=\"src\">cmdline</span></td>"))
      << html;
  EXPECT_TRUE(absl::StrContains(html,
                                "<p id=\"diagnosis-summary\" class=\"summary confirmed\">Confirmed: stale "
                                "Docker image on api-backend-1</p>"));
  EXPECT_TRUE(absl::StrContains(html, "<li data-hypothesis=\"stale_image\" data-verdict=\"confirmed\">"));
  EXPECT_TRUE(absl::StrContains(html, "<strong>Fix:</strong> rebuild the image"));
  EXPECT_LT(html.find("data-hypothesis=\"stale_image\""), html.find("data-hypothesis=\"permissions\""));
  EXPECT_TRUE(absl::StrContains(html, "<td>docker-compose.yml:12</td><td>compose</td>"));
  EXPECT_TRUE(absl::StrContains(html, "<li data-event-id=\"41\" data-kind=\"workers_changed\">"));
  EXPECT_TRUE(absl::StrContains(html, "<svg id=\"workers-chart\""));
  // The only event is two minutes old: the chart spans the last ten
  // minutes, not the six hours of the window.
  EXPECT_TRUE(absl::StrContains(html, "Live workers per replica, 13:52 to 14:02 UTC")) << html;
  EXPECT_TRUE(absl::StrContains(html, "History, last 6 hour(s)"));
}

TEST(RenderServiceMain, ADeclaredServiceWithoutReplicasStillShowsItsDiagnosis) {
  ServicePageData page = IncidentPage();
  page.detail.reset();
  std::string html = RenderServiceMain(page);
  EXPECT_TRUE(absl::StrContains(html, "No replica of this service has reported")) << html;
  EXPECT_FALSE(absl::StrContains(html, "<section id=\"replicas\""));
  EXPECT_TRUE(absl::StrContains(html, "<section id=\"diagnosis\""));
}

TEST(RenderServiceMain, EveryNameAndMessageIsEscaped) {
  ServicePageData page = IncidentPage();
  page.service = "<script>alert(1)</script>";
  page.detail->mutable_replicas(0)->set_instance("<img src=x onerror=alert(2)>");
  page.detail->mutable_replicas(0)->set_app_uri("<b>app</b>");
  page.detail->mutable_differing_settings(0)->set_setting("<svg onload=alert(3)>");
  page.detail->mutable_findings(0)->set_message("<script>alert(4)</script>");
  page.diagnosis->set_summary("<script>alert(5)</script>");
  page.history.mutable_events(0)->set_message("<iframe>");
  std::string html = RenderServiceMain(page);
  for (const char* raw : {"<script", "<img", "<b>app", "<svg onload", "<iframe"}) {
    EXPECT_FALSE(absl::StrContains(html, raw)) << raw << "\n" << html;
  }
  EXPECT_TRUE(absl::StrContains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
}

TEST(ServicePageJson, IsTheCliMessagesUnderFourKeys) {
  ServicePageData page = IncidentPage();
  absl::StatusOr<Json> json = ParseJson(ServicePageJson(page));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->Find("service")->Find("summary")->Find("status")->text, "critical");
  EXPECT_EQ(json->Find("diagnosis")->Find("summary")->text, "Confirmed: stale Docker image on api-backend-1");
  EXPECT_EQ(json->Find("expectations")->Find("services")->items.size(), 1u);
  EXPECT_EQ(json->Find("history")->Find("events")->items.size(), 1u);
  page.detail.reset();
  json = ParseJson(ServicePageJson(page));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_TRUE(json->Find("service")->is_null());
}

}  // namespace
}  // namespace corral::server::web
