#include "server/store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/server/store_test_util.h"

namespace corral::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "store_test.XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs `sql` on the file with plain SQLite, as an operator or another program would.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(Store, CreatesTheFileReadableByItsOwnerOnly) {
  TempDir dir;
  std::string path = dir.File("corral.db");
  // With the usual umask, SQLite on its own would create 0644 files.
  mode_t umask_before = ::umask(022);
  auto store = MustOpen(path);
  ::umask(umask_before);
  ASSERT_NE(store, nullptr);
  std::vector<corral::v1::Event> events = {MakeEvent(1, "api")};
  ASSERT_TRUE(store->Append(&events).ok());

  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(::stat((path + "-wal").c_str(), &st), 0) << "the journal is a WAL";
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(store->path(), path);
}

TEST(Store, ExpectationsComeBackOrderedByServiceThenKey) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
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

TEST(Store, UpsertKeepsOtherKeysWhileReplaceDropsThem) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
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

TEST(Store, DeletingSomeKeysReturnsThoseRemovedOrderedByKey) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
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

  auto left = store->LoadExpectations();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_THAT(Keys((*left)[0]), ElementsAre("timeout"));
  EXPECT_THAT(Keys((*left)[1]), ElementsAre("workers"));
}

TEST(Store, DeletingWithNoKeysDropsTheWholeService) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->WriteExpectations({ServiceWith("api", {Expect("workers", "3"), Expect("timeout", "30")}),
                                       ServiceWith("web", {Expect("workers", "2")})},
                                      false)
                  .ok());

  auto removed = store->DeleteExpectations("api", {});
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(*removed, ElementsAre(EqualsProto(Expect("timeout", "30")), EqualsProto(Expect("workers", "3"))));
  auto again = store->DeleteExpectations("api", {});
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(*again, IsEmpty());

  auto left = store->LoadExpectations();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].service(), "web");
}

TEST(Store, AppendGivesIncreasingIdsAndStoresEveryField) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->LastEventId(), 0);
  corral::v1::Event full = MakeEvent(5000, "api", "api-2 runs 1 worker, expected 3");
  full.set_id(999);  // ignored: the store gives ids
  full.set_kind("finding_opened");
  full.set_rule("WORKERS_BELOW_EXPECTED");
  full.set_severity("critical");
  full.set_setting("workers");
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
  EXPECT_EQ(all[0].rule(), "WORKERS_BELOW_EXPECTED");
  EXPECT_THAT(all[2], EqualsProto(second[0]));
}

TEST(Store, EventsSinceFilterByTimeAndService) {
  TempDir dir;
  auto store = StoreWithEvents(dir.File("corral.db"), 9);  // times 100..900, services a b c a b c ...
  ASSERT_NE(store, nullptr);
  bool truncated = true;

  EXPECT_THAT(Times(Query(*store, Matching("", 600), &truncated)), ElementsAre(600, 700, 800, 900));
  EXPECT_FALSE(truncated);
  EXPECT_THAT(Times(Query(*store, Matching("b", 300))), ElementsAre(500, 800));
  EXPECT_THAT(Times(Query(*store, Matching("b"))), ElementsAre(200, 500, 800));
  EXPECT_THAT(Query(*store, Matching("nobody")), IsEmpty());
  EXPECT_THAT(Query(*store, Matching("", 901)), IsEmpty());
}

TEST(Store, EventsAfterIdResumeWhereAWatcherLeftOff) {
  TempDir dir;
  auto store = StoreWithEvents(dir.File("corral.db"), 9);
  ASSERT_NE(store, nullptr);

  bool truncated = true;

  EXPECT_THAT(Ids(Query(*store, Matching("", 0, 6), &truncated)), ElementsAre(7, 8, 9));
  EXPECT_FALSE(truncated);
  EXPECT_THAT(Ids(Query(*store, Matching("a", 0, 2))), ElementsAre(4, 7));
  EXPECT_THAT(Ids(Query(*store, Matching("", 850, 2))), ElementsAre(9));
  EXPECT_THAT(Query(*store, Matching("", 0, 9)), IsEmpty());
}

