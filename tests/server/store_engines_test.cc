// The Store's contract, run on both engines: SQLite (a file) and
// PostgreSQL (a real PostgreSQL 15 started for this suite). Then what only
// the shared engine does: the history lease, the expectations' version,
// appends that are never stored twice, and reconnecting after a restart.
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/expectation_book.h"
#include "server/history.h"
#include "server/postgres_store.h"
#include "server/store.h"
#include "tests/server/store_test_util.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/snapshot_builder.h"
#include "tests/support/subprocess.h"

namespace corral::server {
namespace {

using ::corral::testing::PostgresCluster;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A StatusOr's value, for ::testing::Optional; nullopt when not OK.
template <typename T>
std::optional<T> OkValue(const absl::StatusOr<T>& result) {
  return result.ok() ? std::optional<T>(*result) : std::nullopt;
}

// One PostgreSQL for the whole program; each test gets its own database.
PostgresCluster* Cluster() {
  static PostgresCluster* cluster = [] {
    std::string error;
    std::unique_ptr<PostgresCluster> started = PostgresCluster::Create(&error);
    if (started == nullptr) {
      std::cerr << "cannot start PostgreSQL: " << error << "\n";
      std::abort();
    }
    return started.release();
  }();
  return cluster;
}

// Stops PostgreSQL when the tests are done (a leaked static would leave it
// running).
class ClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { delete Cluster(); }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);

struct SqliteEngine {
  static std::string NewLocation() {
    std::string pattern = ::testing::TempDir() + "store_engines.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return pattern + "/corral.db";
  }
  static void SetSchemaVersion(const std::string& location, int version) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(location.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, absl::StrCat("PRAGMA user_version = ", version).c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
};

struct PostgresEngine {
  static std::string NewLocation() {
    static std::atomic<int> next{0};
    std::string name = absl::StrCat("store_", ::getpid(), "_", next++);
    EXPECT_TRUE(Cluster()->CreateDatabase(name));
    return Cluster()->Uri(name);
  }
  static void SetSchemaVersion(const std::string& location, int version) {
    std::string db = location.substr(location.rfind('/') + 1);
    corral::testing::RunResult r = Cluster()->Sql(db, absl::StrCat("UPDATE corral_schema SET version = ", version));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

template <typename Engine>
class StoreContract : public ::testing::Test {
 protected:
  std::string location_ = Engine::NewLocation();
};

using Engines = ::testing::Types<SqliteEngine, PostgresEngine>;
class EngineNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, SqliteEngine> ? "Sqlite" : "Postgres";
  }
};
TYPED_TEST_SUITE(StoreContract, Engines, EngineNames);

TYPED_TEST(StoreContract, ExpectationsComeBackOrderedByServiceThenKey) {
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  corral::v1::ServiceExpectations web = ServiceWith("web", {Expect("workers", "3"), Expect("timeout", "120")});
  corral::v1::ServiceExpectations api = ServiceWith(
      "api", {Expect("workers", "4"), Expect("app_uri", "wsgi:application"), Expect("bind", "0.0.0.0:8000")});
  ASSERT_TRUE(store->WriteExpectations({web, api}, /*replace=*/false).ok());

  auto loaded = store->LoadExpectations();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].service(), "api");
  EXPECT_THAT(Keys((*loaded)[0]), ElementsAre("app_uri", "bind", "workers"));
  EXPECT_THAT((*loaded)[0].expectations(0), EqualsProto(Expect("app_uri", "wsgi:application")));
  EXPECT_EQ((*loaded)[1].service(), "web");
  EXPECT_THAT(Keys((*loaded)[1]), ElementsAre("timeout", "workers"));
  EXPECT_THAT((*loaded)[1].expectations(1), EqualsProto(Expect("workers", "3")));
}

