// The rules that compare instances with the service's expectations, and
// those that read an instance's own health (churn, heartbeats, memory).
#include "gtest/gtest.h"
#include "server/rules.h"
#include "tests/support/incident_fleet.h"
#include "tests/support/snapshot_builder.h"

namespace corral::server {
namespace {

using corral::testing::MakeView;
using corral::testing::SnapshotBuilder;

const absl::Time kNow = absl::FromUnixSeconds(5000);

InstanceView View(const SnapshotBuilder& b, InstanceState state = InstanceState::kOnline) {
  return MakeView(b, kNow - absl::Seconds(1), state);
}

Expectations Expect(std::vector<std::tuple<std::string, std::string, std::string, std::string>> entries) {
  corral::v1::ServiceExpectations s;
  s.set_service("api");
  for (const auto& [key, value, origin, by] : entries) {
    corral::v1::Expectation* e = s.add_expectations();
    e->set_key(key);
    e->set_value(value);
    e->set_origin(origin);
    e->set_declared_by(by);
  }
  EXPECT_TRUE(NormalizeServiceExpectations(&s).ok());
  return Expectations(s);
}

std::vector<std::string> Rules(const ServiceEvaluation& e) {
  std::vector<std::string> rules;
  for (const auto& f : e.findings) rules.push_back(f.rule() + "/" + f.instance());
  return rules;
}

const corral::v1::Finding* Find(const ServiceEvaluation& e, const std::string& rule) {
  for (const auto& f : e.findings) {
    if (f.rule() == rule) return &f;
  }
  return nullptr;
}

SnapshotBuilder Good(const std::string& name, int pid) { return corral::testing::IncidentGoodReplica(name, pid); }

SnapshotBuilder Stale() { return corral::testing::IncidentStaleReplica(); }

Expectations Incident() {
  corral::v1::ServiceExpectations s = corral::testing::IncidentDeclaration();
  EXPECT_TRUE(NormalizeServiceExpectations(&s).ok());
  return Expectations(s);
}

TEST(ExpectationRules, TheIncidentsStaleReplicaIsNamedByEveryRuleThatApplies) {
  ServiceEvaluation e =
      EvaluateService("api", {View(Good("r1", 10)), View(Good("r2", 20)), View(Stale())}, kNow, Incident());
  EXPECT_EQ(Rules(e),
            (std::vector<std::string>{"WORKERS_BELOW_EXPECTED/r3", "STALE_IMAGE/r3", "REPLICAS_DISAGREE/r3",
                                      "CONFIG_DRIFT/r3", "CONFIG_DRIFT/r3", "CONFIG_DRIFT/r3", "DEV_SETTING/r3"}));
  EXPECT_EQ(Find(e, "WORKERS_BELOW_EXPECTED")->message(),
            "api/r3: 1 live worker(s), expected 3; its workers setting is 1 (cmdline); expected by "
            "services/api/Dockerfile.dev:7");
  EXPECT_EQ(Find(e, "STALE_IMAGE")->message(),
            "api/r3: runs `/usr/bin/python3 /usr/bin/gunicorn --workers 1 --reload app:app` but the image's command "
            "is declared as `gunicorn --workers 3 --timeout 120 --preload wsgi:application` "
            "(services/api/Dockerfile.dev:7) and compose does not override it, so the image predates the "
            "Dockerfile (app_uri app:app vs wsgi:application, preload_app not given vs set, reload set vs not "
            "given, timeout not given vs 120, workers 1 vs 3)");
  std::vector<std::string> drift;
  for (const auto& f : e.findings) {
    if (f.rule() == "CONFIG_DRIFT") drift.push_back(f.message());
  }
  EXPECT_EQ(drift, (std::vector<std::string>{
                       "api/r3: app_uri is app:app (set by cmdline), expected wsgi:application "
                       "(services/api/Dockerfile.dev:7)",
                       "api/r3: preload_app is false (set by default), expected true (services/api/Dockerfile.dev:7)",
                       "api/r3: timeout is 30 (set by default), expected 120 (services/api/Dockerfile.dev:7)"}));
  const corral::v1::Finding& timeout = e.findings[5];
  ASSERT_EQ(timeout.differences_size(), 1);
  EXPECT_EQ(timeout.differences(0).setting(), "timeout");
  EXPECT_EQ(timeout.differences(0).values(1).instance(), "expected");
  EXPECT_EQ(FindingKey(timeout), "CONFIG_DRIFT|r3|timeout");
}

TEST(ExpectationRules, ACommandComposeSetsIsNotAStaleImage) {
  Expectations compose =
      Expect({{"command", "gunicorn --workers 3 wsgi:application", "docker-compose.yml:12", "compose"}});
  ServiceEvaluation e = EvaluateService("api", {View(Stale())}, kNow, compose);
  EXPECT_EQ(Find(e, "STALE_IMAGE"), nullptr);
}

TEST(ExpectationRules, AnErasedCommandLineIsNotCalledStale) {
  SnapshotBuilder erased("api", "r1");
  erased.Master(10, 3, 3).Argv({"gunicorn: master [wsgi:application]"}).Erased();
  ServiceEvaluation e = EvaluateService("api", {View(erased)}, kNow, Incident());
  EXPECT_EQ(Find(e, "STALE_IMAGE"), nullptr);
}

TEST(ExpectationRules, ABuildRevisionThatDiffersIsAStaleImage) {
  Expectations rev = Expect({{"build_revision", "4f2a9c1", "", "manual"}});
  SnapshotBuilder old("api", "r1");
  old.Master(10, 3, 3).Revision("0b7e3d2");
  SnapshotBuilder current("api", "r2");
  current.Master(20, 3, 3).Revision("4f2a9c1");
  ServiceEvaluation e = EvaluateService("api", {View(old), View(current)}, kNow, rev);
  EXPECT_EQ(Rules(e), std::vector<std::string>{"STALE_IMAGE/r1"});
  EXPECT_EQ(e.findings[0].message(),
            "api/r1: built from revision 0b7e3d2 (CORRAL_BUILD_REVISION), expected 4f2a9c1 (corral expect set)");
}

TEST(ExpectationRules, WorkersAboveExpectedAndMinimums) {
  SnapshotBuilder five("api", "r1");
  five.Master(10, 5, 5);
  EXPECT_EQ(Rules(EvaluateService("api", {View(five)}, kNow, Expect({{"workers", "3", "", "manual"}}))),
            std::vector<std::string>{"WORKERS_ABOVE_EXPECTED/r1"});
  EXPECT_EQ(Find(EvaluateService("api", {View(five)}, kNow, Expect({{"workers", "3", "", "manual"}})),
                 "WORKERS_ABOVE_EXPECTED")
                ->severity(),
            "warning");
  EXPECT_TRUE(
      EvaluateService("api", {View(five)}, kNow, Expect({{"min_workers", "4", "", "manual"}})).findings.empty());
  ServiceEvaluation below = EvaluateService("api", {View(five)}, kNow, Expect({{"min_workers", "6", "", "manual"}}));
  ASSERT_EQ(Rules(below), std::vector<std::string>{"WORKERS_BELOW_EXPECTED/r1"});
  EXPECT_EQ(below.findings[0].message(),
            "api/r1: 5 live worker(s), expected at least 6; its workers setting is 5 (cmdline); expected by "
            "corral expect set");
}

TEST(ExpectationRules, ReplicasCountInstancesThatAreNotOffline) {
  Expectations three = Expect({{"replicas", "3", "docker-compose.yml:9", "compose"}});
  SnapshotBuilder a("api", "r1"), b("api", "r2"), c("api", "r3");
  a.Master(10, 1, 1);
  b.Master(20, 1, 1);
  c.Master(30, 1, 1);
  ServiceEvaluation e = EvaluateService("api", {View(a), View(b), View(c, InstanceState::kOffline)}, kNow, three);
  EXPECT_EQ(Rules(e), (std::vector<std::string>{"AGENT_OFFLINE/r3", "REPLICAS_BELOW_EXPECTED/"}));
  EXPECT_EQ(e.findings[1].message(), "api: 2 replica(s) reporting (r1, r2), expected 3 by docker-compose.yml:9");
  Expectations one = Expect({{"replicas", "1", "", "manual"}});
  EXPECT_EQ(Rules(EvaluateService("api", {View(a), View(b)}, kNow, one)),
            std::vector<std::string>{"REPLICAS_ABOVE_EXPECTED/"});
}

TEST(ExpectationRules, UnknownSettingsAreNeverCalledDrift) {
  SnapshotBuilder erased("api", "r1");
  erased.Master(10, 3, 3).Set("timeout", "", "unknown");
  EXPECT_EQ(
      Find(EvaluateService("api", {View(erased)}, kNow, Expect({{"timeout", "120", "", "manual"}})), "CONFIG_DRIFT"),
      nullptr);
}

TEST(ExpectationRules, AnotherGunicornReleaseIsConfigDriftNamingWhereItWasRead) {
  SnapshotBuilder line("api", "r1"), old("api", "r2"), unknown("api", "r3");
  line.Master(10, 3, 3).Version("23.0.1");
  old.Master(20, 3, 3).Version("20.1.0", "/usr/lib/python3/dist-packages/gunicorn/__init__.py");
  unknown.Master(30, 3, 3).Version("");
  Expectations line_23_0 = Expect({{"gunicorn_version", "23.0", "", "manual"}});
  // 23.0 is the whole line: 23.0.1 matches; an unknown release is no claim.
  EXPECT_TRUE(EvaluateService("api", {View(line)}, kNow, line_23_0).findings.empty());
  EXPECT_TRUE(EvaluateService("api", {View(unknown)}, kNow, line_23_0).findings.empty());
  ServiceEvaluation e = EvaluateService("api", {View(old)}, kNow, line_23_0);
  ASSERT_EQ(Rules(e), std::vector<std::string>{"CONFIG_DRIFT/r2"});
  const corral::v1::Finding& drift = e.findings[0];
  EXPECT_EQ(drift.severity(), "warning");
  EXPECT_EQ(drift.message(),
            "api/r2: runs Gunicorn 20.1.0 (read from /usr/lib/python3/dist-packages/gunicorn/__init__.py), expected "
            "23.0.x (corral expect set)");
  ASSERT_EQ(drift.differences_size(), 1);
  EXPECT_EQ(drift.differences(0).setting(), "gunicorn_version");
  EXPECT_EQ(drift.differences(0).values(0).value(), "20.1.0");
  EXPECT_EQ(drift.differences(0).values(1).instance(), "expected");
  EXPECT_EQ(drift.differences(0).values(1).value(), "23.0");
  EXPECT_EQ(FindingKey(drift), "CONFIG_DRIFT|r2|gunicorn_version");

  // A full release must be that release.
  ServiceEvaluation exact = EvaluateService(
      "api", {View(line)}, kNow, Expect({{"gunicorn_version", "23.0.0", "deploy/versions.txt:3", "manual"}}));
  ASSERT_EQ(Rules(exact), std::vector<std::string>{"CONFIG_DRIFT/r1"});
  EXPECT_EQ(exact.findings[0].message(),
            "api/r1: runs Gunicorn 23.0.1 (read from /usr/lib/python3/dist-packages/gunicorn/__init__.py), expected "
            "23.0.0 (deploy/versions.txt:3)");
  EXPECT_TRUE(EvaluateService("api", {View(line)}, kNow, Expect({{"gunicorn_version", "23.0.1", "", "manual"}}))
                  .findings.empty());
  EXPECT_TRUE(EvaluateService("api", {View(unknown)}, kNow, Expect({{"gunicorn_version", "23.0.1", "", "manual"}}))
                  .findings.empty());
}

TEST(ExpectationRules, TheReleaseDriftCarriesTheAgentsCaveatAndSurvivesOmission) {
  SnapshotBuilder b("api", "r1");
  b.Master(10, 3, 3).Version("21.2.0", "/app/gunicorn/__init__.py");
  b.last()->set_gunicorn_version_note("the environment is not visible: a PYTHONPATH there could choose another one");
  ServiceEvaluation e = EvaluateService("api", {MakeView(b.StreamReport(), kNow)}, kNow,
                                        Expect({{"gunicorn_version", "22.0", "", "manual"}}));
  ASSERT_EQ(Rules(e), std::vector<std::string>{"CONFIG_DRIFT/r1"});
  EXPECT_EQ(e.findings[0].message(),
            "api/r1: runs Gunicorn 21.2.0 (read from /app/gunicorn/__init__.py), expected 22.0.x (corral expect "
            "set); the environment is not visible: a PYTHONPATH there could choose another one");
}

TEST(ExpectationRules, TheRunningCommandIsReadWithItsOwnGunicornRelease) {
  // `--log-conf` is Gunicorn 20.1's unique prefix of --log-config; since
  // 21.0 added --log-config-json it is ambiguous, so the newest table would
  // misread this master.
  Expectations declared = Expect({{"command", "gunicorn --workers 3 --log-config /app/logging.ini wsgi:application",
                                   "Dockerfile:9", "dockerfile"}});
  SnapshotBuilder b("api", "r1");
  b.Master(10, 3, 3).Version("20.1.0").Argv({"/usr/bin/python3", "/usr/bin/gunicorn", "--workers", "3", "--log-conf",
                                             "/app/logging.ini", "wsgi:application"});
  EXPECT_TRUE(EvaluateService("api", {MakeView(b.StreamReport(), kNow)}, kNow, declared).findings.empty());
  // The same master with an unknown release cannot be compared: no claim.
  b.Version("");
  EXPECT_EQ(Find(EvaluateService("api", {View(b)}, kNow, declared), "STALE_IMAGE"), nullptr);
  // A real difference is still one, by setting name.
  SnapshotBuilder stale("api", "r1");
  stale.Master(10, 1, 1).Version("20.1.0").Argv(
      {"/usr/bin/gunicorn", "--workers", "1", "--log-conf", "/app/logging.ini", "wsgi:application"});
  ServiceEvaluation e = EvaluateService("api", {View(stale)}, kNow, declared);
  ASSERT_NE(Find(e, "STALE_IMAGE"), nullptr);
  EXPECT_EQ(Find(e, "STALE_IMAGE")->message(),
            "api/r1: runs `/usr/bin/gunicorn --workers 1 --log-conf /app/logging.ini wsgi:application` but the "
            "image's command is declared as `gunicorn --workers 3 --log-config /app/logging.ini wsgi:application` "
            "(Dockerfile:9) and compose does not override it, so the image predates the Dockerfile (workers 1 vs 3)");
}

TEST(InstanceRules, FewerDirtyWorkersThanConfiguredIsAWarning) {
  SnapshotBuilder short_pool("api", "r1");
  short_pool.Master(10, 3, 3).Dirty(1, 4, "app.ml:Model");
  ServiceEvaluation e = EvaluateService("api", {MakeView(short_pool.StreamReport(), kNow)}, kNow);
  ASSERT_EQ(Rules(e), std::vector<std::string>{"DIRTY_WORKERS_BELOW_CONFIG/r1"});
  EXPECT_EQ(e.findings[0].severity(), "warning");
  EXPECT_EQ(e.status, "degraded");
  EXPECT_EQ(e.findings[0].message(),
            "api/r1: master 10 runs 1 dirty worker(s), its settings ask for 4 (dirty_workers=4 (cmdline), "
            "dirty_apps=app.ml:Model (cmdline)); an app class can also limit its workers with a `workers` attribute, "
            "which no setting shows");

  // Per-app limits lower the count: "mod:Class:2" runs at most 2.
  SnapshotBuilder limited("api", "r1");
  limited.Master(10, 3, 3).Dirty(2, 4, "app.ml:Model:2");
  EXPECT_TRUE(EvaluateService("api", {View(limited)}, kNow).findings.empty());

  // A zombie is not a live dirty worker; no arbiter at all is said so.
  SnapshotBuilder zombie("api", "r1");
  zombie.Master(10, 3, 3).Dirty(2, 2);
  zombie.last()->mutable_dirty_workers(1)->set_state("Z");
  ServiceEvaluation z = EvaluateService("api", {View(zombie)}, kNow);
  ASSERT_EQ(Rules(z), std::vector<std::string>{"DIRTY_WORKERS_BELOW_CONFIG/r1"});
  EXPECT_NE(z.findings[0].message().find("runs 1 dirty worker(s), its settings ask for 2"), std::string::npos);
  SnapshotBuilder no_arbiter("api", "r1");
  no_arbiter.Master(10, 3, 3).Dirty(0, 2);
  no_arbiter.last()->clear_dirty_arbiter();
  ServiceEvaluation gone = EvaluateService("api", {View(no_arbiter)}, kNow);
  ASSERT_EQ(Rules(gone), std::vector<std::string>{"DIRTY_WORKERS_BELOW_CONFIG/r1"});
  EXPECT_NE(gone.findings[0].message().find("; no dirty arbiter is running; "), std::string::npos);

  // Nothing to say when the pool is full, unused or its size unknown.
  SnapshotBuilder full("api", "r1");
  full.Master(10, 3, 3).Dirty(2, 2);
  EXPECT_TRUE(EvaluateService("api", {View(full)}, kNow).findings.empty());
  SnapshotBuilder unused("api", "r1");
  unused.Master(10, 3, 3).Dirty(0, 2, "");
  unused.last()->clear_dirty_arbiter();
  EXPECT_TRUE(EvaluateService("api", {View(unused)}, kNow).findings.empty());
  SnapshotBuilder unknown("api", "r1");
  unknown.Master(10, 3, 3).Dirty(0, 2).Set("dirty_workers", "", "unknown");
  EXPECT_TRUE(EvaluateService("api", {View(unknown)}, kNow).findings.empty());
}

TEST(InstanceRules, ChurnAboveTheThresholdUnlessMaxRequestsRecyclesWorkers) {
  SnapshotBuilder churning("api", "r1");
  churning.Master(10, 3, 3).Churn(2.5, 300);
  ServiceEvaluation e = EvaluateService("api", {View(churning)}, kNow);
  ASSERT_EQ(Rules(e), std::vector<std::string>{"WORKER_CHURN/r1"});
  EXPECT_EQ(e.findings[0].severity(), "warning");
  SnapshotBuilder recycled("api", "r1");
  recycled.Master(10, 3, 3).Churn(2.5, 300).Set("max_requests", "1000", "cmdline");
  EXPECT_TRUE(EvaluateService("api", {View(recycled)}, kNow).findings.empty());
  SnapshotBuilder calm("api", "r1");
  calm.Master(10, 3, 3).Churn(kChurnPerMinute, 300);
  EXPECT_TRUE(EvaluateService("api", {View(calm)}, kNow).findings.empty());
}

TEST(InstanceRules, AHeartbeatOlderThanHalfTheTimeoutIsStuck) {
  SnapshotBuilder idle("api", "r1");
  idle.Master(10, 2, 2).Heartbeat(15.5);  // timeout 30: an idle sync worker checks in every 15 s
  EXPECT_TRUE(EvaluateService("api", {View(idle)}, kNow).findings.empty());
  SnapshotBuilder stuck("api", "r1");
  stuck.Master(10, 2, 2).Heartbeat(22);
  ServiceEvaluation e = EvaluateService("api", {View(stuck)}, kNow);
  ASSERT_EQ(Rules(e), std::vector<std::string>{"WORKER_STUCK/r1"});
  EXPECT_EQ(e.findings[0].message(),
            "api/r1: worker heartbeat older than half the timeout of 30s: pid 11 (22s), pid 12 (22s); Gunicorn kills "
            "a worker at the full timeout");
  SnapshotBuilder unknown_timeout("api", "r1");
  unknown_timeout.Master(10, 2, 2).Heartbeat(100).Set("timeout", "", "unknown");
  EXPECT_TRUE(EvaluateService("api", {View(unknown_timeout)}, kNow).findings.empty());
}

TEST(InstanceRules, MemoryNearItsLimitOrRecentOomKills) {
  SnapshotBuilder near("api", "r1");
  near.Master(10, 2, 2).Cgroup(int64_t{1850} << 20, int64_t{2} << 30);
  ServiceEvaluation e = EvaluateService("api", {View(near)}, kNow);
  ASSERT_EQ(Rules(e), std::vector<std::string>{"MEMORY_PRESSURE/r1"});
  EXPECT_EQ(e.findings[0].message(), "api/r1: cgroup memory 1.8 GiB of 2.0 GiB (90%)");

  SnapshotBuilder fine("api", "r1");
  fine.Master(10, 2, 2).Cgroup(int64_t{500} << 20, int64_t{2} << 30, 4);
  InstanceView old_kills = View(fine);
  EXPECT_TRUE(EvaluateService("api", {old_kills}, kNow).findings.empty());
  InstanceView recent = View(fine);
  recent.last_oom_increase = kNow - absl::Minutes(2);
  recent.oom_increase = 1;
  ServiceEvaluation oom = EvaluateService("api", {recent}, kNow);
  ASSERT_EQ(Rules(oom), std::vector<std::string>{"MEMORY_PRESSURE/r1"});
  EXPECT_EQ(oom.findings[0].message(), "api/r1: 1 OOM kill(s) 2m00s ago (4 since the cgroup started)");
  recent.last_oom_increase = kNow - kOomWindow;
  EXPECT_TRUE(EvaluateService("api", {recent}, kNow).findings.empty());
}

TEST(InstanceRules, WorkersVersusCpusIsInformation) {
  SnapshotBuilder crowded("api", "r1");
  crowded.Master(10, 8, 8).Cgroup(1 << 20, 0, 0, 1.0);
  ServiceEvaluation e = EvaluateService("api", {View(crowded)}, kNow);
  ASSERT_EQ(Rules(e), std::vector<std::string>{"WORKERS_VS_CPUS/r1"});
  EXPECT_EQ(e.findings[0].severity(), "info");
  EXPECT_EQ(e.findings[0].message(),
            "api/r1: 8 workers on 1 CPU (cgroup quota); Gunicorn suggests 2 x CPUs + 1 = 3, more workers compete "
            "for the same CPUs");
  EXPECT_EQ(e.status, "ok");
  SnapshotBuilder fitting("api", "r1");
  fitting.Master(10, 3, 3).Cgroup(1 << 20, 0, 0, 1.0);
  EXPECT_TRUE(EvaluateService("api", {View(fitting)}, kNow).findings.empty());
  SnapshotBuilder idle("api", "r1");
  idle.Master(10, 1, 1).Cgroup(1 << 20, 0, 0, 4.0);
  ServiceEvaluation few = EvaluateService("api", {View(idle)}, kNow);
  ASSERT_EQ(Rules(few), std::vector<std::string>{"WORKERS_VS_CPUS/r1"});
  EXPECT_EQ(few.findings[0].message(),
            "api/r1: 1 worker(s) on 4 CPUs (cgroup quota); sync workers use one CPU each, so some CPUs stay idle");
  // Without a quota the cpuset is usually the whole host: no claim.
  SnapshotBuilder host("api", "r1");
  host.Master(10, 1, 1).Cgroup(1 << 20, 0);
  EXPECT_TRUE(EvaluateService("api", {View(host)}, kNow).findings.empty());
}

}  // namespace
}  // namespace corral::server

