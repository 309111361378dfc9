// ExpectationBook and History over a real SQLite file: what survives a
// restart, and what is refused without a trace.
#include "server/history.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <memory>

#include "gtest/gtest.h"
#include "server/expectation_book.h"
#include "server/rules.h"
#include "tests/support/snapshot_builder.h"
#include "tests/support/subprocess.h"

namespace corral::server {
namespace {

using corral::testing::MakeView;
using corral::testing::SnapshotBuilder;

const absl::Time kT0 = absl::FromUnixSeconds(100000);

corral::v1::SetExpectationsRequest Request(const std::string& service,
                                           std::vector<std::pair<std::string, std::string>> pairs,
                                           bool replace = false) {
  corral::v1::SetExpectationsRequest r;
  r.set_replace(replace);
  corral::v1::ServiceExpectations* s = r.add_services();
  s->set_service(service);
  for (const auto& [key, value] : pairs) {
    corral::v1::Expectation* e = s->add_expectations();
    e->set_key(key);
    e->set_value(value);
  }
  return r;
}

std::vector<std::string> Keys(const corral::v1::ExpectationsList& list) {
  std::vector<std::string> out;
  for (const auto& s : list.services()) {
    for (const auto& e : s.expectations()) out.push_back(s.service() + ":" + e.key() + "=" + e.value());
  }
  return out;
}

class StoreDir : public ::testing::Test {
 protected:
  void SetUp() override { path_ = corral::testing::MakeTempDir("history-test") + "/corral.db"; }
  std::unique_ptr<Store> Open() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    return *std::move(store);
  }
  std::string path_;
};

TEST_F(StoreDir, ExpectationsSurviveAReopenAndBadOnesLeaveNoTrace) {
  {
    std::unique_ptr<Store> store = Open();
    std::unique_ptr<ExpectationBook> book = *ExpectationBook::Open(store.get());
    std::vector<corral::v1::Event> events;
    absl::StatusOr<corral::v1::ExpectationsList> bad =
        book->Set(Request("api", {{"workers", "3"}, {"timeout", "soon"}}), kT0, &events);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().message(),
              "api: expectation timeout=soon: invalid value for timeout: 'soon' (not an integer)");
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(book->For("api"), nullptr);

    ASSERT_TRUE(book->Set(Request("api", {{"workers", "3"}, {"preload_app", "True"}}), kT0, &events).ok());
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind(), "expectation_changed");
    EXPECT_EQ(events[0].message(), "api: expects preload_app=true, from corral expect set");
    // min_workers replaces workers; the rest stays.
    events.clear();
    ASSERT_TRUE(book->Set(Request("api", {{"min_workers", "2"}}), kT0 + absl::Seconds(1), &events).ok());
    EXPECT_EQ(Keys(book->Get("api")), (std::vector<std::string>{"api:min_workers=2", "api:preload_app=true"}));
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].message(), "api: no longer expects workers (was 3)");
  }
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<ExpectationBook> book = *ExpectationBook::Open(store.get());
  EXPECT_EQ(Keys(book->Get("")), (std::vector<std::string>{"api:min_workers=2", "api:preload_app=true"}));
  EXPECT_EQ(book->For("api")->Int("min_workers"), 2);

  std::vector<corral::v1::Event> events;
  corral::v1::UnsetExpectationsRequest unset;
  unset.set_service("api");
  unset.add_keys("nothing");
  EXPECT_EQ(book->Unset(unset, kT0, &events).status().code(), absl::StatusCode::kNotFound);
  unset.clear_keys();
  ASSERT_TRUE(book->Unset(unset, kT0, &events).ok());
  EXPECT_EQ(book->For("api"), nullptr);
  EXPECT_TRUE(store->LoadExpectations()->empty());
}

TEST_F(StoreDir, AnImportReplacesOnlyTheServicesItNames) {
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<ExpectationBook> book = *ExpectationBook::Open(store.get());
  std::vector<corral::v1::Event> events;
  ASSERT_TRUE(book->Set(Request("api", {{"workers", "3"}, {"timeout", "60"}}), kT0, &events).ok());
  ASSERT_TRUE(book->Set(Request("billing", {{"workers", "2"}}), kT0, &events).ok());
  ASSERT_TRUE(book->Set(Request("api", {{"workers", "4"}}, /*replace=*/true), kT0, &events).ok());
  EXPECT_EQ(Keys(book->Get("")), (std::vector<std::string>{"api:workers=4", "billing:workers=2"}));
}