// Far behind (more events after the id than the limit), the newest are read
// from the time index instead of the id range; the answers are the same.
TEST(Store, EventsAfterAnOldIdAreTheNewestOnesTruncated) {
  TempDir dir;
  auto store = StoreWithEvents(dir.File("corral.db"), 9);
  ASSERT_NE(store, nullptr);
  bool truncated = false;

  EXPECT_THAT(Ids(Query(*store, Matching("", 0, 2, 3), &truncated)), ElementsAre(7, 8, 9));
  EXPECT_TRUE(truncated);
  EXPECT_THAT(Ids(Query(*store, Matching("a", 0, 1, 1), &truncated)), ElementsAre(7));
  EXPECT_TRUE(truncated);
  EXPECT_THAT(Ids(Query(*store, Matching("a", 0, 1, 2), &truncated)), ElementsAre(4, 7));
  EXPECT_FALSE(truncated) << "only 4 and 7 are a's after 1, though 8 events are after 1";
  EXPECT_THAT(Ids(Query(*store, Matching("", 650, 1, 2), &truncated)), ElementsAre(8, 9));
  EXPECT_TRUE(truncated);
}

TEST(Store, LimitKeepsTheNewestAndSaysSo) {
  TempDir dir;
  auto store = StoreWithEvents(dir.File("corral.db"), 9);
  ASSERT_NE(store, nullptr);
  bool truncated = false;

  EXPECT_THAT(Times(Query(*store, Matching("", 0, 0, 3), &truncated)), ElementsAre(700, 800, 900));
  EXPECT_TRUE(truncated);
  EXPECT_THAT(Times(Query(*store, Matching("c", 0, 0, 2), &truncated)), ElementsAre(600, 900));
  EXPECT_TRUE(truncated);
  EXPECT_THAT(Ids(Query(*store, Matching("", 0, 3, 2), &truncated)), ElementsAre(8, 9));
  EXPECT_TRUE(truncated);
  EXPECT_THAT(Ids(Query(*store, Matching("a", 0, 0, 3), &truncated)), ElementsAre(1, 4, 7));
  EXPECT_FALSE(truncated) << "exactly `limit` matched";
  EXPECT_EQ(Query(*store, Matching("", 0, 0, 9), &truncated).size(), 9u);
  EXPECT_FALSE(truncated);

  EXPECT_EQ(store->Events(Matching("", 0, 0, /*limit=*/0), &truncated).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Store, EventsAreOrderedByTimeThenId) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
  ASSERT_NE(store, nullptr);
  // The clock went back between the second and the third event.
  std::vector<corral::v1::Event> events = {MakeEvent(100, "a"), MakeEvent(300, "a"), MakeEvent(200, "a"),
                                           MakeEvent(300, "a")};
  ASSERT_TRUE(store->Append(&events).ok());

  EXPECT_THAT(Ids(Query(*store, Matching())), ElementsAre(1, 3, 2, 4));
  EXPECT_THAT(Ids(Query(*store, Matching("a", 0, 0, 2))), ElementsAre(2, 4));
  EXPECT_THAT(Ids(Query(*store, Matching("", 0, 1))), ElementsAre(3, 2, 4));
  EXPECT_THAT(Ids(Query(*store, Matching("", 0, 1, 2))), ElementsAre(2, 4));
}

TEST(Store, PruneDeletesOnlyOlderEvents) {
  TempDir dir;
  auto store = StoreWithEvents(dir.File("corral.db"), 9);
  ASSERT_NE(store, nullptr);

  auto pruned = store->PruneEvents(400);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 3);
  EXPECT_THAT(Times(Query(*store, Matching())), ElementsAre(400, 500, 600, 700, 800, 900));
  auto none = store->PruneEvents(400);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
}

TEST(Store, IdsKeepIncreasingAfterPruningEverythingAndReopening) {
  TempDir dir;
  std::string path = dir.File("corral.db");
  {
    auto store = StoreWithEvents(path, 3);
    ASSERT_NE(store, nullptr);
    auto pruned = store->PruneEvents(1'000'000);
    ASSERT_TRUE(pruned.ok());
    EXPECT_EQ(*pruned, 3);
    EXPECT_EQ(store->LastEventId(), 3);
  }
  auto reopened = MustOpen(path);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->LastEventId(), 3);
  std::vector<corral::v1::Event> events = {MakeEvent(5000, "a")};
  ASSERT_TRUE(reopened->Append(&events).ok());
  EXPECT_EQ(events[0].id(), 4);
  EXPECT_THAT(Ids(Query(*reopened, Matching())), ElementsAre(4));
}