TYPED_TEST(StoreContract, UpsertKeepsOtherKeysWhileReplaceDropsThem) {
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->WriteExpectations({ServiceWith("api", {Expect("workers", "3"), Expect("timeout", "30")}),
                                       ServiceWith("web", {Expect("workers", "2")})},
                                      false)
                  .ok());
  ASSERT_TRUE(store->WriteExpectations({ServiceWith("api", {Expect("timeout", "120", 2000)})}, false).ok());
  auto upserted = store->LoadExpectations();
  ASSERT_TRUE(upserted.ok());
  ASSERT_EQ(upserted->size(), 2u);
  EXPECT_THAT((*upserted)[0].expectations(),
              ElementsAre(EqualsProto(Expect("timeout", "120", 2000)), EqualsProto(Expect("workers", "3"))));

  ASSERT_TRUE(store->WriteExpectations({ServiceWith("api", {Expect("preload_app", "true")})}, true).ok());
  auto replaced = store->LoadExpectations();
  ASSERT_TRUE(replaced.ok());
  ASSERT_EQ(replaced->size(), 2u);
  EXPECT_THAT(Keys((*replaced)[0]), ElementsAre("preload_app"));
  EXPECT_THAT(Keys((*replaced)[1]), ElementsAre("workers")) << "services not listed are untouched";

  ASSERT_TRUE(store->WriteExpectations({ServiceWith("api", {})}, true).ok());
  auto emptied = store->LoadExpectations();
  ASSERT_TRUE(emptied.ok());
  ASSERT_EQ(emptied->size(), 1u);
  EXPECT_EQ((*emptied)[0].service(), "web");
}

TYPED_TEST(StoreContract, DeletingKeysReturnsThoseRemovedOrderedByKey) {
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->WriteExpectations(
                      {ServiceWith("api", {Expect("workers", "3"), Expect("timeout", "30"), Expect("bind", "x")}),
                       ServiceWith("web", {Expect("workers", "2")})},
                      false)
                  .ok());

  auto removed = store->DeleteExpectations("api", {"workers", "never_set", "bind"});
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, ElementsAre(EqualsProto(Expect("bind", "x")), EqualsProto(Expect("workers", "3"))));
  auto all = store->DeleteExpectations("web", {});
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, ElementsAre(EqualsProto(Expect("workers", "2"))));
  auto again = store->DeleteExpectations("web", {});
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(*again, IsEmpty());

  auto left = store->LoadExpectations();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_THAT(Keys((*left)[0]), ElementsAre("timeout"));
}

TYPED_TEST(StoreContract, AppendGivesIncreasingIdsAndStoresEveryField) {
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->LastEventId(), 0);
  corral::v1::Event full = MakeEvent(5000, "api", "api-2 runs 1 worker, expected 3");
  full.set_id(999);  // ignored: the store gives ids
  full.set_kind("finding_opened");
  full.set_rule("WORKERS_BELOW_EXPECTED");
  full.set_severity("critical");
  full.set_setting("workers");
  full.set_namespace_("prod");
  std::vector<corral::v1::Event> first = {full, MakeEvent(5001, "web")};
  ASSERT_TRUE(store->Append(&first).ok());
  std::vector<corral::v1::Event> second = {MakeEvent(5002, "api")};
  ASSERT_TRUE(store->Append(&second).ok());

  EXPECT_THAT(Ids(first), ElementsAre(1, 2));
  EXPECT_THAT(Ids(second), ElementsAre(3));
  EXPECT_EQ(store->LastEventId(), 3);
  std::vector<corral::v1::Event> all = Query(*store, Matching());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_THAT(all[0], EqualsProto(first[0]));
  EXPECT_EQ(all[0].namespace_(), "prod");
  EXPECT_THAT(all[2], EqualsProto(second[0]));
}

TYPED_TEST(StoreContract, EventsFilterByTimeServiceAndId) {
  auto store = StoreWithEvents(this->location_, 9);  // times 100..900, services a b c a b c ...
  ASSERT_NE(store, nullptr);
  bool truncated = true;
  EXPECT_THAT(Times(Query(*store, Matching("", 600), &truncated)), ElementsAre(600, 700, 800, 900));
  EXPECT_FALSE(truncated);
  EXPECT_THAT(Times(Query(*store, Matching("b", 300))), ElementsAre(500, 800));
  EXPECT_THAT(Query(*store, Matching("nobody")), IsEmpty());
  EXPECT_THAT(Ids(Query(*store, Matching("", 0, 6))), ElementsAre(7, 8, 9));
  EXPECT_THAT(Ids(Query(*store, Matching("a", 0, 2))), ElementsAre(4, 7));
  EXPECT_THAT(Ids(Query(*store, Matching("", 850, 2))), ElementsAre(9));
  EXPECT_THAT(Query(*store, Matching("", 0, 9)), IsEmpty());
}