class Clock {
 public:
  absl::Time now = kT0;
  std::function<absl::Time()> Fn() {
    return [this] { return now; };
  }
};

std::vector<std::string> Kinds(const std::vector<corral::v1::Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.kind() + "/" + e.instance() + (e.rule().empty() ? "" : "/" + e.rule()));
  return out;
}

TEST_F(StoreDir, AFreshServerRecordsAtOnceAndARestartRepeatsNothing) {
  Clock clock;
  HistoryOptions options;
  options.now = clock.Fn();
  SnapshotBuilder stale("api", "r1");
  stale.Master(10, 1, 3).Churn(5, 600);
  std::vector<InstanceView> views = {MakeView(stale, kT0)};
  std::vector<corral::v1::Finding> findings = EvaluateService("api", views, kT0).findings;
  {
    // Nothing remembered: the first evaluation is recorded.
    std::unique_ptr<Store> store = Open();
    std::unique_ptr<History> history = *History::Open(store.get(), options);
    EXPECT_EQ(history->NextSettlingDeadline("api"), absl::InfiniteFuture());
    std::vector<corral::v1::Event> seen;
    history->Subscribe([&](const corral::v1::Event& e) { seen.push_back(e); });
    history->Observe("api", 1, views, findings);
    EXPECT_EQ(Kinds(seen), (std::vector<std::string>{"instance_online/r1", "finding_opened/r1/WORKERS_BELOW_CONFIG",
                                                     "finding_opened/r1/WORKER_CHURN"}));
    EXPECT_GT(seen[0].id(), 0);
    EXPECT_EQ(seen[1].id(), seen[0].id() + 1);
    // An older evaluation arriving late is ignored.
    history->Observe("api", 0, views, {});
    EXPECT_EQ(seen.size(), 3u);
  }
  // The server restarts; the same state is no news.
  clock.now += absl::Minutes(1);
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<History> history = *History::Open(store.get(), options);
  std::vector<corral::v1::Event> seen;
  history->Subscribe([&](const corral::v1::Event& e) { seen.push_back(e); });
  history->Observe("api", 7, views, findings);
  EXPECT_TRUE(seen.empty());
  SnapshotBuilder fixed("api", "r1");
  fixed.Master(10, 3, 3);
  history->Observe("api", 8, {MakeView(fixed, clock.now)}, {});
  EXPECT_EQ(Kinds(seen), (std::vector<std::string>{"workers_changed/r1", "finding_resolved/r1/WORKERS_BELOW_CONFIG",
                                                   "finding_resolved/r1/WORKER_CHURN"}));
  bool truncated = true;
  absl::StatusOr<std::vector<corral::v1::Event>> stored = history->Query(EventQuery{}, &truncated);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 6u);
  EXPECT_FALSE(truncated);
}

TEST_F(StoreDir, AfterARestartReplicasBackAreComparedAtOnceAndTheRestWhenTheyReturnOrTheirWaitEnds) {
  Clock clock;
  HistoryOptions options;
  options.now = clock.Fn();
  // r1 and r2 report every second, r3 every 10 s; r3 runs fewer workers
  // than the others, so the replicas disagree.
  SnapshotBuilder r1("api", "r1"), r2("api", "r2"), r3("api", "r3", /*interval_ms=*/10000);
  r1.Master(10, 3, 3);
  r2.Master(20, 3, 3);
  r3.Master(30, 2, 2);
  auto all = [&](absl::Time t) { return std::vector<InstanceView>{MakeView(r1, t), MakeView(r2, t), MakeView(r3, t)}; };
  {
    std::unique_ptr<Store> store = Open();
    std::unique_ptr<History> history = *History::Open(store.get(), options);
    history->Observe("api", 1, all(kT0), EvaluateService("api", all(kT0), kT0).findings);
  }
  clock.now = kT0 + absl::Minutes(1);
  absl::Time restart = clock.now;
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<History> history = *History::Open(store.get(), options);
  std::vector<corral::v1::Event> seen;
  history->Subscribe([&](const corral::v1::Event& e) { seen.push_back(e); });
  // Three of each remembered instance's own intervals.
  EXPECT_EQ(history->NextSettlingDeadline("api"), restart + absl::Seconds(3));

  // r1 is back, crash-looping: recorded at once. r2 and r3 are not back,
  // and the disagreement is not judged on one replica.
  SnapshotBuilder looping("api", "r1");
  looping.Master(10, 1, 3).Churn(6, 600);
  std::vector<InstanceView> views = {MakeView(looping, clock.now)};
  history->Observe("api", 2, views, EvaluateService("api", views, clock.now).findings);
  EXPECT_EQ(Kinds(seen), (std::vector<std::string>{"workers_changed/r1", "finding_opened/r1/WORKERS_BELOW_CONFIG",
                                                   "finding_opened/r1/WORKER_CHURN"}));
  seen.clear();

  // r2 is back as it was: nothing new. r3's wait (30 s) is not over.
  clock.now += absl::Seconds(1);
  views = {MakeView(r1, clock.now), MakeView(r2, clock.now)};
  history->Observe("api", 3, views, EvaluateService("api", views, clock.now).findings);
  EXPECT_EQ(Kinds(seen), (std::vector<std::string>{"workers_changed/r1", "finding_resolved/r1/WORKERS_BELOW_CONFIG",
                                                   "finding_resolved/r1/WORKER_CHURN"}));
  EXPECT_EQ(history->NextSettlingDeadline("api"), restart + absl::Seconds(30));
  seen.clear();

  // r3 returns unchanged: the full comparison repeats nothing.
  clock.now += absl::Seconds(5);
  history->Observe("api", 4, all(clock.now), EvaluateService("api", all(clock.now), clock.now).findings);
  EXPECT_TRUE(seen.empty()) << Kinds(seen).front();
  EXPECT_EQ(history->NextSettlingDeadline("api"), absl::InfiniteFuture());
}

