// Two corral-servers on one PostgreSQL (a real PostgreSQL 15 started by the
// test), with real agents reporting to both: expectations set through one
// are used by the other, the history writer can be SIGKILLed and the other
// takes over with every change recorded exactly once, PostgreSQL can restart
// under the servers, and a database of a newer schema is refused.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "corral/v1/fleet.pb.h"
#include "gtest/gtest.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/json_message.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::Container;
using corral::testing::ContainerOptions;
using corral::testing::Corral;
using corral::testing::Parse;
using corral::testing::PostgresCluster;
using corral::testing::RunResult;
using corral::testing::ServerProcess;
using corral::testing::WaitFor;

class HighAvailabilityE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = corral::testing::MakeTempDir("ha");
    std::string error;
    cluster_ = PostgresCluster::Create(&error);
    ASSERT_NE(cluster_, nullptr) << error;
    ASSERT_TRUE(cluster_->CreateDatabase("corral"));
  }

  // Server `name` (its own data directory) on the shared database.
  std::unique_ptr<ServerProcess> StartServer(const std::string& name) {
    std::string dir = absl::StrCat(dir_, "/", name);
    std::filesystem::create_directories(dir);
    return ServerProcess::Start(dir, {"--database", cluster_->Uri("corral"), "--agent-interval", "500ms"});
  }

  // A replica of api-backend running the declared command, its agent
  // reporting to every server in `servers`.
  std::unique_ptr<Container> StartReplica(const std::string& instance, const std::vector<ServerProcess*>& servers) {
    std::vector<std::string> agent_args;
    for (size_t i = 1; i < servers.size(); ++i) {
      agent_args.push_back("--server");
      agent_args.push_back(servers[i]->unix_target());
    }
    return Container::Start(dir_, ContainerOptions{"api-backend", instance, corral::testing::kDeclaredArgs,
                                                   servers[0]->unix_target(), "500ms", agent_args});
  }

  // (kind, instance) -> how many times the history read through `server`
  // has it.
  static std::map<std::pair<std::string, std::string>, int> History(const ServerProcess& server) {
    RunResult run = Corral({"history", "--json", "--limit", "10000"}, server.address());
    std::map<std::pair<std::string, std::string>, int> count;
    if (run.exit_code != 0) return count;
    corral::v1::HistoryResponse history = Parse<corral::v1::HistoryResponse>(run.out);
    for (const auto& e : history.events()) ++count[{e.kind(), e.instance()}];
    return count;
  }

  // Per instance: "ok" when its instance_* events (oldest first) include
  // instance_online and no two in a row are the same change; else what is
  // wrong.
  static std::map<std::string, std::string> StateChanges(const std::vector<corral::v1::Event>& events) {
    std::map<std::string, std::vector<std::string>> states;
    for (const auto& e : events) {
      if (absl::StartsWith(e.kind(), "instance_") && !e.instance().empty()) states[e.instance()].push_back(e.after());
    }
    std::map<std::string, std::string> out;
    for (const auto& [instance, seq] : states) {
      std::string verdict = "ok";
      for (size_t i = 1; i < seq.size(); ++i) {
        if (seq[i] == seq[i - 1]) verdict = "recorded twice: " + seq[i];
      }
      if (std::find(seq.begin(), seq.end(), "online") == seq.end()) verdict = "never online";
      out[instance] = verdict;
    }
    return out;
  }

  static bool Online(const ServerProcess& server, const std::string& instance) {
    return History(server)[{"instance_online", instance}] > 0;
  }

  std::string dir_;
  std::unique_ptr<PostgresCluster> cluster_;
};

