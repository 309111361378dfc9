// corral-server's /metrics under a real Prometheus: the fleet with the
// incident's stale replica, the alert rules from docker/prometheus, and the
// workers-below-expected alert firing for that replica and no other. The
// server requires a token; Prometheus sends it from a credentials file.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::Container;
using corral::testing::Corral;
using corral::testing::RunCommand;
using corral::testing::ServerProcess;
using corral::testing::WaitFor;

std::string Get(const std::string& url, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"curl", "-sf", "--max-time", "5", url};
  argv.insert(argv.end(), extra.begin(), extra.end());
  corral::testing::RunResult r = RunCommand(argv);
  return r.exit_code == 0 ? r.out : "";
}

// (alertname, service/instance, state) of every alert Prometheus holds.
std::vector<std::string> Alerts(const std::string& prometheus) {
  google::protobuf::Struct body;
  if (!google::protobuf::util::JsonStringToMessage(Get(prometheus + "/api/v1/alerts"), &body).ok()) return {};
  std::vector<std::string> out;
  for (const auto& alert : body.fields().at("data").struct_value().fields().at("alerts").list_value().values()) {
    const auto& f = alert.struct_value().fields();
    const auto& labels = f.at("labels").struct_value().fields();
    out.push_back(absl::StrCat(labels.at("alertname").string_value(), " ", labels.at("service").string_value(), "/",
                               labels.at("instance").string_value(), " ", f.at("state").string_value()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PrometheusE2E, WorkersBelowExpectedFiresForTheStaleReplicaOnly) {
  std::string dir = corral::testing::MakeTempDir("prometheus");
  std::string token_file = dir + "/token";
  corral::testing::WriteFile(token_file, "prometheus-s3cret\n");
  auto server = ServerProcess::Start(dir, {"--agent-interval", "500ms", "--token-file", token_file});
  ASSERT_FALSE(server->http_address().empty());
  std::vector<std::unique_ptr<Container>> fleet =
      corral::testing::StartIncidentFleet(dir, *server, {"--token-file", token_file});
  ASSERT_EQ(fleet.size(), 3u);
  ASSERT_EQ(
      Corral({"expect", "set", "api-backend", "workers=3", "--token-file", token_file}, server->address()).exit_code,
      0);

  std::string metrics_url = "http://" + server->http_address() + "/metrics";
  auto Get = [&](const std::string& url) {
    return corral::Get(url, {"-H", "Authorization: Bearer prometheus-s3cret"});
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(Get(metrics_url),
                                 "corral_instance_live_workers{service=\"api-backend\",instance=\"replica-1\"} 3\n");
      },
      absl::Seconds(10)))
      << Get(metrics_url);
  EXPECT_EQ(Get("http://" + server->http_address() + "/healthz"), "ok\n");
  // The images' HEALTHCHECK: corral health asks the gRPC health service.
  corral::testing::RunResult health = Corral({"health", "--token-file", token_file}, server->address());
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, "corral-server at " + server->address() + " is serving\n");
  corral::testing::RunResult nobody =
      Corral({"health", "--timeout", "500ms"}, absl::StrCat("127.0.0.1:", corral::testing::FreePort()));
  EXPECT_EQ(nobody.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(nobody.err, "cannot reach corral-server at 127.0.0.1:")) << nobody.err;
  // promtool lints the real exposition.
  corral::testing::RunResult lint = RunCommand(
      {"sh", "-c",
       "curl -sf -H 'Authorization: Bearer prometheus-s3cret' '" + metrics_url + "' | promtool check metrics"});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "");

  int port = corral::testing::FreePort();
  std::string prometheus = absl::StrCat("http://127.0.0.1:", port);
  corral::testing::WriteFile(
      dir + "/prometheus.yml",
      absl::StrCat("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                   "rule_files:\n  - ",
                   corral::testing::SourceDir(),
                   "/docker/prometheus/alerts.yml\n"
                   "scrape_configs:\n  - job_name: corral\n    honor_labels: true\n"
                   "    authorization:\n      credentials_file: ",
                   token_file, "\n    static_configs:\n      - targets: [\"", server->http_address(),
                   "\"]\n"
                   // The same target without the token: refused.
                   "  - job_name: anonymous\n    static_configs:\n      - targets: [\"",
                   server->http_address(), "\"]\n"));
  auto prom = corral::testing::Process::Start(
      {"prometheus", "--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/tsdb",
       absl::StrCat("--web.listen-address=127.0.0.1:", port)},
      {}, dir + "/prometheus.log");
  ASSERT_TRUE(WaitFor([&] { return !Get(prometheus + "/-/ready").empty(); }, absl::Seconds(30))) << prom->Log();

  // The rule waits 15 s before firing.
  std::vector<std::string> alerts;
  ASSERT_TRUE(WaitFor(
      [&] {
        alerts = Alerts(prometheus);
        return std::find(alerts.begin(), alerts.end(), "CorralWorkersBelowExpected api-backend/replica-3 firing") !=
               alerts.end();
      },
      absl::Seconds(60)))
      << ::testing::PrintToString(alerts) << "\n"
      << prom->Log();
  // Only the stale replica, neither firing nor pending for the others. (The
  // test's containers share the machine's cgroup, so memory alerts depend on
  // the machine and are not judged here.)
  std::vector<std::string> workers;
  for (const std::string& a : alerts) {
    if (absl::StartsWith(a, "CorralWorkersBelowExpected ")) workers.push_back(a);
  }
  EXPECT_EQ(workers, std::vector<std::string>{"CorralWorkersBelowExpected api-backend/replica-3 firing"});
  // The scrape without the token was refused.
  std::string targets = corral::Get(prometheus + "/api/v1/targets");
  EXPECT_TRUE(absl::StrContains(targets, "server returned HTTP status 401 Unauthorized")) << targets;
  // The series Prometheus stored carry Corral's instance label, not the target's.
  std::string query = Get(prometheus + "/api/v1/query?query=corral_instance_live_workers");
  EXPECT_TRUE(absl::StrContains(query, "\"instance\":\"replica-1\"")) << query;
  EXPECT_TRUE(absl::StrContains(query, "\"instance\":\"replica-3\"")) << query;
}

}  // namespace
}  // namespace corral