TEST_F(StoreDir, ARememberedReplicaThatDoesNotReturnIsOfflineAfterThreeOfItsIntervals) {
  Clock clock;
  HistoryOptions options;
  options.now = clock.Fn();
  SnapshotBuilder r1("api", "r1"), r2("api", "r2", /*interval_ms=*/2000);
  r1.Master(10, 3, 3);
  r2.Master(20, 2, 2);
  std::vector<InstanceView> both = {MakeView(r1, kT0), MakeView(r2, kT0)};
  {
    std::unique_ptr<Store> store = Open();
    std::unique_ptr<History> history = *History::Open(store.get(), options);
    history->Observe("api", 1, both, EvaluateService("api", both, kT0).findings);
  }
  clock.now = kT0 + absl::Minutes(1);
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<History> history = *History::Open(store.get(), options);
  std::vector<corral::v1::Event> seen;
  history->Subscribe([&](const corral::v1::Event& e) { seen.push_back(e); });
  std::vector<InstanceView> one = {MakeView(r1, clock.now)};
  history->Observe("api", 2, one, EvaluateService("api", one, clock.now).findings);
  EXPECT_TRUE(seen.empty());
  clock.now += absl::Seconds(6);  // 3 x r2's 2 s
  history->Observe("api", 2, one, EvaluateService("api", one, clock.now).findings);
  // Judged on the replicas there are: r2 is offline, the disagreement over.
  EXPECT_EQ(Kinds(seen), (std::vector<std::string>{"instance_offline/r2", "finding_resolved//REPLICAS_DISAGREE"}));
}

}  // namespace
}  // namespace corral::server

