#include "server/metrics.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/fleet_view.h"
#include "server/rules.h"
#include "tests/support/snapshot_builder.h"

namespace corral::server {
namespace {

using corral::testing::MakeView;
using corral::testing::SnapshotBuilder;

const absl::Time kNow = absl::FromUnixSeconds(7000);

EvaluatedService Evaluated(const std::string& name, std::vector<InstanceView> views,
                           std::shared_ptr<const Expectations> expected = nullptr) {
  ServiceEvaluation e = EvaluateService(name, views, kNow, expected ? *expected : Expectations());
  EvaluatedService s;
  s.name = name;
  s.summary = Summarize(name, views, e);
  s.findings = e.findings;
  s.views = std::move(views);
  s.expected = std::move(expected);
  return s;
}

std::shared_ptr<const Expectations> ExpectWorkers(const std::string& n) {
  corral::v1::ServiceExpectations s;
  s.set_service("api");
  corral::v1::Expectation* e = s.add_expectations();
  e->set_key("workers");
  e->set_value(n);
  return std::make_shared<const Expectations>(s);
}

TEST(Metrics, EveryFamilyHasHelpAndTypeAndOneSamplePerInstance) {
  SnapshotBuilder good("api", "r1"), stale("api", "r3");
  good.Master(10, 3, 3).Cgroup(int64_t{1610612736}, int64_t{2} << 30).Heartbeat(0.5);
  stale.Master(30, 1, 1).Churn(2.5, 300);
  std::vector<EvaluatedService> services = {Evaluated(
      "api", {MakeView(good, kNow - absl::Seconds(2)), MakeView(stale, kNow - absl::Seconds(1))}, ExpectWorkers("3"))};
  std::string text = RenderMetrics(services, {42, 3}, kNow);
  for (const char* line : {
           "# TYPE corral_instance_live_workers gauge\n",
           "corral_instance_live_workers{service=\"api\",instance=\"r1\"} 3\n",
           "corral_instance_live_workers{service=\"api\",instance=\"r3\"} 1\n",
           "corral_instance_expected_workers{service=\"api\",instance=\"r3\"} 3\n",
           "corral_instance_configured_workers{service=\"api\",instance=\"r3\"} 1\n",
           "corral_instance_up{service=\"api\",instance=\"r1\"} 1\n",
           "corral_instance_memory_bytes{service=\"api\",instance=\"r1\"} 1610612736\n",
           "corral_instance_memory_limit_bytes{service=\"api\",instance=\"r1\"} 2147483648\n",
           "corral_instance_oldest_heartbeat_seconds{service=\"api\",instance=\"r1\"} 0.5\n",
           "corral_instance_worker_restarts_per_minute{service=\"api\",instance=\"r3\"} 2.5\n",
           "corral_instance_last_report_age_seconds{service=\"api\",instance=\"r1\"} 2\n",
           "corral_service_status{service=\"api\"} 2\n",
           "corral_service_replicas{service=\"api\",state=\"online\"} 2\n",
           "corral_service_findings{service=\"api\",rule=\"WORKERS_BELOW_EXPECTED\",severity=\"critical\"} 1\n",
           "# TYPE corral_server_reports_total counter\ncorral_server_reports_total 42\n",
           "corral_server_rejected_reports_total 3\n",
       }) {
    EXPECT_TRUE(absl::StrContains(text, line)) << line << "\nin:\n" << text;
  }
  // Unknown values are absent, never zero.
  EXPECT_FALSE(absl::StrContains(text, "corral_instance_memory_bytes{service=\"api\",instance=\"r3\"}"));
  EXPECT_FALSE(absl::StrContains(text, "corral_instance_oldest_heartbeat_seconds{service=\"api\",instance=\"r3\"}"));
  // Every sample's family was announced before it.
  EXPECT_LT(text.find("# TYPE corral_instance_up gauge"), text.find("corral_instance_up{"));
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  SnapshotBuilder odd("api", "we\"ird\\name");
  odd.Master(10, 1, 1);
  std::string text = RenderMetrics({Evaluated("api", {MakeView(odd, kNow)})}, {}, kNow);
  EXPECT_TRUE(absl::StrContains(text, "corral_instance_up{service=\"api\",instance=\"we\\\"ird\\\\name\"} 1\n"))
      << text;
}

TEST(Metrics, AnOfflineInstanceIsDown) {
  SnapshotBuilder gone("api", "r1");
  gone.Master(10, 3, 3);
  std::string text =
      RenderMetrics({Evaluated("api", {MakeView(gone, kNow - absl::Minutes(1), InstanceState::kOffline)})}, {}, kNow);
  EXPECT_TRUE(absl::StrContains(text, "corral_instance_up{service=\"api\",instance=\"r1\"} 0\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "corral_service_replicas{service=\"api\",state=\"offline\"} 1\n")) << text;
}

}  // namespace
}  // namespace corral::server

namespace corral::server {
namespace {

TEST(Metrics, GunicornsRequestMetricsAreASummaryAndCounters) {
  corral::v1::RequestStats r;
  r.set_window_seconds(60);
  r.set_requests_per_second(12.5);
  r.set_latency_p50_ms(20);
  r.set_latency_p95_ms(40);
  r.set_latency_p99_ms(80);
  r.set_requests_total(750);
  r.set_request_duration_seconds_total(18.75);
  (*r.mutable_responses_total())["200"] = 700;
  (*r.mutable_responses_total())["502"] = 50;
  SnapshotBuilder b("api", "r1");
  b.Master(10, 2, 2).Requests(r);
  InstanceView v = MakeView(b, kNow);
  std::string text = RenderMetrics({Evaluated("api", {v})}, {}, kNow);
  for (const char* line : {
           "# TYPE corral_instance_request_duration_seconds summary\n",
           "corral_instance_request_duration_seconds{service=\"api\",instance=\"r1\",quantile=\"0.99\"} 0.08\n",
           "corral_instance_request_duration_seconds_sum{service=\"api\",instance=\"r1\"} 18.75\n",
           "corral_instance_request_duration_seconds_count{service=\"api\",instance=\"r1\"} 750\n",
           "corral_instance_responses_total{service=\"api\",instance=\"r1\",status=\"502\"} 50\n",
           "corral_instance_requests_per_second{service=\"api\",instance=\"r1\"} 12.5\n",
       }) {
    EXPECT_TRUE(absl::StrContains(text, line)) << line << "\nin:\n" << text;
  }
}

}  // namespace
}  // namespace corral::server