TYPED_TEST(StoreContract, LimitKeepsTheNewestAndSaysSo) {
  auto store = StoreWithEvents(this->location_, 9);
  ASSERT_NE(store, nullptr);
  bool truncated = false;
  EXPECT_THAT(Times(Query(*store, Matching("", 0, 0, 3), &truncated)), ElementsAre(700, 800, 900));
  EXPECT_TRUE(truncated);
  EXPECT_THAT(Times(Query(*store, Matching("c", 0, 0, 2), &truncated)), ElementsAre(600, 900));
  EXPECT_TRUE(truncated);
  EXPECT_THAT(Ids(Query(*store, Matching("", 0, 2, 3), &truncated)), ElementsAre(7, 8, 9));
  EXPECT_TRUE(truncated);
  EXPECT_THAT(Ids(Query(*store, Matching("a", 0, 0, 3), &truncated)), ElementsAre(1, 4, 7));
  EXPECT_FALSE(truncated) << "exactly `limit` matched";
  EXPECT_EQ(store->Events(Matching("", 0, 0, /*limit=*/0), &truncated).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(StoreContract, EventsAreOrderedByTimeThenId) {
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  // The clock went back between the second and the third event.
  std::vector<corral::v1::Event> events = {MakeEvent(100, "a"), MakeEvent(300, "a"), MakeEvent(200, "a"),
                                           MakeEvent(300, "a", "again")};
  ASSERT_TRUE(store->Append(&events).ok());
  EXPECT_THAT(Ids(Query(*store, Matching())), ElementsAre(1, 3, 2, 4));
  EXPECT_THAT(Ids(Query(*store, Matching("a", 0, 0, 2))), ElementsAre(2, 4));
  EXPECT_THAT(Ids(Query(*store, Matching("", 0, 1))), ElementsAre(3, 2, 4));
}

TYPED_TEST(StoreContract, EventsAfterAnIdComeInTheOrderTheyWereStored) {
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  // The clock went back between the second and the third event.
  std::vector<corral::v1::Event> events = {MakeEvent(100, "a"), MakeEvent(300, "b"), MakeEvent(200, "a"),
                                           MakeEvent(300, "a", "again")};
  ASSERT_TRUE(store->Append(&events).ok());
  absl::StatusOr<std::vector<corral::v1::Event>> all = store->EventsAfter(0, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(Ids(*all), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(Times(*all), ElementsAre(100, 300, 200, 300));
  absl::StatusOr<std::vector<corral::v1::Event>> next = store->EventsAfter(1, 2);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Ids(*next), ElementsAre(2, 3)) << "the first two after id 1, not the newest";
  EXPECT_THAT(OkValue(store->EventsAfter(4, 10)), ::testing::Optional(IsEmpty()));
  EXPECT_EQ(store->EventsAfter(0, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(StoreContract, PruningDeletesOlderEventsAndIdsKeepIncreasingAfterReopening) {
  {
    auto store = StoreWithEvents(this->location_, 9);
    ASSERT_NE(store, nullptr);
    auto pruned = store->PruneEvents(400);
    ASSERT_TRUE(pruned.ok()) << pruned.status();
    EXPECT_EQ(*pruned, 3);
    EXPECT_THAT(Times(Query(*store, Matching())), ElementsAre(400, 500, 600, 700, 800, 900));
    pruned = store->PruneEvents(1'000'000);
    ASSERT_TRUE(pruned.ok());
    EXPECT_EQ(*pruned, 6);
    EXPECT_EQ(store->LastEventId(), 9);
  }
  auto reopened = MustOpen(this->location_);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->LastEventId(), 9);
  std::vector<corral::v1::Event> events = {MakeEvent(5000, "a")};
  ASSERT_TRUE(reopened->Append(&events).ok());
  EXPECT_EQ(events[0].id(), 10);
  EXPECT_THAT(Ids(Query(*reopened, Matching())), ElementsAre(10));
}

TYPED_TEST(StoreContract, BaselinesAreReplacedAndDeletedWithAppend) {
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  std::string binary("\x00\x01\xff digest", 10);
  ASSERT_TRUE(store->Append(nullptr, {{"api", binary}, {"web", "w1"}}).ok());
  std::vector<corral::v1::Event> events = {MakeEvent(1, "api")};
  ASSERT_TRUE(store->Append(&events, {{"api", ""}, {"web", "w2"}, {"db", "d1"}}).ok());

  auto baselines = store->LoadBaselines();
  ASSERT_TRUE(baselines.ok()) << baselines.status();
  EXPECT_EQ(*baselines, (std::map<std::string, std::string>{{"db", "d1"}, {"web", "w2"}}));
  EXPECT_EQ(events[0].id(), 1);
  ASSERT_TRUE(store->Append(nullptr, {{"api", binary}}).ok());
  baselines = store->LoadBaselines();
  ASSERT_TRUE(baselines.ok());
  EXPECT_EQ(baselines->at("api"), binary) << "opaque bytes, NULs included";
}

TYPED_TEST(StoreContract, ReopeningKeepsEverything) {
  std::vector<corral::v1::Event> events = {MakeEvent(100, "api"), MakeEvent(200, "web")};
  corral::v1::ServiceExpectations api = ServiceWith("api", {Expect("workers", "3")});
  {
    auto store = MustOpen(this->location_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->WriteExpectations({api}, true).ok());
    ASSERT_TRUE(store->Append(&events, {{"api", "baseline"}}).ok());
  }
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  auto expectations = store->LoadExpectations();
  ASSERT_TRUE(expectations.ok());
  EXPECT_THAT(*expectations, ElementsAre(EqualsProto(api)));
  EXPECT_THAT(Query(*store, Matching()), ElementsAre(EqualsProto(events[0]), EqualsProto(events[1])));
  auto baselines = store->LoadBaselines();
  ASSERT_TRUE(baselines.ok());
  EXPECT_EQ(*baselines, (std::map<std::string, std::string>{{"api", "baseline"}}));
  EXPECT_EQ(store->LastEventId(), 2);
}

TYPED_TEST(StoreContract, StringsWithAnyBytesRoundTrip) {
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  const std::string odd = "caf\xc3\xa9 \xff\xfe\x80 'quoted' \"double\" %s ; DROP TABLE events; --";
  corral::v1::Event event = MakeEvent(7, odd, odd);
  event.set_before(odd);
  std::vector<corral::v1::Event> events = {event};
  ASSERT_TRUE(store->Append(&events, {{odd, odd}}).ok());
  corral::v1::Expectation e = Expect(odd, odd);
  e.set_origin(odd);
  ASSERT_TRUE(store->WriteExpectations({ServiceWith(odd, {e})}, false).ok());

  std::vector<corral::v1::Event> read = Query(*store, Matching(odd));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].service(), odd);
  EXPECT_EQ(read[0].message(), odd);
  EXPECT_EQ(read[0].before(), odd);
  auto expectations = store->LoadExpectations();
  ASSERT_TRUE(expectations.ok());
  ASSERT_EQ(expectations->size(), 1u);
  EXPECT_THAT((*expectations)[0].expectations(0), EqualsProto(e));
  auto removed = store->DeleteExpectations(odd, {odd});
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(*removed, ElementsAre(EqualsProto(e)));
  auto baselines = store->LoadBaselines();
  ASSERT_TRUE(baselines.ok());
  EXPECT_EQ(baselines->at(odd), odd);
}

TYPED_TEST(StoreContract, RefusesAStoreWrittenByANewerSchemaNamingBothVersions) {
  ASSERT_NE(MustOpen(this->location_), nullptr);
  TypeParam::SetSchemaVersion(this->location_, Store::kSchemaVersion + 1);

  auto store = Store::Open(this->location_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(),
              HasSubstr(absl::StrCat("written by a newer corral-server (schema version ", Store::kSchemaVersion + 1,
                                     "; this one reads up to ", Store::kSchemaVersion, ")")));
}

TYPED_TEST(StoreContract, ConcurrentAppendsGetDistinctIds) {
  auto store = MustOpen(this->location_);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4, kAppends = 25;
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        std::vector<corral::v1::Event> events = {MakeEvent(i, "api", absl::StrCat("thread ", t)),
                                                 MakeEvent(i, "web", absl::StrCat("thread ", t))};
        if (store->Append(&events).ok()) ids[t].insert(ids[t].end(), {events[0].id(), events[1].id()});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<int64_t> all;
  for (const auto& some : ids) all.insert(some.begin(), some.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kAppends * 2));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kAppends * 2);
}

// What only a store shared by several servers does.
class PostgresStoreTest : public ::testing::Test {
 protected:
  std::string location_ = PostgresEngine::NewLocation();
};

TEST_F(PostgresStoreTest, OneHolderOfTheHistoryLeaseAtATimeAndItPassesOnWhenTheHolderCloses) {
  auto first = Store::Open(location_);
  auto second = Store::Open(location_);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE((*first)->shared());
  bool taken = false;
  EXPECT_THAT(OkValue((*first)->HoldHistoryLease(&taken)), ::testing::Optional(true));
  EXPECT_TRUE(taken);
  EXPECT_THAT(OkValue((*first)->HoldHistoryLease(&taken)), ::testing::Optional(true));
  EXPECT_FALSE(taken) << "kept, not taken again";
  EXPECT_THAT(OkValue((*second)->HoldHistoryLease(&taken)), ::testing::Optional(false));

  std::vector<corral::v1::Event> events = {MakeEvent(1, "api")};
  absl::Status refused = (*second)->Append(&events, {{"api", "memory"}});
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("not the history writer"));
  EXPECT_TRUE((*second)->Append(&events).ok()) << "events without baselines are anyone's to store";

  first->reset();  // it gives the lease up as it closes, before its session ends
  taken = false;
  EXPECT_THAT(OkValue((*second)->HoldHistoryLease(&taken)), ::testing::Optional(true));
  EXPECT_TRUE(taken);
  EXPECT_TRUE((*second)->Append(&events, {{"api", "memory"}}).ok());
}