namespace corral::server {
namespace {

TEST_F(StoreDir, AnInstanceThatLeftIsStoppedAtOnceAndStaleEvaluationsDoNotBringItBack) {
  Clock clock;
  HistoryOptions options;
  options.now = clock.Fn();
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<History> history = *History::Open(store.get(), options);
  std::vector<corral::v1::Event> seen;
  history->Subscribe([&](const corral::v1::Event& e) { seen.push_back(e); });
  SnapshotBuilder old_one("api", "old");
  old_one.Master(10, 1, 3);
  SnapshotBuilder new_one("api", "new");
  new_one.Master(11, 3, 3);
  std::vector<InstanceView> both = {MakeView(new_one, clock.now), MakeView(old_one, clock.now)};
  history->Observe("api", 1, both, EvaluateService("api", both, clock.now).findings);
  seen.clear();

  // compose recreates the container: the old agent says it is leaving.
  clock.now += absl::Seconds(1);
  history->Left("api", "old");
  EXPECT_EQ(Kinds(seen), (std::vector<std::string>{"finding_resolved/old/RUNTIME_SCALED", "instance_stopped/old"}));
  EXPECT_EQ(seen.back().before(), "online");
  EXPECT_EQ(seen.back().after(), "stopped");
  EXPECT_EQ(seen.back().message(), "api/old stopped: its agent is shutting down, so it no longer counts as a replica");

  // An evaluation made before it left arrives late: no ghost comes back,
  // and the gone replica is not reported offline later either.
  seen.clear();
  history->Observe("api", 2, both, EvaluateService("api", both, clock.now).findings);
  EXPECT_TRUE(seen.empty()) << Kinds(seen).front();
  clock.now += absl::Minutes(5);
  std::vector<InstanceView> only_new = {MakeView(new_one, clock.now)};
  history->Observe("api", 3, only_new, EvaluateService("api", only_new, clock.now).findings);
  // The replicas agree again; nothing says the old one went offline.
  EXPECT_EQ(Kinds(seen), std::vector<std::string>{"finding_resolved//REPLICAS_DISAGREE"});
  seen.clear();

  // The same name reporting again is a new start.
  std::vector<InstanceView> back = {MakeView(new_one, clock.now), MakeView(old_one, clock.now)};
  history->Observe("api", 4, back, {});
  EXPECT_EQ(Kinds(seen), std::vector<std::string>{"instance_online/old"});
}

TEST_F(StoreDir, APodsEventsKeepItsNamespaceInTheStoreAndWhenItLeaves) {
  Clock clock;
  HistoryOptions options;
  options.now = clock.Fn();
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<History> history = *History::Open(store.get(), options);
  std::vector<corral::v1::Event> seen;
  history->Subscribe([&](const corral::v1::Event& e) { seen.push_back(e); });
  SnapshotBuilder pod("api", "api-7d9f8b6c5d-x2x9k");
  pod.Pod("prod", "node-1").Master(10, 2, 2);
  std::vector<InstanceView> views = {MakeView(pod, clock.now)};
  history->Observe("api", 1, views, EvaluateService("api", views, clock.now).findings);
  clock.now += absl::Seconds(1);
  history->Left("api", "api-7d9f8b6c5d-x2x9k");
  ASSERT_EQ(Kinds(seen), (std::vector<std::string>{"instance_online/api-7d9f8b6c5d-x2x9k",
                                                   "instance_stopped/api-7d9f8b6c5d-x2x9k"}));
  EXPECT_EQ(seen[0].namespace_(), "prod");
  EXPECT_EQ(seen[1].namespace_(), "prod");

  bool truncated = false;
  absl::StatusOr<std::vector<corral::v1::Event>> stored = store->Events(EventQuery{}, &truncated);
  ASSERT_TRUE(stored.ok()) << stored.status();
  std::vector<std::string> namespaces;
  for (const corral::v1::Event& e : *stored) {
    if (!e.instance().empty()) namespaces.push_back(e.kind() + ":" + e.namespace_());
  }
  EXPECT_EQ(namespaces, (std::vector<std::string>{"instance_online:prod", "instance_stopped:prod"}));
}

TEST_F(StoreDir, PruneKeepsWhatIsWithinTheRetention) {
  Clock clock;
  HistoryOptions options;
  options.retention = absl::Hours(24);
  options.now = clock.Fn();
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<History> history = *History::Open(store.get(), options);
  std::vector<corral::v1::Event> events(2);
  events[0].set_kind("server_started");
  events[0].set_time_unix_ms(absl::ToUnixMillis(kT0 - absl::Hours(25)));
  events[1].set_kind("server_started");
  events[1].set_time_unix_ms(absl::ToUnixMillis(kT0 - absl::Hours(23)));
  history->Record(events);
  EXPECT_EQ(*history->Prune(), 1);
  bool truncated = false;
  std::vector<corral::v1::Event> kept = *history->Query(EventQuery{}, &truncated);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].time_unix_ms(), absl::ToUnixMillis(kT0 - absl::Hours(23)));
}