TEST_F(HighAvailabilityE2E, ExpectationsSetThroughOneServerAreUsedByTheOther) {
  auto a = StartServer("a");
  auto b = StartServer("b");
  auto replica = StartReplica("replica-1", {a.get(), b.get()});
  ASSERT_TRUE(replica->WaitForWorkers(3, absl::Seconds(20)));
  ASSERT_TRUE(WaitFor([&] { return corral::testing::OnlineInstances(b->address()) == 1; }, absl::Seconds(20)));

  RunResult set = Corral({"expect", "set", "api-backend", "workers=5"}, a->address());
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
  absl::Time set_at = absl::Now();
  // B judges the replica by the expectation it did not receive itself.
  RunResult check;
  ASSERT_TRUE(WaitFor(
      [&] {
        check = Corral({"check", "--service", "api-backend"}, b->address());
        return check.exit_code == 1 && absl::StrContains(check.out, "WORKERS_BELOW_EXPECTED");
      },
      absl::Seconds(10)))
      << check.out << check.err;
  RecordProperty("expectation_seen_by_other_server_ms", absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - set_at)));

  RunResult shown_a = Corral({"expect", "show", "api-backend", "--json"}, a->address());
  RunResult shown_b = Corral({"expect", "show", "api-backend", "--json"}, b->address());
  ASSERT_EQ(shown_b.exit_code, 0) << shown_b.err;
  EXPECT_EQ(shown_a.out, shown_b.out) << "`expect show` agrees on both servers";
  auto list = Parse<corral::v1::ExpectationsList>(shown_b.out);
  ASSERT_EQ(list.services_size(), 1);
  ASSERT_EQ(list.services(0).expectations_size(), 1);
  EXPECT_EQ(list.services(0).expectations(0).value(), "5");

  // Unset through B: A stops judging against it.
  RunResult unset = Corral({"expect", "unset", "api-backend", "workers"}, b->address());
  ASSERT_EQ(unset.exit_code, 0) << unset.out << unset.err;
  EXPECT_TRUE(WaitFor(
      [&] {
        return Corral({"check", "--service", "api-backend"}, a->address()).exit_code == 0;
      },
      absl::Seconds(10)));
  // One expectation_changed event per change, in the one shared history.
  EXPECT_EQ((History(*a)[{"expectation_changed", ""}]), 2);
  EXPECT_EQ(History(*a), History(*b));
}

TEST_F(HighAvailabilityE2E, KillingTheHistoryWriterHandsTheHistoryOverWithEveryChangeOnce) {
  auto a = StartServer("a");  // first up: the writer
  ASSERT_TRUE(absl::StrContains(a->process().Log(), "this server is the history writer"));
  auto b = StartServer("b");
  ASSERT_TRUE(absl::StrContains(b->process().Log(), "this server is not (yet) the history writer"));
  auto first = StartReplica("replica-1", {a.get(), b.get()});
  ASSERT_TRUE(WaitFor([&] { return Online(*b, "replica-1"); }, absl::Seconds(20)));

  // A watcher on B, which does not write the history: it streams what A
  // stores, and then what B stores itself.
  auto watch = corral::testing::Process::Start(
      {corral::testing::BinPath("corral"), "watch", "--json", "--server", b->address()}, {}, dir_ + "/watch.log");
  // It follows once a change made now reaches it (one made before its
  // stream was open would not): an expectation set through A.
  int threads = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        Corral({"expect", "set", "api-backend", "threads=" + std::to_string(++threads)}, a->address());
        return WaitFor([&] { return absl::StrContains(watch->Log(), "\"setting\":\"threads\""); }, absl::Seconds(2));
      },
      absl::Seconds(20)))
      << watch->Log();
  // A change that A may or may not have committed when it dies.
  auto second = StartReplica("replica-2", {a.get(), b.get()});
  ASSERT_TRUE(WaitFor([&] { return corral::testing::OnlineInstances(a->address()) == 2; }, absl::Seconds(20)));
  absl::Time killed_at = absl::Now();
  a->process().Signal(SIGKILL);
  ASSERT_EQ(a->process().Wait(absl::Seconds(5)), 128 + SIGKILL);

  ASSERT_TRUE(
      WaitFor([&] { return absl::StrContains(b->process().Log(), "is now the history writer"); }, absl::Seconds(15)))
      << b->process().Log();
  RecordProperty("failover_ms", absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - killed_at)));
  // A change after the failover.
  auto third = StartReplica("replica-3", {a.get(), b.get()});
  ASSERT_TRUE(WaitFor([&] { return Online(*b, "replica-3"); }, absl::Seconds(20)));
  absl::SleepFor(absl::Seconds(2));  // anything written twice would be by now

  // Every change once: each instance came online, and no state change is
  // recorded twice in a row. (Under load an instance may really go offline
  // and come back, which is two changes, not one written twice.)
  RunResult listed = Corral({"history", "--json", "--limit", "10000"}, b->address());
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  corral::v1::HistoryResponse stored = Parse<corral::v1::HistoryResponse>(listed.out);
  std::vector<corral::v1::Event> events(stored.events().begin(), stored.events().end());
  EXPECT_EQ(StateChanges(events),
            (std::map<std::string, std::string>{{"replica-1", "ok"}, {"replica-2", "ok"}, {"replica-3", "ok"}}))
      << Corral({"history"}, b->address()).out;
  EXPECT_EQ((History(*b)[{"server_started", ""}]), 2);
  // The watcher got them the same way.
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(watch->Log(), "\"instance\":\"replica-3\""); }, absl::Seconds(5)))
      << watch->Log();
  std::vector<corral::v1::Event> watched;
  for (absl::string_view line : absl::StrSplit(watch->Log(), '\n')) {
    if (absl::StartsWith(line, "{")) watched.push_back(Parse<corral::v1::Event>(std::string(line)));
  }
  EXPECT_EQ(StateChanges(watched), (std::map<std::string, std::string>{{"replica-2", "ok"}, {"replica-3", "ok"}}))
      << watch->Log();
}

