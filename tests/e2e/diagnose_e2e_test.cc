// The incident end to end: a fleet with a stale replica, the repository's
// compose files imported as expectations, `corral diagnose` naming the
// stale image, and expectations and history surviving a SIGKILL of the
// server while `corral watch` keeps following.
#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "corral/v1/fleet.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/json_message.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::Container;
using corral::testing::Corral;
using corral::testing::OnlineInstances;
using corral::testing::ServerProcess;
using corral::testing::WaitFor;

using corral::testing::Parse;

std::map<std::string, corral::v1::Hypothesis> ById(const corral::v1::Diagnosis& d) {
  std::map<std::string, corral::v1::Hypothesis> out;
  for (const auto& h : d.hypotheses()) out[h.id()] = h;
  return out;
}

int CountEvents(const corral::v1::HistoryResponse& h, const std::string& kind, const std::string& rule = "") {
  int n = 0;
  for (const auto& e : h.events()) n += e.kind() == kind && (rule.empty() || e.rule() == rule);
  return n;
}

TEST(DiagnoseE2E, ImportDiagnoseAndAHistoryThatSurvivesAKilledServer) {
  std::string dir = corral::testing::MakeTempDir("diagnose");
  const std::vector<std::string> server_flags = {"--agent-interval", "500ms"};
  auto server = ServerProcess::Start(dir, server_flags);
  std::vector<std::unique_ptr<Container>> fleet = corral::testing::StartIncidentFleet(dir, *server);
  ASSERT_EQ(fleet.size(), 3u);

  corral::testing::RunResult imported = Corral(
      {"expect", "import", corral::testing::SourceDir() + "/examples/incident/docker-compose.yml"}, server->address());
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  EXPECT_NE(imported.out.find("imported 2 service(s)"), std::string::npos) << imported.out;
  EXPECT_NE(imported.out.find("docker-compose.override.yml"), std::string::npos) << imported.out;

  // Once every replica's workers are reported, diagnose names the stale image.
  corral::testing::RunResult run;
  corral::v1::Diagnosis diagnosis;
  ASSERT_TRUE(WaitFor(
      [&] {
        run = Corral({"diagnose", "api-backend", "--json"}, server->address());
        if (run.exit_code != 1) return false;
        diagnosis = Parse<corral::v1::Diagnosis>(run.out);
        return ById(diagnosis)["crash_at_start"].verdict() == "ruled_out" &&
               ById(diagnosis)["wsgi_entry_point"].verdict() == "ruled_out";
      },
      absl::Seconds(15)))
      << run.out << run.err;
  std::map<std::string, corral::v1::Hypothesis> h = ById(diagnosis);
  ASSERT_EQ(h.size(), 7u);
  EXPECT_EQ(h["stale_image"].verdict(), "confirmed");
  ASSERT_EQ(h["stale_image"].instances_size(), 1);
  EXPECT_EQ(h["stale_image"].instances(0), "replica-3");
  EXPECT_EQ(h["stale_image"].fix(), "docker compose build --no-cache api-backend && docker compose up -d api-backend");
  EXPECT_TRUE(absl::StrContains(h["stale_image"].evidence(0), "workers 1 vs 3")) << h["stale_image"].evidence(0);
  for (const char* id : {"compose_override", "wsgi_entry_point", "crash_at_start", "resource_limits",
                         "conflicting_sources", "permissions"}) {
    EXPECT_EQ(h[id].verdict(), "ruled_out") << id << ": " << h[id].DebugString();
    EXPECT_GT(h[id].evidence_size(), 0) << id;
  }
  EXPECT_EQ(diagnosis.summary(), "api-backend: confirmed: stale Docker image (replica-3)");
  corral::testing::RunResult text = Corral({"diagnose", "api-backend"}, server->address());
  EXPECT_NE(text.out.find("6. stale Docker image  confirmed  (replica-3)"), std::string::npos) << text.out;

  // The history has the finding; a watcher follows along.
  corral::v1::HistoryResponse before;
  ASSERT_TRUE(WaitFor(
      [&] {
        before = Parse<corral::v1::HistoryResponse>(Corral({"history", "--json"}, server->address()).out);
        return CountEvents(before, "finding_opened", "STALE_IMAGE") == 1;
      },
      absl::Seconds(10)));
  EXPECT_EQ(CountEvents(before, "expectation_changed"), 9);
  std::string watch_log = dir + "/watch.log";
  auto watch = corral::testing::Process::Start({corral::testing::BinPath("corral"), "watch", "--service", "api-backend",
                                                "--json", "--server", server->address()},
                                               {}, watch_log);
  // The watcher is following once a change made now reaches it (one made
  // before it asked for the newest event would not).
  int threads = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        Corral({"expect", "set", "api-backend", "threads=" + std::to_string(++threads)}, server->address());
        return WaitFor([&] { return absl::StrContains(watch->Log(), "\"setting\":\"threads\""); },
                       absl::Milliseconds(500));
      },
      absl::Seconds(10)))
      << watch->Log();

  // SIGKILL between reports, then the same data directory again.
  server->process().Signal(SIGKILL);
  ASSERT_EQ(server->process().Wait(absl::Seconds(5)), 128 + SIGKILL);
  server = ServerProcess::Start(dir, server_flags, server->port());
  corral::testing::RunResult shown = Corral({"expect", "show", "api-backend", "--json"}, server->address());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  corral::v1::ExpectationsList expectations = Parse<corral::v1::ExpectationsList>(shown.out);
  ASSERT_EQ(expectations.services_size(), 1);
  EXPECT_EQ(expectations.services(0).expectations_size(), 8);

  // A change after the restart reaches the watcher, which reconnected by itself.
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == 3; }, absl::Seconds(20)));
  ASSERT_EQ(Corral({"expect", "set", "api-backend", "timeout=90"}, server->address()).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(watch->Log(), "\"after\":\"90\""); }, absl::Seconds(15)))
      << watch->Log();
  EXPECT_NE(watch->Log().find("reconnecting"), std::string::npos) << watch->Log();

  // Everything from before the kill is still there, and the restart did not
  // reopen what was already open.
  // timeout=90 makes the healthy replicas drift too: once that is recorded,
  // the server is past its warm-up and has compared everything.
  corral::v1::HistoryResponse after;
  ASSERT_TRUE(WaitFor(
      [&] {
        after = Parse<corral::v1::HistoryResponse>(Corral({"history", "--json"}, server->address()).out);
        for (const auto& e : after.events()) {
          if (e.kind() == "finding_opened" && e.rule() == "CONFIG_DRIFT" && e.instance() == "replica-1") return true;
        }
        return false;
      },
      absl::Seconds(15)));
  for (const corral::v1::Event& e : before.events()) {
    bool found = false;
    for (const corral::v1::Event& a : after.events()) found |= a.id() == e.id() && a.message() == e.message();
    EXPECT_TRUE(found) << "lost: " << e.DebugString();
  }
  EXPECT_EQ(CountEvents(after, "finding_opened", "STALE_IMAGE"), 1);
  EXPECT_EQ(CountEvents(after, "finding_resolved", "STALE_IMAGE"), 0);
  EXPECT_EQ(CountEvents(after, "server_started"), 2);
  corral::testing::RunResult recent =
      Corral({"history", "--service", "api-backend", "--since", "1h"}, server->address());
  EXPECT_NE(recent.out.find("expectation_changed  api-backend: expects timeout=90 (was 120)"), std::string::npos)
      << recent.out;
}

TEST(DiagnoseE2E, BadExpectationsAreRefusedAndNothingIsStored) {
  std::string dir = corral::testing::MakeTempDir("expect");
  auto server = ServerProcess::Start(dir);
  corral::testing::RunResult bad =
      Corral({"expect", "set", "api", "workers=3", "preload_app=maybe"}, server->address());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "corral expect set: api: expectation preload_app=maybe: invalid value for preload_app: 'maybe' (not true "
            "or false)\n");
  corral::testing::RunResult unknown = Corral({"expect", "set", "api", "worker=3"}, server->address());
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("did you mean 'workers'?"), std::string::npos) << unknown.err;
  corral::testing::RunResult shown = Corral({"expect", "show"}, server->address());
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_EQ(shown.out, "no expectations (set some with corral expect set or corral expect import)\n");
  corral::testing::RunResult missing = Corral({"diagnose", "nothing-here"}, server->address());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err,
            "corral diagnose: no instance of service 'nothing-here' has reported and nothing is expected of it\n");
}

}  // namespace
}  // namespace corral