// While it lives, no file this process writes may grow past its size now
// (as on a full disk; writes fail with EFBIG).
class NoGrowth {
 public:
  explicit NoGrowth(const std::string& file) {
    ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    struct stat st {};
    ::stat(file.c_str(), &st);
    struct rlimit limit = saved_;
    limit.rlim_cur = static_cast<rlim_t>(st.st_size);
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  }
  ~NoGrowth() { ::setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  struct rlimit saved_ {};
};

TEST_F(StoreDir, EventsThatCannotBeStoredWaitInMemoryAndAreStoredInOrderOnceTheyCanBe) {
  Clock clock;
  HistoryOptions options;
  options.now = clock.Fn();
  options.max_unsaved_events = 4;
  SnapshotBuilder stale("api", "r1");
  stale.Master(10, 1, 3).Churn(5, 600);
  SnapshotBuilder fixed("api", "r1");
  fixed.Master(10, 3, 3);
  auto stale_at = [&](absl::Time t) { return std::vector<InstanceView>{MakeView(stale, t)}; };
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<History> history = *History::Open(store.get(), options);
  std::vector<corral::v1::Event> seen;
  history->Subscribe([&](const corral::v1::Event& e) { seen.push_back(e); });
  history->Observe("api", 1, stale_at(kT0), EvaluateService("api", stale_at(kT0), kT0).findings);
  ASSERT_EQ(seen.size(), 3u);
  ASSERT_EQ(seen[2].id(), 3);
  bool truncated = false;
  {
    NoGrowth full(path_ + "-wal");
    clock.now += absl::Seconds(1);
    history->Observe("api", 2, {MakeView(fixed, clock.now)}, {});
    // Watchers are told at once; the events wait, without ids, for the file.
    EXPECT_EQ(Kinds(seen), (std::vector<std::string>{"instance_online/r1", "finding_opened/r1/WORKERS_BELOW_CONFIG",
                                                     "finding_opened/r1/WORKER_CHURN", "workers_changed/r1",
                                                     "finding_resolved/r1/WORKERS_BELOW_CONFIG",
                                                     "finding_resolved/r1/WORKER_CHURN"}));
    EXPECT_EQ(seen[3].id(), 0);
    EXPECT_EQ(history->unsaved(), 3u);
    clock.now += absl::Seconds(1);
    history->Flush();  // retried, still full
    EXPECT_EQ(history->unsaved(), 3u);
    // Past the limit of 4, events reach watchers but are not kept.
    clock.now += absl::Milliseconds(200);
    history->Observe("api", 3, stale_at(clock.now), EvaluateService("api", stale_at(clock.now), clock.now).findings);
    EXPECT_EQ(seen.size(), 9u);
    EXPECT_EQ(history->unsaved(), 4u);
    EXPECT_EQ(history->Query(EventQuery{}, &truncated)->size(), 3u);
  }
  clock.now += absl::Milliseconds(500);
  history->Flush();  // space is back, but the retry is not due yet
  EXPECT_EQ(history->unsaved(), 4u);
  clock.now += absl::Milliseconds(500);
  history->Flush();
  EXPECT_EQ(history->unsaved(), 0u);
  std::vector<corral::v1::Event> stored = *history->Query(EventQuery{}, &truncated);
  EXPECT_EQ(Kinds(stored),
            (std::vector<std::string>{"instance_online/r1", "finding_opened/r1/WORKERS_BELOW_CONFIG",
                                      "finding_opened/r1/WORKER_CHURN", "workers_changed/r1",
                                      "finding_resolved/r1/WORKERS_BELOW_CONFIG", "finding_resolved/r1/WORKER_CHURN",
                                      "workers_changed/r1", "events_lost/"}));
  EXPECT_EQ(stored.back().id(), 8);
  EXPECT_EQ(stored.back().message(),
            "2 event(s) from " +
                absl::FormatTime("%Y-%m-%d %H:%M:%S", kT0 + absl::Milliseconds(2200), absl::LocalTimeZone()) + " to " +
                absl::FormatTime("%Y-%m-%d %H:%M:%S", kT0 + absl::Milliseconds(2200), absl::LocalTimeZone()) +
                " were not stored: " + path_ + " could not be written and 4 already waited in memory");
  // Watchers learn of the loss too, with the event's id.
  EXPECT_EQ(seen.back().kind(), "events_lost");
  EXPECT_EQ(seen.back().id(), 8);
  // Written as usual from now on.
  history->Record({stored[0]});
  EXPECT_EQ(seen.back().id(), 9);

  // The memory stored is the latest one: a restart that sees the same
  // state records nothing.
  history.reset();
  store.reset();
  store = Open();
  history = *History::Open(store.get(), options);
  seen.clear();
  history->Subscribe([&](const corral::v1::Event& e) { seen.push_back(e); });
  clock.now += absl::Seconds(1);
  history->Observe("api", 4, stale_at(clock.now), EvaluateService("api", stale_at(clock.now), clock.now).findings);
  EXPECT_TRUE(seen.empty()) << Kinds(seen).size();
}

}  // namespace
}  // namespace corral::server
