#include "cli/fleet_format.h"

#include <sstream>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/fleet_commands.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace corral::cli {
namespace {

corral::v1::FleetStatus Status() {
  corral::v1::FleetStatus status;
  corral::v1::ServiceSummary* api = status.add_services();
  api->set_service("api-backend");
  api->set_replicas_online(3);
  api->set_replicas_total(3);
  for (int n : {3, 3, 1}) api->add_live_workers(n);
  for (int64_t n : {1, 3}) api->add_configured_workers(n);
  api->set_status("critical");
  api->mutable_top_finding()->set_rule("REPLICAS_DISAGREE");
  api->mutable_top_finding()->set_message("api-backend/replica-3 differs");
  corral::v1::ServiceSummary* billing = status.add_services();
  billing->set_service("billing");
  billing->set_replicas_online(0);
  billing->set_replicas_total(1);
  billing->add_live_workers(-1);
  billing->set_status("critical");
  return status;
}

TEST(RenderFleetStatus, AlignedRowsPerService) {
  EXPECT_EQ(
      RenderFleetStatus(Status(), Style(false)),
      "SERVICE      REPLICAS  LIVE WORKERS  CONFIGURED  STATUS    TOP FINDING\n"
      "api-backend  3/3       3,3,1         1,3         critical  REPLICAS_DISAGREE: api-backend/replica-3 differs\n"
      "billing      0/1       -             unknown     critical  -\n");
  EXPECT_EQ(RenderFleetStatus(corral::v1::FleetStatus(), Style(false)), "No instance has reported yet.\n");
}

TEST(RenderFleetStatus, ColourOnlyWhenAsked) {
  EXPECT_NE(RenderFleetStatus(Status(), Style(true)).find("\033[31mcritical\033[0m"), std::string::npos);
  EXPECT_EQ(RenderFleetStatus(Status(), Style(false)).find("\033["), std::string::npos);
}

corral::v1::InstanceSummary Replica(const std::string& instance, int live, const std::string& version) {
  corral::v1::InstanceSummary r;
  r.set_service("api");
  r.set_instance(instance);
  r.set_hostname("host-" + instance);
  r.set_state("online");
  r.set_masters(1);
  r.set_live_workers(live);
  r.set_configured_workers(live);
  r.set_workers_source("cmdline");
  r.set_app_uri("wsgi:application");
  r.set_master_age_seconds(120);
  r.set_last_report_age_seconds(1);
  r.set_interval_ms(5000);
  r.set_agent_version("0.9.0");
  r.set_gunicorn_version(version);
  return r;
}

TEST(RenderServiceDetail, ShowsEachReplicasGunicornReleaseAndTheDifference) {
  corral::v1::ServiceDetail detail;
  detail.mutable_summary()->set_service("api");
  detail.mutable_summary()->set_status("critical");
  detail.mutable_summary()->set_replicas_online(3);
  detail.mutable_summary()->set_replicas_total(3);
  *detail.add_replicas() = Replica("r1", 3, "23.0.0");
  *detail.add_replicas() = Replica("r2", 3, "20.1.0");
  *detail.add_replicas() = Replica("r3", 3, "");
  corral::v1::SettingComparison* c = detail.add_differing_settings();
  c->set_setting("gunicorn_version");
  for (const auto& [instance, version, source] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"r1", "23.0.0", "/venv/gunicorn/__init__.py"},
                                                                      {"r2", "20.1.0", "/usr/gunicorn/__init__.py"},
                                                                      {"r3", "", "unknown"}}) {
    corral::v1::ReplicaValue* v = c->add_values();
    v->set_instance(instance);
    v->set_value(version);
    v->set_source(source);
  }
  EXPECT_EQ(RenderServiceDetail(detail, Style(false)),
            "api  critical  3/3 replicas online\n"
            "\n"
            "INSTANCE  STATE   LIVE  CONFIGURED   APP               GUNICORN  MASTER UP  RESTARTS  LAST REPORT\n"
            "r1        online  3     3 (cmdline)  wsgi:application  23.0.0    2m00s      0         1s ago\n"
            "r2        online  3     3 (cmdline)  wsgi:application  20.1.0    2m00s      0         1s ago\n"
            "r3        online  3     3 (cmdline)  wsgi:application  ?         2m00s      0         1s ago\n"
            "\n"
            "Settings that differ between replicas:\n"
            "SETTING           r1                                   r2                                  r3\n"
            "gunicorn_version  23.0.0 (/venv/gunicorn/__init__.py)  20.1.0 (/usr/gunicorn/__init__.py)  - (unknown)\n");
}