TEST(Store, BaselinesAreReplacedAndDeletedWithAppend) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
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

TEST(Store, ReopeningKeepsEverything) {
  TempDir dir;
  std::string path = dir.File("corral.db");
  std::vector<corral::v1::Event> events = {MakeEvent(100, "api"), MakeEvent(200, "web")};
  corral::v1::ServiceExpectations api = ServiceWith("api", {Expect("workers", "3")});
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->WriteExpectations({api}, true).ok());
    ASSERT_TRUE(store->Append(&events, {{"api", "baseline"}}).ok());
  }
  auto store = MustOpen(path);
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

TEST(Store, StringsWithAnyBytesRoundTrip) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
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
  EXPECT_EQ((*expectations)[0].service(), odd);
  EXPECT_THAT((*expectations)[0].expectations(0), EqualsProto(e));
  auto removed = store->DeleteExpectations(odd, {odd});
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(*removed, ElementsAre(EqualsProto(e)));
  auto baselines = store->LoadBaselines();
  ASSERT_TRUE(baselines.ok());
  EXPECT_EQ(baselines->at(odd), odd);
}

TEST(Store, OperatorsCanReadTheFileWithPlainSqlite) {
  TempDir dir;
  std::string path = dir.File("corral.db");
  auto store = StoreWithEvents(path, 3);
  ASSERT_NE(store, nullptr);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id, kind, service, \"before\", \"after\" FROM events WHERE service = 'b'",
                               -1, &statement, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(statement, 0), 2);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 1)), "workers_changed");
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 3)), "3");
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 4)), "1");
  EXPECT_EQ(sqlite3_step(statement), SQLITE_DONE);
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST(Store, RefusesAFileThatIsNotSqliteAndLeavesItAlone) {
  TempDir dir;
  std::string path = dir.File("notes.txt");
  const std::string garbage(4096, 'x');
  std::ofstream(path, std::ios::binary) << garbage;

  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.status().message(),
            absl::StrCat(path, " is not a Corral store: not an SQLite database (file is not a database)"));
  EXPECT_EQ(ReadAll(path), garbage);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(Store, RefusesAnSqliteDatabaseThatIsNotCorrals) {
  TempDir dir;
  std::string path = dir.File("app.db");
  RawExec(path, "CREATE TABLE users (name TEXT); CREATE TABLE orders (id INTEGER)");
  const std::string before = ReadAll(path);

  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.status().message(),
            absl::StrCat(path,
                         " is an SQLite database but not a Corral store (application_id 0, tables: orders, users); "
                         "refusing to use it"));
  EXPECT_EQ(ReadAll(path), before);
}

TEST(Store, RefusesAStoreWrittenByANewerSchema) {
  TempDir dir;
  std::string path = dir.File("corral.db");
  ASSERT_NE(MustOpen(path), nullptr);
  RawExec(path, absl::StrCat("PRAGMA user_version = ", Store::kSchemaVersion + 1));

  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(),
              HasSubstr(absl::StrCat("written by a newer corral-server (schema version ", Store::kSchemaVersion + 1,
                                     "; this one reads up to ", Store::kSchemaVersion, ")")));
}

TEST(Store, EventsKeepTheirNamespace) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
  ASSERT_NE(store, nullptr);
  corral::v1::Event pod = MakeEvent(5000, "api", "api/api-0 is online");
  pod.set_instance("api-0");
  pod.set_namespace_("prod");
  std::vector<corral::v1::Event> events = {pod};
  ASSERT_TRUE(store->Append(&events).ok());
  std::vector<corral::v1::Event> all = Query(*store, Matching());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].namespace_(), "prod");
  EXPECT_THAT(all[0], EqualsProto(events[0]));
}