TEST_F(PostgresStoreTest, EveryWriteOfExpectationsChangesTheVersionOthersSee) {
  auto writer = Store::Open(location_);
  auto reader = Store::Open(location_);
  ASSERT_TRUE(writer.ok() && reader.ok());
  absl::StatusOr<int64_t> before = (*reader)->ExpectationsVersion();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE((*writer)->WriteExpectations({ServiceWith("api", {Expect("workers", "3")})}, true).ok());
  absl::StatusOr<int64_t> written = (*reader)->ExpectationsVersion();
  ASSERT_TRUE(written.ok());
  EXPECT_NE(*written, *before);
  ASSERT_TRUE((*writer)->DeleteExpectations("api", {}).ok());
  EXPECT_THAT(OkValue((*reader)->ExpectationsVersion()), ::testing::Not(::testing::Optional(*written)));
}

TEST_F(PostgresStoreTest, AnExpectationsWriteForAVersionAnotherServerMovedOnIsRefused) {
  absl::StatusOr<std::unique_ptr<Store>> first_store = Store::Open(location_);
  absl::StatusOr<std::unique_ptr<Store>> second_store = Store::Open(location_);
  ASSERT_TRUE(first_store.ok() && second_store.ok());
  Store* first = first_store->get();
  Store* second = second_store->get();
  absl::StatusOr<int64_t> read = first->ExpectationsVersion();
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(second->WriteExpectations({ServiceWith("api", {Expect("workers", "4")})}, /*replace=*/false).ok());
  absl::Status stale =
      first->WriteExpectations({ServiceWith("api", {Expect("timeout", "120")})}, /*replace=*/true, *read);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted) << stale;
  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> loaded = first->LoadExpectations();
  ASSERT_TRUE(loaded.ok() && loaded->size() == 1u);
  EXPECT_THAT(Keys((*loaded)[0]), ElementsAre("workers")) << "nothing written";
  read = first->ExpectationsVersion();
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(
      first->WriteExpectations({ServiceWith("api", {Expect("timeout", "120")})}, /*replace=*/false, *read).ok());
}