TEST(RenderInstances, HasAGunicornColumn) {
  corral::v1::InstanceList list;
  *list.add_instances() = Replica("r1", 3, "26.2.2");
  *list.add_instances() = Replica("r2", 1, "");
  corral::v1::InstanceSummary* erased = list.add_instances();
  *erased = Replica("r3", 2, "");
  erased->clear_configured_workers();
  EXPECT_EQ(RenderInstances(list, Style(false)),
            "SERVICE  INSTANCE  STATE   LIVE  CONFIGURED  GUNICORN  LAST REPORT  INTERVAL  HOST     AGENT\n"
            "api      r1        online  3     3           26.2.2    1s ago       5s        host-r1  0.9.0\n"
            "api      r2        online  1     1           ?         1s ago       5s        host-r2  0.9.0\n"
            "api      r3        online  2     unknown     ?         1s ago       5s        host-r3  0.9.0\n");
}

TEST(RenderFleetStatus, AKubernetesServiceReadsNamespaceSlashService) {
  corral::v1::FleetStatus status = Status();
  status.mutable_services(0)->add_namespaces("prod");
  status.mutable_services(1)->add_namespaces("prod");
  status.mutable_services(1)->add_namespaces("staging");
  EXPECT_EQ(
      RenderFleetStatus(status, Style(false)),
      "SERVICE               REPLICAS  LIVE WORKERS  CONFIGURED  STATUS    TOP FINDING\n"
      "prod/api-backend      3/3       3,3,1         1,3         critical  REPLICAS_DISAGREE: api-backend/replica-3 "
      "differs\n"
      "prod,staging/billing  0/1       -             unknown     critical  -\n");
}

corral::v1::InstanceSummary Pod(const std::string& ns, const std::string& pod, const std::string& node) {
  corral::v1::InstanceSummary r = Replica(pod, 2, "23.0.0");
  r.set_namespace_(ns);
  r.set_node(node);
  return r;
}

TEST(RenderServiceDetail, PodsOfOneNamespaceUnderItsNameAndOfSeveralWithTheirs) {
  corral::v1::ServiceDetail detail;
  detail.mutable_summary()->set_service("api");
  detail.mutable_summary()->set_status("ok");
  detail.mutable_summary()->set_replicas_online(2);
  detail.mutable_summary()->set_replicas_total(2);
  detail.mutable_summary()->add_namespaces("prod");
  *detail.add_replicas() = Pod("prod", "api-7d9f8b6c5d-q4w7z", "node-1");
  *detail.add_replicas() = Pod("prod", "api-7d9f8b6c5d-x2x9k", "node-2");
  EXPECT_EQ(
      RenderServiceDetail(detail, Style(false)),
      "prod/api  ok  2/2 replicas online\n"
      "\n"
      "INSTANCE              STATE   LIVE  CONFIGURED   APP               GUNICORN  MASTER UP  RESTARTS  LAST "
      "REPORT\n"
      "api-7d9f8b6c5d-q4w7z  online  2     2 (cmdline)  wsgi:application  23.0.0    2m00s      0         1s ago\n"
      "api-7d9f8b6c5d-x2x9k  online  2     2 (cmdline)  wsgi:application  23.0.0    2m00s      0         1s ago\n");

  detail.mutable_summary()->add_namespaces("staging");
  detail.mutable_replicas(1)->set_namespace_("staging");
  std::string two = RenderServiceDetail(detail, Style(false));
  EXPECT_NE(two.find("prod,staging/api  ok"), std::string::npos) << two;
  EXPECT_NE(two.find("\nprod/api-7d9f8b6c5d-q4w7z     online"), std::string::npos) << two;
  EXPECT_NE(two.find("\nstaging/api-7d9f8b6c5d-x2x9k  online"), std::string::npos) << two;
}