namespace corral::server {
namespace {

InstanceView WithRequests(double rps, double window, double mean_ms, double error_rate) {
  corral::v1::RequestStats r;
  r.set_window_seconds(window);
  r.set_requests_per_second(rps);
  r.set_latency_mean_ms(mean_ms);
  r.set_latency_p99_ms(mean_ms * 3);
  r.set_error_rate(error_rate);
  SnapshotBuilder b("api", "r1");
  b.Master(10, 3, 3).Requests(r);
  return MakeView(b, kNow);
}

TEST(RequestRules, TheIncidentsLatencyAndErrorThresholdsByDefault) {
  ServiceEvaluation slow = EvaluateService("api", {WithRequests(10, 60, 2500, 0.01)}, kNow);
  ASSERT_EQ(Rules(slow), std::vector<std::string>{"LATENCY_HIGH/r1"});
  EXPECT_EQ(slow.findings[0].message(),
            "api/r1: mean request latency 2500 ms over the last 60s (p99 7500 ms, 10.0 req/s), above 2s");
  ServiceEvaluation failing = EvaluateService("api", {WithRequests(10, 60, 50, 0.08)}, kNow);
  ASSERT_EQ(Rules(failing), std::vector<std::string>{"ERROR_RATE_HIGH/r1"});
  EXPECT_EQ(failing.findings[0].severity(), "critical");
  EXPECT_EQ(failing.findings[0].message(),
            "api/r1: 8.0% of responses were 5xx over the last 60s (10.0 req/s), above 5%");
  EXPECT_TRUE(EvaluateService("api", {WithRequests(10, 60, 1500, 0.04)}, kNow).findings.empty());
  // Too few requests to judge.
  EXPECT_TRUE(EvaluateService("api", {WithRequests(0.1, 60, 9000, 1.0)}, kNow).findings.empty());
}

TEST(RequestRules, ThresholdsPerService) {
  Expectations strict = Expect({{"max_latency", "100ms", "", "manual"}, {"max_error_rate", "1%", "", "manual"}});
  EXPECT_EQ(Rules(EvaluateService("api", {WithRequests(10, 60, 150, 0.02)}, kNow, strict)),
            (std::vector<std::string>{"ERROR_RATE_HIGH/r1", "LATENCY_HIGH/r1"}));
  Expectations lenient = Expect({{"max_latency", "5s", "", "manual"}, {"max_error_rate", "10%", "", "manual"}});
  EXPECT_TRUE(EvaluateService("api", {WithRequests(10, 60, 2500, 0.08)}, kNow, lenient).findings.empty());
}

}  // namespace
}  // namespace corral::server
