#include "server/diagnose.h"

#include "gtest/gtest.h"
#include "server/rules.h"
#include "tests/support/incident_fleet.h"
#include "tests/support/snapshot_builder.h"

namespace corral::server {
namespace {

using corral::testing::MakeView;
using corral::testing::SnapshotBuilder;

const absl::Time kNow = absl::FromUnixSeconds(5000);

Expectations Declared() { return Expectations(corral::testing::IncidentDeclaration()); }

SnapshotBuilder Good(const std::string& name, int pid) { return corral::testing::IncidentGoodReplica(name, pid); }

SnapshotBuilder Stale() { return corral::testing::IncidentStaleReplica(); }

corral::v1::Diagnosis DiagnoseFleet(const std::vector<InstanceView>& views, const Expectations& expected) {
  ServiceEvaluation e = EvaluateService("api", views, kNow, expected);
  return Diagnose("api", views, expected, e.findings, kNow);
}

const corral::v1::Hypothesis& Get(const corral::v1::Diagnosis& d, const std::string& id) {
  for (const auto& h : d.hypotheses()) {
    if (h.id() == id) return h;
  }
  static corral::v1::Hypothesis none;
  ADD_FAILURE() << "no hypothesis " << id;
  return none;
}

std::vector<std::string> Verdicts(const corral::v1::Diagnosis& d) {
  std::vector<std::string> out;
  for (const auto& h : d.hypotheses()) out.push_back(h.id() + "=" + h.verdict());
  return out;
}

TEST(Diagnose, TheIncidentConfirmsTheStaleImageAndRulesOutTheRest) {
  std::vector<InstanceView> views = {MakeView(Good("r1", 10), kNow), MakeView(Good("r2", 20), kNow),
                                     MakeView(Stale(), kNow)};
  corral::v1::Diagnosis d = DiagnoseFleet(views, Declared());
  EXPECT_EQ(Verdicts(d), (std::vector<std::string>{"compose_override=ruled_out", "wsgi_entry_point=ruled_out",
                                                   "crash_at_start=ruled_out", "resource_limits=ruled_out",
                                                   "conflicting_sources=ruled_out", "stale_image=confirmed",
                                                   "permissions=ruled_out"}));
  EXPECT_EQ(d.summary(), "api: confirmed: stale Docker image (r3)");
  const corral::v1::Hypothesis& stale = Get(d, "stale_image");
  EXPECT_EQ(stale.fix(), "docker compose build --no-cache api && docker compose up -d api");
  ASSERT_EQ(stale.instances_size(), 1);
  EXPECT_EQ(stale.instances(0), "r3");
  EXPECT_NE(stale.evidence(0).find("workers 1 vs 3"), std::string::npos);

  const corral::v1::Hypothesis& wsgi = Get(d, "wsgi_entry_point");
  EXPECT_EQ(wsgi.evidence(0), "r1 loads wsgi:application (cmdline) with 3 live worker(s), 0.0 restarts/min");
  EXPECT_EQ(wsgi.evidence(2),
            "r3 loads app:app (cmdline), not the declared wsgi:application: it does not run the declared command");
  const corral::v1::Hypothesis& sources = Get(d, "conflicting_sources");
  EXPECT_EQ(sources.evidence(2),
            "r3: app_uri app:app (cmdline, expected wsgi:application), preload_app false (default, expected true), "
            "timeout 30 (default, expected 120), workers 1 (cmdline, expected 3): from its own command line or "
            "Gunicorn's defaults, no competing source [config file none, GUNICORN_CMD_ARGS unset]");
  EXPECT_EQ(Get(d, "resource_limits").evidence(2),
            "r3: memory 100.0 MiB of 2.0 GiB, 0 OOM kill(s), pids 2 (no limit), no CPU quota (2 CPUs)");
  EXPECT_EQ(Get(d, "compose_override").evidence(2),
            "r1, r2 run what the merged files declare, so the declaration itself is sound");
}

TEST(Diagnose, WithoutExpectationsMostHypothesesCannotBeTold) {
  corral::v1::Diagnosis d = DiagnoseFleet({MakeView(Stale(), kNow)}, Expectations());
  EXPECT_EQ(Get(d, "compose_override").verdict(), "cannot_tell");
  EXPECT_NE(Get(d, "compose_override").what_would_tell().find("corral expect import"), std::string::npos);
  EXPECT_EQ(Get(d, "stale_image").verdict(), "cannot_tell");
  EXPECT_EQ(Get(d, "conflicting_sources").verdict(), "cannot_tell");
  EXPECT_EQ(Get(d, "permissions").verdict(), "ruled_out");
}

TEST(Diagnose, AnErasedCommandLineCannotTellAStaleImage) {
  SnapshotBuilder erased("api", "r1");
  erased.Master(10, 3, 3).Argv({"gunicorn: master [wsgi:application]"}).Erased();
  corral::v1::Diagnosis d = DiagnoseFleet({MakeView(erased, kNow)}, Declared());
  const corral::v1::Hypothesis& h = Get(d, "stale_image");
  EXPECT_EQ(h.verdict(), "cannot_tell");
  EXPECT_EQ(h.evidence(0), "r1: setproctitle replaced the master's command line with its title");
  EXPECT_NE(h.what_would_tell().find("CORRAL_BUILD_REVISION"), std::string::npos);
}

TEST(Diagnose, ConfirmsCrashesResourceLimitsConflictsAndPermissions) {
  SnapshotBuilder b("api", "r1");
  b.Master(10, 1, 3)
      .Churn(6.0, 300)
      .Set("timeout", "30", "config_file")
      .Cgroup(int64_t{1950} << 20, int64_t{2} << 30, 3);
  b.last()->mutable_master()->add_read_errors("environ: permission denied");
  corral::v1::Diagnosis d = DiagnoseFleet({MakeView(b, kNow)}, Declared());
  EXPECT_EQ(Get(d, "crash_at_start").verdict(), "confirmed");
  EXPECT_EQ(Get(d, "resource_limits").verdict(), "confirmed");
  EXPECT_EQ(Get(d, "conflicting_sources").verdict(), "confirmed");
  EXPECT_EQ(Get(d, "conflicting_sources").evidence(0),
            "r1: won by another source than the command: timeout 30 (config_file, expected 120) [config file none, "
            "GUNICORN_CMD_ARGS unset]");
  EXPECT_EQ(Get(d, "permissions").verdict(), "confirmed");
  EXPECT_EQ(Get(d, "permissions").evidence(0),
            "r1: master uid unknown, workers uid unknown; unreadable: master 10 environ: permission denied");
  EXPECT_FALSE(Get(d, "permissions").fix().empty());
}

TEST(Diagnose, AnOverrideDeclaringDevelopmentSettingsIsConfirmed) {
  corral::v1::ServiceExpectations s = Declared().proto();
  corral::v1::Expectation* reload = s.add_expectations();
  reload->set_key("reload");
  reload->set_value("true");
  reload->set_origin("docker-compose.override.yml:6");
  reload->set_declared_by("compose");
  corral::v1::Diagnosis d = DiagnoseFleet({MakeView(Good("r1", 10), kNow)}, Expectations(s));
  const corral::v1::Hypothesis& h = Get(d, "compose_override");
  EXPECT_EQ(h.verdict(), "confirmed");
  EXPECT_EQ(h.evidence(1), "from an override file: reload=true (docker-compose.override.yml:6)");
}

}  // namespace
}  // namespace corral::server