TEST(RenderInstances, PodsShowTheirNamespaceAndNode) {
  corral::v1::InstanceList list;
  *list.add_instances() = Pod("prod", "api-7d9f8b6c5d-x2x9k", "node-1");
  *list.add_instances() = Replica("r1", 3, "26.2.2");
  EXPECT_EQ(RenderInstances(list, Style(false)),
            "SERVICE   INSTANCE              STATE   LIVE  CONFIGURED  GUNICORN  LAST REPORT  INTERVAL  HOST     "
            "AGENT\n"
            "prod/api  api-7d9f8b6c5d-x2x9k  online  2     2           23.0.0    1s ago       5s        node-1   "
            "0.9.0\n"
            "api       r1                    online  3     3           26.2.2    1s ago       5s        host-r1  "
            "0.9.0\n");
}

TEST(RenderCheck, SummaryCountsAgainstFailOn) {
  corral::v1::CheckResponse check;
  check.add_services("api");
  corral::v1::Finding* f = check.add_findings();
  f->set_rule("DEV_SETTING");
  f->set_severity("warning");
  f->set_message("api/r1: development settings in use: reload=true (cmdline)");
  EXPECT_EQ(RenderCheck(check, "critical", Style(false)),
            "SEVERITY  RULE         FINDING\n"
            "warning   DEV_SETTING  api/r1: development settings in use: reload=true (cmdline)\n"
            "consistent: no finding at or above critical in 1 service(s) (1 below)\n");
  EXPECT_NE(RenderCheck(check, "warning", Style(false)).find("1 finding(s) at or above warning in 1 service(s)"),
            std::string::npos);
}

TEST(AnyAtOrAbove, DecidesTheExitStatus) {
  EXPECT_FALSE(AnyAtOrAbove({}, "info"));
  EXPECT_FALSE(AnyAtOrAbove({"info", "warning"}, "critical"));
  EXPECT_TRUE(AnyAtOrAbove({"info", "warning"}, "warning"));
  EXPECT_TRUE(AnyAtOrAbove({"critical"}, "info"));
}

TEST(FleetCommands, UnreachableServerExitsTwoNamingTheAddress) {
  std::string address = "127.0.0.1:" + std::to_string(corral::testing::FreePort());
  for (auto run : {RunStatus, RunInstances, RunCheck}) {
    std::ostringstream out, err;
    EXPECT_EQ(run({"--server", address, "--timeout", "2s"}, out, err), 2);
    EXPECT_NE(err.str().find("cannot reach corral-server at " + address), std::string::npos) << err.str();
  }
}

TEST(FleetCommands, UsageErrors) {
  std::ostringstream out, err;
  EXPECT_EQ(RunService({}, out, err), 2);
  EXPECT_EQ(err.str(), "corral service: expects a service name\n(see 'corral service --help')\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCheck({"--fail-on", "sometimes"}, out2, err2), 2);
  EXPECT_NE(err2.str().find("--fail-on 'sometimes' is not one of info, warning, critical"), std::string::npos);
  std::ostringstream out3, err3;
  EXPECT_EQ(RunStatus({"--token-file", "/nonexistent"}, out3, err3), 2);
  EXPECT_NE(err3.str().find("cannot read token file /nonexistent"), std::string::npos);
  std::ostringstream out4, err4;
  EXPECT_EQ(RunCheck({"--help"}, out4, err4), 0);
  EXPECT_NE(out4.str().find("--fail-on LEVEL"), std::string::npos);
}

}  // namespace
}  // namespace corral::cli