// A store that runs `after_load` once, right after it loaded the
// expectations: another server writing between this one's read and write.
class InterleavingStore final : public Store {
 public:
  explicit InterleavingStore(Store* real) : real_(real) {}
  std::function<void()> after_load;

  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> LoadExpectations() override {
    auto loaded = real_->LoadExpectations();
    if (after_load) std::exchange(after_load, nullptr)();
    return loaded;
  }
  absl::Status WriteExpectations(const std::vector<corral::v1::ServiceExpectations>& services, bool replace,
                                 std::optional<int64_t> if_version) override {
    return real_->WriteExpectations(services, replace, if_version);
  }
  absl::StatusOr<std::vector<corral::v1::Expectation>> DeleteExpectations(
      const std::string& service, const std::vector<std::string>& keys) override {
    return real_->DeleteExpectations(service, keys);
  }
  absl::StatusOr<int64_t> ExpectationsVersion() override { return real_->ExpectationsVersion(); }
  absl::Status Append(std::vector<corral::v1::Event>* events,
                      const std::map<std::string, std::string>& baselines) override {
    return real_->Append(events, baselines);
  }
  absl::StatusOr<std::map<std::string, std::string>> LoadBaselines() override { return real_->LoadBaselines(); }
  absl::StatusOr<std::vector<corral::v1::Event>> Events(const EventQuery& query, bool* truncated) override {
    return real_->Events(query, truncated);
  }
  absl::StatusOr<std::vector<corral::v1::Event>> EventsAfter(int64_t after_id, int limit) override {
    return real_->EventsAfter(after_id, limit);
  }
  absl::StatusOr<int64_t> PruneEvents(int64_t before_unix_ms) override { return real_->PruneEvents(before_unix_ms); }
  int64_t LastEventId() override { return real_->LastEventId(); }
  bool shared() const override { return real_->shared(); }
  absl::StatusOr<bool> HoldHistoryLease(bool* taken_now) override { return real_->HoldHistoryLease(taken_now); }
  const std::string& path() const override { return real_->path(); }