TEST_F(HighAvailabilityE2E, PostgresRestartedUnderTheServersLosesNothingCommitted) {
  auto a = StartServer("a");
  auto b = StartServer("b");
  auto first = StartReplica("replica-1", {a.get(), b.get()});
  ASSERT_TRUE(WaitFor([&] { return Online(*b, "replica-1"); }, absl::Seconds(20)));
  RunResult set = Corral({"expect", "set", "api-backend", "workers=3"}, a->address());
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;

  ASSERT_TRUE(cluster_->Stop());
  // Detected while the database is down: kept in memory by the writer.
  auto second = StartReplica("replica-2", {a.get(), b.get()});
  ASSERT_TRUE(WaitFor([&] { return corral::testing::OnlineInstances(b->address()) == 2; }, absl::Seconds(20)));
  absl::SleepFor(absl::Seconds(1));
  ASSERT_TRUE(cluster_->Start());

  ASSERT_TRUE(WaitFor([&] { return Online(*a, "replica-2"); }, absl::Seconds(20)));
  absl::SleepFor(absl::Seconds(2));
  std::map<std::pair<std::string, std::string>, int> history = History(*a);
  RunResult listed = Corral({"history", "--json", "--limit", "10000"}, a->address());
  corral::v1::HistoryResponse stored = Parse<corral::v1::HistoryResponse>(listed.out);
  EXPECT_EQ(StateChanges({stored.events().begin(), stored.events().end()}),
            (std::map<std::string, std::string>{{"replica-1", "ok"}, {"replica-2", "ok"}}))
      << Corral({"history"}, a->address()).out;
  EXPECT_EQ((history[{"expectation_changed", ""}]), 1);
  EXPECT_EQ(history, History(*b));
  RunResult shown = Corral({"expect", "show", "api-backend", "--json"}, b->address());
  EXPECT_TRUE(absl::StrContains(shown.out, "\"workers\"")) << shown.out;
}

TEST_F(HighAvailabilityE2E, AServerRefusesADatabaseOfANewerSchema) {
  {
    auto a = StartServer("a");  // creates the schema
  }
  ASSERT_EQ(cluster_->Sql("corral", "UPDATE corral_schema SET version = 99").exit_code, 0);
  RunResult refused =
      corral::testing::RunCommand({corral::testing::BinPath("corral-server"), "--listen", "127.0.0.1:0", "--http",
                                   "off", "--data-dir", dir_ + "/refused", "--database", cluster_->Uri("corral")},
                                  {}, "", absl::Seconds(20));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(refused.err, absl::StrCat("postgresql://postgres@127.0.0.1:", cluster_->port(),
                                                          "/corral was written by a newer corral-server (schema "
                                                          "version 99; this one reads up to 2)")))
      << refused.err;
}

}  // namespace
}  // namespace corral