TEST(Store, UpgradesAStoreOfSchemaVersionOneKeepingItsEvents) {
  TempDir dir;
  std::string path = dir.File("corral.db");
  // What a corral-server of schema version 1 left behind.
  RawExec(path, R"sql(
CREATE TABLE expectations (service TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  origin TEXT NOT NULL DEFAULT '', declared_by TEXT NOT NULL DEFAULT '',
  updated_at_unix_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (service, key)) WITHOUT ROWID;
CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, time_unix_ms INTEGER NOT NULL, kind TEXT NOT NULL,
  service TEXT NOT NULL DEFAULT '', instance TEXT NOT NULL DEFAULT '', rule TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL DEFAULT '', setting TEXT NOT NULL DEFAULT '', "before" TEXT NOT NULL DEFAULT '',
  "after" TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '');
CREATE INDEX events_by_time ON events (time_unix_ms);
CREATE INDEX events_by_service_time ON events (service, time_unix_ms);
CREATE TABLE baselines (service TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
INSERT INTO events (time_unix_ms, kind, service, instance) VALUES (100, 'instance_online', 'api', 'r1');
PRAGMA application_id = 1131573868; PRAGMA user_version = 1;
)sql");

  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  std::vector<corral::v1::Event> events = {MakeEvent(200, "api")};
  events[0].set_namespace_("prod");
  ASSERT_TRUE(store->Append(&events).ok());
  std::vector<corral::v1::Event> all = Query(*store, Matching());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].instance(), "r1");
  EXPECT_EQ(all[0].namespace_(), "");
  EXPECT_EQ(all[1].namespace_(), "prod");
  EXPECT_EQ(all[1].id(), 2);
}

TEST(Store, APathInAMissingDirectoryIsNotFound) {
  TempDir dir;
  std::string path = dir.File("missing/corral.db");

  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.status().message(),
            absl::StrCat("cannot open store ", path, ": directory ", dir.File("missing"), " does not exist"));
}

TEST(Store, ConcurrentAppendsGetDistinctIds) {
  TempDir dir;
  auto store = MustOpen(dir.File("corral.db"));
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4, kAppends = 50;
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        std::vector<corral::v1::Event> events = {MakeEvent(i, "api"), MakeEvent(i, "web")};
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
  EXPECT_EQ(store->LastEventId(), kThreads * kAppends * 2);
}

TEST(Store, EventsAppendedBeforeASigkillAreReadAfterwards) {
  TempDir dir;
  std::string path = dir.File("corral.db");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
    if (!store.ok()) ::_exit(2);
    std::vector<corral::v1::Event> events = {MakeEvent(100, "api"), MakeEvent(200, "web")};
    if (!(*store)->Append(&events, {{"api", "b1"}}).ok()) ::_exit(3);
    ::raise(SIGKILL);  // no destructor, no checkpoint: the data is only in the WAL
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exit status " << status;
  ASSERT_GT(std::filesystem::file_size(path + "-wal"), 0u);

  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Times(Query(*store, Matching())), ElementsAre(100, 200));
  EXPECT_EQ(store->LastEventId(), 2);
  auto baselines = store->LoadBaselines();
  ASSERT_TRUE(baselines.ok());
  EXPECT_EQ(*baselines, (std::map<std::string, std::string>{{"api", "b1"}}));
}

TEST(Store, AKillInTheMiddleOfAppendingLeavesWholeBatchesOnly) {
  TempDir dir;
  std::string path = dir.File("corral.db");
  constexpr int kBatch = 10;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
    if (!store.ok()) ::_exit(2);
    for (int64_t time = 0;; ++time) {
      std::vector<corral::v1::Event> events(kBatch, MakeEvent(time, "api"));
      if (!(*store)->Append(&events).ok()) ::_exit(3);
      int64_t last = events.back().id();
      if (::write(pipe_fds[1], &last, sizeof last) != sizeof last) ::_exit(4);
    }
  }
  ::close(pipe_fds[1]);
  // Wait for 50 acknowledged batches, then kill the writer wherever it is.
  int64_t acknowledged = 0;
  for (int i = 0; i < 50; ++i) ASSERT_EQ(::read(pipe_fds[0], &acknowledged, sizeof acknowledged), 8);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::close(pipe_fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exit status " << status;

  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  std::vector<corral::v1::Event> events = Query(*store, Matching("", 0, 0, 1'000'000));
  EXPECT_GE(static_cast<int64_t>(events.size()), acknowledged) << "every acknowledged append is there";
  EXPECT_EQ(events.size() % kBatch, 0u) << "no batch is there in part";
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].id(), static_cast<int64_t>(i) + 1);
  EXPECT_EQ(store->LastEventId(), static_cast<int64_t>(events.size()));
}

}  // namespace
}  // namespace corral::server