 private:
  Store* real_;
};

// Each server merges a Set with what it last read and writes the service's
// keys whole: without the version check, a key another server set between
// this one's read and write was dropped, and both callers were told yes.
TEST_F(PostgresStoreTest, AKeyAnotherServerSetsWhileThisOneMergesIsKept) {
  auto first_store = Store::Open(location_);
  auto second_store = Store::Open(location_);
  ASSERT_TRUE(first_store.ok() && second_store.ok());
  InterleavingStore interleaving(first_store->get());
  auto book = ExpectationBook::Open(&interleaving);
  ASSERT_TRUE(book.ok()) << book.status();
  auto set = [&](const char* key, const char* value) {
    corral::v1::SetExpectationsRequest request;
    *request.add_services() = ServiceWith("api", {Expect(key, value)});
    std::vector<corral::v1::Event> events;
    return (*book)->Set(request, absl::FromUnixMillis(5000), &events).status();
  };
  ASSERT_TRUE(set("workers", "3").ok());
  interleaving.after_load = [&] {
    ASSERT_TRUE((*second_store)
                    ->WriteExpectations({ServiceWith("api", {Expect("workers", "3"), Expect("timeout", "120")})},
                                        /*replace=*/true)
                    .ok());
  };
  EXPECT_TRUE(set("keepalive", "5").ok());
  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> stored = (*second_store)->LoadExpectations();
  ASSERT_TRUE(stored.ok() && stored->size() == 1u);
  EXPECT_THAT(Keys((*stored)[0]), ElementsAre("keepalive", "timeout", "workers"));
}

