#include "server/rules.h"

#include "gtest/gtest.h"
#include "server/instance_digest.h"
#include "tests/support/snapshot_builder.h"

namespace corral::server {
namespace {

using corral::testing::SnapshotBuilder;

const absl::Time kNow = absl::FromUnixSeconds(5000);

InstanceView View(const SnapshotBuilder& b, InstanceState state = InstanceState::kOnline,
                  absl::Duration since_report = absl::Seconds(1)) {
  return corral::testing::MakeView(b, kNow - since_report, state);
}

std::vector<std::string> Rules(const ServiceEvaluation& e) {
  std::vector<std::string> rules;
  for (const auto& f : e.findings) rules.push_back(f.rule() + "/" + f.instance());
  return rules;
}

TEST(Rules, ConsistentServiceIsOk) {
  ServiceEvaluation e = EvaluateService(
      "api", {View(SnapshotBuilder("api", "r1").Master(10, 3, 3)), View(SnapshotBuilder("api", "r2").Master(20, 3, 3))},
      kNow);
  EXPECT_TRUE(e.findings.empty());
  EXPECT_EQ(e.status, "ok");
  EXPECT_TRUE(e.differing_settings.empty());
}

TEST(Rules, TheIncidentsStaleReplicaIsTheNamedMinority) {
  SnapshotBuilder stale("api", "r3");
  stale.Master(30, 1, 1).Set("reload", "true", "cmdline").Set("app_uri", "app:app", "cmdline");
  ServiceEvaluation e = EvaluateService("api",
                                        {View(SnapshotBuilder("api", "r1").Master(10, 3, 3)),
                                         View(SnapshotBuilder("api", "r2").Master(20, 3, 3)), View(stale)},
                                        kNow);
  EXPECT_EQ(Rules(e), (std::vector<std::string>{"REPLICAS_DISAGREE/r3", "DEV_SETTING/r3"}));
  EXPECT_EQ(e.status, "critical");
  const corral::v1::Finding& f = e.findings[0];
  EXPECT_EQ(f.severity(), "critical");
  EXPECT_EQ(f.message(),
            "api/r3 differs from 2 other replica(s) (as r1): live workers 1 vs 3; app_uri app:app (cmdline) vs "
            "wsgi:application (cmdline); reload true (cmdline) vs false (default); workers 1 (cmdline) vs 3 (cmdline)");
  ASSERT_EQ(f.differences_size(), 3);
  EXPECT_EQ(f.differences(2).setting(), "workers");
  EXPECT_EQ(f.differences(2).values(0).instance(), "r3");
  EXPECT_EQ(f.differences(2).values(0).value(), "1");
  EXPECT_EQ(f.differences(2).values(1).value(), "3");
  // The service view lists every replica's value for differing settings.
  ASSERT_EQ(e.differing_settings.size(), 3u);
  EXPECT_EQ(e.differing_settings[0].setting(), "app_uri");
  EXPECT_EQ(e.differing_settings[0].values_size(), 3);
}

TEST(Rules, WithoutAMajorityNobodyIsBlamed) {
  ServiceEvaluation e = EvaluateService(
      "api", {View(SnapshotBuilder("api", "r1").Master(10, 3, 3)), View(SnapshotBuilder("api", "r2").Master(20, 1, 1))},
      kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].rule(), "REPLICAS_DISAGREE");
  EXPECT_EQ(e.findings[0].instance(), "");
  EXPECT_NE(e.findings[0].message().find("no majority"), std::string::npos);
}

TEST(Rules, UnknownValuesAreNotDisagreements) {
  SnapshotBuilder erased("api", "r2");
  erased.Master(20, 3, 3).Set("timeout", "", "unknown").Erased();
  ServiceEvaluation e = EvaluateService("api",
                                        {View(SnapshotBuilder("api", "r1").Master(10, 3, 3)),
                                         View(SnapshotBuilder("api", "r3").Master(30, 3, 3)), View(erased)},
                                        kNow);
  EXPECT_EQ(Rules(e), std::vector<std::string>{"SETTINGS_UNKNOWABLE/r2"});
  EXPECT_EQ(e.status, "ok");  // info does not degrade
}

TEST(Rules, ReplicasOnAnotherGunicornReleaseDisagree) {
  SnapshotBuilder old("api", "r3");
  old.Master(30, 3, 3).Version("20.1.0", "/usr/lib/python3/dist-packages/gunicorn/__init__.py");
  SnapshotBuilder r1("api", "r1"), r2("api", "r2");
  r1.Master(10, 3, 3).Version("23.0.0", "/venv/lib/python3.12/site-packages/gunicorn/__init__.py");
  r2.Master(20, 3, 3).Version("23.0.0", "/venv/lib/python3.12/site-packages/gunicorn/__init__.py");
  ServiceEvaluation e = EvaluateService("api", {View(r1), View(r2), View(old)}, kNow);
  ASSERT_EQ(Rules(e), std::vector<std::string>{"REPLICAS_DISAGREE/r3"});
  EXPECT_EQ(e.findings[0].message(),
            "api/r3 differs from 2 other replica(s) (as r1): gunicorn_version 20.1.0 "
            "(/usr/lib/python3/dist-packages/gunicorn/__init__.py) vs 23.0.0 "
            "(/venv/lib/python3.12/site-packages/gunicorn/__init__.py)");
  ASSERT_EQ(e.findings[0].differences_size(), 1);
  const corral::v1::SettingComparison& c = e.findings[0].differences(0);
  EXPECT_EQ(c.setting(), "gunicorn_version");
  ASSERT_EQ(c.values_size(), 2);
  EXPECT_EQ(c.values(0).instance(), "r3");
  EXPECT_EQ(c.values(0).value(), "20.1.0");
  EXPECT_EQ(c.values(0).source(), "/usr/lib/python3/dist-packages/gunicorn/__init__.py");
  EXPECT_EQ(c.values(1).instance(), "r1");
  EXPECT_EQ(c.values(1).value(), "23.0.0");
  // `corral service` lists it among the settings that differ, every replica.
  ASSERT_EQ(e.differing_settings.size(), 1u);
  EXPECT_EQ(e.differing_settings[0].setting(), "gunicorn_version");
  ASSERT_EQ(e.differing_settings[0].values_size(), 3);
  EXPECT_EQ(e.differing_settings[0].values(2).instance(), "r3");
  EXPECT_EQ(e.differing_settings[0].values(2).value(), "20.1.0");
}

TEST(Rules, AnUnknownGunicornReleaseIsNoDisagreement) {
  SnapshotBuilder known("api", "r1"), unknown("api", "r2");
  known.Master(10, 3, 3).Version("23.0.0");
  unknown.Master(20, 3, 3).Version("");
  // Two replicas: no majority either way, and nothing known differs.
  ServiceEvaluation two = EvaluateService("api", {View(known), View(unknown)}, kNow);
  EXPECT_TRUE(two.findings.empty()) << two.findings[0].message();
  EXPECT_TRUE(two.differing_settings.empty());
  EXPECT_EQ(two.status, "ok");
  SnapshotBuilder also_known("api", "r3");
  also_known.Master(30, 3, 3).Version("23.0.0");
  ServiceEvaluation three = EvaluateService("api", {View(known), View(unknown), View(also_known)}, kNow);
  EXPECT_TRUE(three.findings.empty()) << three.findings[0].message();
  EXPECT_TRUE(three.differing_settings.empty());
}

TEST(Rules, TheReleaseComesFromTheMessageThatCarriedTheConfiguration) {
  SnapshotBuilder r1("api", "r1"), r2("api", "r2"), old("api", "r3");
  r1.Master(10, 3, 3).Version("23.0.0");
  r2.Master(20, 3, 3).Version("23.0.0");
  old.Master(30, 3, 3).Version("20.1.0");
  Report streamed = old.StreamReport();
  ASSERT_TRUE(streamed.snapshot().instances(0).config_omitted());
  ASSERT_EQ(streamed.snapshot().instances(0).gunicorn_version(), "");
  ServiceEvaluation e = EvaluateService(
      "api", {View(r1), View(r2), corral::testing::MakeView(std::move(streamed), kNow - absl::Seconds(1))}, kNow);
  ASSERT_EQ(Rules(e), std::vector<std::string>{"REPLICAS_DISAGREE/r3"});
  EXPECT_EQ(e.findings[0].differences(0).setting(), "gunicorn_version");
  EXPECT_EQ(e.findings[0].differences(0).values(0).value(), "20.1.0");
}

TEST(Rules, ReplicasThatDifferOnlyInUnknownSettingsWithoutAMajorityAgree) {
  SnapshotBuilder erased("api", "r2");
  erased.Master(20, 3, 3).Set("timeout", "", "unknown");
  ServiceEvaluation e =
      EvaluateService("api", {View(SnapshotBuilder("api", "r1").Master(10, 3, 3)), View(erased)}, kNow);
  EXPECT_TRUE(e.findings.empty()) << e.findings[0].message();
}

TEST(Rules, FewerWorkersWithRestartsIsCriticalWithoutIsRuntimeScaling) {
  SnapshotBuilder crashing("api", "r1");
  crashing.Master(10, 1, 3).Churn(4.0, 600);
  ServiceEvaluation e = EvaluateService("api", {View(crashing)}, kNow);
  ASSERT_EQ(Rules(e), (std::vector<std::string>{"WORKERS_BELOW_CONFIG/r1", "WORKER_CHURN/r1"}));
  EXPECT_NE(e.findings[0].message().find("workers are restarting (4.0/min)"), std::string::npos);

  SnapshotBuilder ttou("api", "r1");
  ttou.Master(10, 1, 3).Churn(0, 600);
  ServiceEvaluation scaled = EvaluateService("api", {View(ttou)}, kNow);
  ASSERT_EQ(Rules(scaled), std::vector<std::string>{"RUNTIME_SCALED/r1"});
  EXPECT_EQ(scaled.findings[0].severity(), "info");
  EXPECT_NE(scaled.findings[0].message().find("TTOU"), std::string::npos);

  SnapshotBuilder fresh("api", "r1");
  fresh.Master(10, 1, 3).Churn(0, 0.5);  // just seen: no history yet
  EXPECT_EQ(Rules(EvaluateService("api", {View(fresh)}, kNow)), std::vector<std::string>{"WORKERS_BELOW_CONFIG/r1"});

  SnapshotBuilder ttin("api", "r1");
  ttin.Master(10, 4, 3);
  ServiceEvaluation up = EvaluateService("api", {View(ttin)}, kNow);
  ASSERT_EQ(Rules(up), std::vector<std::string>{"RUNTIME_SCALED/r1"});
  EXPECT_NE(up.findings[0].message().find("TTIN"), std::string::npos);
}

TEST(Rules, DevSettingsAreWarnings) {
  SnapshotBuilder b("api", "r1");
  b.Master(10, 3, 3).Set("reload", "true", "cmdline").Set("loglevel", "debug", "gunicorn_cmd_args");
  ServiceEvaluation e = EvaluateService("api", {View(b)}, kNow);
  ASSERT_EQ(Rules(e), std::vector<std::string>{"DEV_SETTING/r1"});
  EXPECT_EQ(e.findings[0].message(),
            "api/r1: development settings in use: reload=true (cmdline), loglevel=debug (gunicorn_cmd_args)");
  EXPECT_EQ(e.status, "degraded");
}

TEST(Rules, OfflineAndNoGunicorn) {
  ServiceEvaluation e = EvaluateService(
      "api",
      {View(SnapshotBuilder("api", "gone").Master(10, 3, 3), InstanceState::kOffline, absl::Seconds(20)),
       View(SnapshotBuilder("api", "empty")),
       View(SnapshotBuilder("api", "blip").Master(5, 3, 3), InstanceState::kDisconnected)},
      kNow);
  EXPECT_EQ(Rules(e), (std::vector<std::string>{"AGENT_OFFLINE/gone", "NO_GUNICORN/empty"}));
  EXPECT_EQ(e.findings[0].message(), "api/gone: no report for 20s (its interval is 1s)");
  EXPECT_EQ(e.status, "critical");
}

TEST(Severity, NamesRoundTrip) {
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kCritical}) {
    EXPECT_EQ(ParseSeverity(SeverityName(s)), s);
  }
  EXPECT_FALSE(ParseSeverity("fatal").has_value());
}