TEST_F(PostgresStoreTest, ExpectationsSetThroughOneBookReachTheOtherAtItsNextRefresh) {
  auto first_store = Store::Open(location_);
  auto second_store = Store::Open(location_);
  ASSERT_TRUE(first_store.ok() && second_store.ok());
  auto first = ExpectationBook::Open(first_store->get());
  auto second = ExpectationBook::Open(second_store->get());
  ASSERT_TRUE(first.ok() && second.ok());
  corral::v1::SetExpectationsRequest request;
  *request.add_services() = ServiceWith("api", {Expect("workers", "3")});
  std::vector<corral::v1::Event> events;
  ASSERT_TRUE((*first)->Set(request, absl::FromUnixMillis(5000), &events).ok());
  EXPECT_EQ(events.size(), 1u);

  EXPECT_EQ((*second)->For("api"), nullptr) << "not before the refresh";
  EXPECT_THAT(OkValue((*second)->Refresh()), ::testing::Optional(true));
  std::shared_ptr<const Expectations> seen = (*second)->For("api");
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->proto().expectations(0).value(), "3");
  EXPECT_THAT(OkValue((*second)->Refresh()), ::testing::Optional(false));
  EXPECT_EQ((*second)->For("api"), seen) << "unchanged: the same object, so nothing is re-evaluated";

  // The other way round, merging with what the first stored: Set starts
  // from the store, not from a stale copy.
  corral::v1::SetExpectationsRequest more;
  *more.add_services() = ServiceWith("api", {Expect("timeout", "120")});
  events.clear();
  ASSERT_TRUE((*second)->Set(more, absl::FromUnixMillis(6000), &events).ok());
  EXPECT_THAT(OkValue((*first)->Refresh()), ::testing::Optional(true));
  EXPECT_THAT(Keys((*first)->Get("api").services(0)), ElementsAre("timeout", "workers"));
}

// Two servers' histories on one database; the writer dies having stored
// r1 coming online but not r2, which only the other had seen yet.
TEST_F(PostgresStoreTest, ANewHistoryWriterRecordsWhatTheOldOneDidNotCommitAndNothingItDid) {
  const absl::Time t0 = absl::FromUnixSeconds(100000);
  HistoryOptions options;
  options.now = [t0] { return t0; };
  corral::testing::SnapshotBuilder r1("api", "r1"), r2("api", "r2");
  r1.Master(10, 3, 3);
  r2.Master(20, 3, 3);
  std::vector<InstanceView> one = {corral::testing::MakeView(r1, t0)};
  std::vector<InstanceView> both = {corral::testing::MakeView(r1, t0), corral::testing::MakeView(r2, t0)};

  auto first_store = Store::Open(location_);
  auto second_store = Store::Open(location_);
  ASSERT_TRUE(first_store.ok() && second_store.ok());
  auto first = History::Open(first_store->get(), options);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = History::Open(second_store->get(), options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE((*first)->writer());
  EXPECT_FALSE((*second)->writer());
  (*first)->Observe("api", 1, one, {});
  (*second)->Observe("api", 1, one, {});
  (*second)->Observe("api", 2, both, {});  // stores nothing: not the writer

  auto online = [&]() {
    std::vector<std::string> out;
    for (const corral::v1::Event& e : Query(**second_store, Matching("api"))) {
      if (e.kind() == "instance_online") out.push_back(e.instance());
    }
    return out;
  };
  EXPECT_THAT(online(), ElementsAre("r1"));

  first->reset();
  first_store->reset();  // the writer is gone, and its lease with its connection
  ASSERT_TRUE(corral::testing::WaitFor(
      [&] {
        (*second)->Follow();
        return (*second)->writer();
      },
      absl::Seconds(10)));
  EXPECT_THAT(online(), ElementsAre("r1", "r2")) << "r2 at once, r1 not again";
  (*second)->Observe("api", 3, both, {});
  EXPECT_THAT(online(), ElementsAre("r1", "r2"));
}

// A server whose clock is behind the writer's stores an event with an
// earlier time but a later id. Watchers drop an event whose id is not above
// the last one they were given (server/event_stream.h), so a follower hands
// them on in id order, the order of storing.
TEST_F(PostgresStoreTest, AFollowerHandsOnEventsInTheOrderTheyWereStored) {
  auto writer_store = Store::Open(location_);
  auto follower_store = Store::Open(location_);
  ASSERT_TRUE(writer_store.ok() && follower_store.ok());
  auto follower = History::Open(follower_store->get(), HistoryOptions());
  ASSERT_TRUE(follower.ok()) << follower.status();
  std::vector<int64_t> seen;
  (*follower)->Subscribe([&](const corral::v1::Event& e) { seen.push_back(e.id()); });

  std::vector<corral::v1::Event> events = {MakeEvent(1000, "api", "by the writer"),
                                           MakeEvent(990, "api", "by a server 10 ms behind")};
  ASSERT_TRUE((*writer_store)->Append(&events).ok());
  (*follower)->Follow();
  EXPECT_THAT(seen, ElementsAre(events[0].id(), events[1].id()));
  (*follower)->Follow();
  EXPECT_EQ(seen.size(), 2u) << "nothing twice";
}

TEST_F(PostgresStoreTest, AnAppendRetriedAfterItsCommitStoresNothingTwice) {
  auto store = MustOpen(location_);
  ASSERT_NE(store, nullptr);
  std::vector<corral::v1::Event> events = {MakeEvent(100, "api"), MakeEvent(200, "web")};
  ASSERT_TRUE(store->Append(&events, {{"api", "m1"}}).ok());
  std::vector<corral::v1::Event> retried = {MakeEvent(100, "api"), MakeEvent(200, "web"), MakeEvent(300, "api")};
  ASSERT_TRUE(store->Append(&retried, {{"api", "m2"}}).ok());

  EXPECT_THAT(Ids(retried).size(), 3u);
  EXPECT_EQ(retried[0].id(), events[0].id()) << "the same event keeps its id";
  EXPECT_EQ(retried[1].id(), events[1].id());
  EXPECT_THAT(Times(Query(*store, Matching())), ElementsAre(100, 200, 300));
}

TEST_F(PostgresStoreTest, ReconnectsAfterPostgresRestartsAndKeepsWhatWasCommitted) {
  auto store = MustOpen(location_);
  ASSERT_NE(store, nullptr);
  std::vector<corral::v1::Event> events = {MakeEvent(100, "api")};
  ASSERT_TRUE(store->Append(&events, {{"api", "m1"}}).ok());

  ASSERT_TRUE(Cluster()->Stop());
  std::vector<corral::v1::Event> while_down = {MakeEvent(200, "api")};
  absl::Status down = store->Append(&while_down);
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  ASSERT_TRUE(Cluster()->Start());

  EXPECT_THAT(OkValue(store->HoldHistoryLease()), ::testing::Optional(true)) << "the lease went with the connection";
  ASSERT_TRUE(store->Append(&while_down, {{"api", "m2"}}).ok());
  EXPECT_THAT(Times(Query(*store, Matching())), ElementsAre(100, 200));
  auto baselines = store->LoadBaselines();
  ASSERT_TRUE(baselines.ok());
  EXPECT_EQ(baselines->at("api"), "m2");
}

TEST_F(PostgresStoreTest, RefusesADatabaseWithTablesNamedLikeCorralsThatAreNotCorrals) {
  std::string db = location_.substr(location_.rfind('/') + 1);
  ASSERT_EQ(Cluster()->Sql(db, "CREATE TABLE events (what TEXT)").exit_code, 0);
  auto store = Store::Open(location_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("is not a Corral database"));
  EXPECT_THAT(store.status().message(),
              HasSubstr(absl::StrCat("postgresql://postgres@127.0.0.1:", Cluster()->port(), "/", db)));
}

TEST_F(PostgresStoreTest, AnUnreachableDatabaseIsUnavailableAndNamed) {
  int port = corral::testing::FreePort();
  auto store = Store::Open(absl::StrCat("postgresql://corral:secret@127.0.0.1:", port, "/corral"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr(absl::StrCat("postgresql://corral@127.0.0.1:", port, "/corral")));
  EXPECT_THAT(store.status().message(), ::testing::Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace corral::server