TEST(Digest, PicksTheOldestTopLevelMasterAndSumsWorkers) {
  SnapshotBuilder b("api", "r1");
  b.Master(10, 2, 2);
  b.last()->mutable_master()->set_age_seconds(100);
  b.Master(20, 1, 2);
  b.last()->mutable_master()->set_age_seconds(900);
  b.Master(30, 3, 3);
  b.last()->set_upgrade_parent_pid(20);
  b.last()->mutable_master()->set_age_seconds(5000);
  InstanceDigest d = Digest(b.Report());
  EXPECT_EQ(d.masters, 3);
  EXPECT_EQ(d.primary, 1);
  EXPECT_EQ(d.live_workers, 6);
  EXPECT_EQ(d.config->configured_workers, 2);
  EXPECT_EQ(Digest(SnapshotBuilder("api", "x").Report()).primary, -1);
}

TEST(Digest, FingerprintIgnoresPerReplicaSettingsAndOrder) {
  SnapshotBuilder a("api", "a");
  a.Master(1, 1, 1).Set("pidfile", "/run/a.pid", "cmdline");
  SnapshotBuilder b("api", "b");
  b.Master(2, 1, 1).Set("pidfile", "/run/b.pid", "cmdline");
  EXPECT_EQ(Digest(a.Report()).config->settings_fingerprint, Digest(b.Report()).config->settings_fingerprint);
  b.Set("timeout", "31", "cmdline");
  EXPECT_NE(Digest(a.Report()).config->settings_fingerprint, Digest(b.Report()).config->settings_fingerprint);
}

}  // namespace
}  // namespace corral::server
