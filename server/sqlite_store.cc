#include "server/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/component_log.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace corral::server {
namespace {

const ComponentLog Log("store");

// PRAGMA application_id of a Corral store: "Crrl". It tells our file from
// any other SQLite database before we write anything to it.
constexpr int32_t kApplicationId = 0x4372726c;

// kMigrations[v] takes a store from schema version v to v + 1. Strings are
// TEXT so that operators can write `WHERE service = 'api'` in the sqlite3
// CLI; SQLite neither checks nor converts the bytes of TEXT bound and read
// through the UTF-8 API, so invalid UTF-8 round-trips, and comparisons use
// memcmp, the order std::string has.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE expectations (
  service TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  origin TEXT NOT NULL DEFAULT '',
  declared_by TEXT NOT NULL DEFAULT '',
  updated_at_unix_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (service, key)
) WITHOUT ROWID;
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_unix_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  service TEXT NOT NULL DEFAULT '',
  instance TEXT NOT NULL DEFAULT '',
  rule TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL DEFAULT '',
  setting TEXT NOT NULL DEFAULT '',
  "before" TEXT NOT NULL DEFAULT '',
  "after" TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_time ON events (time_unix_ms);
CREATE INDEX events_by_service_time ON events (service, time_unix_ms);
CREATE TABLE baselines (
  service TEXT PRIMARY KEY NOT NULL,
  value BLOB NOT NULL
) WITHOUT ROWID;
)sql",
    // The Kubernetes namespace of the instance an event is about.
    R"sql(
ALTER TABLE events ADD COLUMN namespace TEXT NOT NULL DEFAULT '';
)sql",
};
static_assert(std::size(kMigrations) == Store::kSchemaVersion, "one migration per schema version");

constexpr char kEventColumns[] =
    R"(id, time_unix_ms, kind, service, instance, rule, severity, setting, "before", "after", message, namespace)";

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case SQLITE_NOTADB:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_CORRUPT:
      return absl::StatusCode::kDataLoss;
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kInternal;
  }
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// One run of a kept statement: binds, steps, reads columns, and resets the
// statement when it goes out of scope so it is ready for the next run and
// holds no read lock. Strings are bound without copying; they must outlive
// the run.
class StatementRun {
 public:
  explicit StatementRun(sqlite3_stmt* statement) : statement_(statement) {}
  ~StatementRun() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  StatementRun(const StatementRun&) = delete;
  StatementRun& operator=(const StatementRun&) = delete;

  StatementRun& Bind(int index, const std::string& text) {
    Check(sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
  }
  StatementRun& BindBlob(int index, const std::string& bytes) {
    Check(sqlite3_bind_blob64(statement_, index, bytes.data(), bytes.size(), SQLITE_STATIC));
    return *this;
  }
  StatementRun& Bind(int index, int64_t value) {
    Check(sqlite3_bind_int64(statement_, index, value));
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE, or an error code (also one from binding).
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(statement_); }

  std::string Text(int column) const {
    const char* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return data == nullptr ? std::string() : std::string(data, sqlite3_column_bytes(statement_, column));
  }
  std::string Blob(int column) const {
    const char* data = static_cast<const char*>(sqlite3_column_blob(statement_, column));
    return data == nullptr ? std::string() : std::string(data, sqlite3_column_bytes(statement_, column));
  }
  int64_t Int(int column) const { return sqlite3_column_int64(statement_, column); }

 private:
  void Check(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite3_stmt* statement_;
  int bind_rc_ = SQLITE_OK;
};

corral::v1::Expectation ReadExpectation(const StatementRun& row, int first) {
  corral::v1::Expectation e;
  e.set_key(row.Text(first));
  e.set_value(row.Text(first + 1));
  e.set_origin(row.Text(first + 2));
  e.set_declared_by(row.Text(first + 3));
  e.set_updated_at_unix_ms(row.Int(first + 4));
  return e;
}

// Columns in kEventColumns order.
corral::v1::Event ReadEvent(const StatementRun& row) {
  corral::v1::Event e;
  e.set_id(row.Int(0));
  e.set_time_unix_ms(row.Int(1));
  e.set_kind(row.Text(2));
  e.set_service(row.Text(3));
  e.set_instance(row.Text(4));
  e.set_rule(row.Text(5));
  e.set_severity(row.Text(6));
  e.set_setting(row.Text(7));
  e.set_before(row.Text(8));
  e.set_after(row.Text(9));
  e.set_message(row.Text(10));
  e.set_namespace_(row.Text(11));
  return e;
}

// What the file's header and schema say it is.
struct Identity {
  int64_t application_id = 0;
  int64_t user_version = 0;
  std::vector<std::string> tables;
};

// Runs a query of one integer, such as a PRAGMA.
int QueryInt(sqlite3* db, const char* sql, int64_t* out) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &statement, nullptr);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(statement, 0);
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    *out = 0;
    rc = SQLITE_OK;
  }
  sqlite3_finalize(statement);
  return rc;
}

int ReadIdentity(sqlite3* db, Identity* out) {
  int rc = QueryInt(db, "PRAGMA application_id", &out->application_id);
  if (rc == SQLITE_OK) rc = QueryInt(db, "PRAGMA user_version", &out->user_version);
  if (rc != SQLITE_OK) return rc;
  sqlite3_stmt* statement = nullptr;
  rc = sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", -1, &statement,
                          nullptr);
  if (rc != SQLITE_OK) return rc;
  out->tables.clear();
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    out->tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
  }
  sqlite3_finalize(statement);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// The schema version to upgrade from (kSchemaVersion: none needed), or why
// the file is not ours to use.
absl::StatusOr<int64_t> SchemaToUpgrade(const std::string& path, const Identity& id) {
  if (id.application_id == 0 && id.user_version == 0 && id.tables.empty()) return 0;  // new or empty
  if (id.application_id != kApplicationId) {
    std::string tables = id.tables.empty() ? "no tables" : absl::StrCat("tables: ", absl::StrJoin(id.tables, ", "));
    return absl::FailedPreconditionError(
        absl::StrFormat("%s is an SQLite database but not a Corral store (application_id %d, %s); refusing to use it",
                        path, id.application_id, tables));
  }
  if (id.user_version > Store::kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s was written by a newer corral-server (schema version %d; this one reads up to %d); run that version, "
        "or move the file away to start a new history",
        path, id.user_version, Store::kSchemaVersion));
  }
  return id.user_version;
}

}  // namespace

struct SqliteStore::Statements {
  ~Statements() {
    for (sqlite3_stmt* statement : owned) sqlite3_finalize(statement);
  }

  std::vector<sqlite3_stmt*> owned;

  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  sqlite3_stmt* rollback = nullptr;
  sqlite3_stmt* load_expectations = nullptr;
  sqlite3_stmt* upsert_expectation = nullptr;
  sqlite3_stmt* delete_expectation = nullptr;
  sqlite3_stmt* delete_service_expectations = nullptr;
  sqlite3_stmt* insert_event = nullptr;
  sqlite3_stmt* upsert_baseline = nullptr;
  sqlite3_stmt* delete_baseline = nullptr;
  sqlite3_stmt* load_baselines = nullptr;
  sqlite3_stmt* events_since = nullptr;
  sqlite3_stmt* events_since_service = nullptr;
  sqlite3_stmt* events_after = nullptr;
  sqlite3_stmt* events_after_service = nullptr;
  sqlite3_stmt* events_in_id_order = nullptr;
  sqlite3_stmt* prune_events = nullptr;
  sqlite3_stmt* last_event_id = nullptr;
};

SqliteStore::SqliteStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

SqliteStore::~SqliteStore() {
  absl::MutexLock lock(&mu_);
  statements_.reset();
  // The last connection to close checkpoints the WAL into the file and
  // removes it.
  sqlite3_close_v2(db_);
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  // Creating the file ourselves gives it mode 0600 (SQLite would use 0644
  // less the umask; the -wal and -shm files it creates copy the database
  // file's mode), and lets errno say what is wrong instead of SQLite's
  // "unable to open database file".
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int error = errno;
    std::string dir = DirectoryOf(path);
    struct stat st;
    if (error == ENOENT && ::stat(dir.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat("cannot open store ", path, ": directory ", dir, " does not exist"));
    }
    return absl::ErrnoToStatus(error, absl::StrCat("cannot open store ", path));
  }
  ::close(fd);

  sqlite3* db = nullptr;
  // No SQLITE_OPEN_CREATE: the file exists now, and a file removed in
  // between must not come back with SQLite's default mode. NOMUTEX: the
  // store's own mutex serialises every use of the connection.
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status(CodeFor(rc), absl::StrCat("cannot open store ", path, ": ",
                                                  db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return status;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, db));
  absl::MutexLock lock(&store->mu_);
  CORRAL_RETURN_IF_ERROR(store->Initialize());
  return store;
}

absl::Status SqliteStore::Initialize() {
  // Another process opening the same file (the sqlite3 CLI, a backup) holds
  // its locks briefly; wait for it rather than fail.
  sqlite3_busy_timeout(db_, absl::ToInt64Milliseconds(kBusyTimeout));

  // Nothing is written before the file is known to be ours (or empty).
  Identity identity;
  int rc = ReadIdentity(db_, &identity);
  if ((rc & 0xff) == SQLITE_NOTADB) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " is not a Corral store: not an SQLite database (", sqlite3_errmsg(db_), ")"));
  }
  if (rc != SQLITE_OK) return OpenError(rc, "read the file's header");
  CORRAL_RETURN_IF_ERROR(SchemaToUpgrade(path_, identity).status());

  // WAL: a commit appends to the -wal file and is atomic whatever moment the
  // process dies at. synchronous=NORMAL fsyncs only at checkpoints, not at
  // every commit: a committed transaction survives the process being killed
  // (the data is in the kernel's page cache), and the file stays consistent
  // across a power cut, which may lose only the last commits -- the right
  // trade for a history written every few seconds on a server's disk.
  int64_t ignored;
  sqlite3_stmt* statement = nullptr;
  rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode = WAL", -1, &statement, nullptr);
  std::string mode;
  if (rc == SQLITE_OK && (rc = sqlite3_step(statement)) == SQLITE_ROW) {
    mode = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    rc = SQLITE_OK;
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_OK) return OpenError(rc, "switch to WAL journal");
  if (mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": SQLite cannot use a WAL journal here (journal mode stays '", mode, "')"));
  }
  // journal_size_limit: after a checkpoint, the -wal file is cut back to
  // 64 MiB instead of keeping the size of the largest write ever made.
  for (const char* pragma : {"PRAGMA synchronous = NORMAL", "PRAGMA journal_size_limit = 67108864"}) {
    if ((rc = QueryInt(db_, pragma, &ignored)) != SQLITE_OK) return OpenError(rc, pragma);
  }

  // Re-read inside the write lock: another process may have created the
  // schema since the check above.
  if ((rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr)) != SQLITE_OK) {
    return OpenError(rc, "begin creating the schema");
  }
  absl::Status status;
  int64_t from = 0;
  if ((rc = ReadIdentity(db_, &identity)) != SQLITE_OK) {
    status = OpenError(rc, "read the schema");
  } else if (absl::StatusOr<int64_t> version = SchemaToUpgrade(path_, identity); !version.ok()) {
    status = version.status();
  } else {
    from = *version;
    for (int64_t v = from; v < kSchemaVersion && status.ok(); ++v) {
      if ((rc = sqlite3_exec(db_, kMigrations[v], nullptr, nullptr, nullptr)) != SQLITE_OK) {
        status = OpenError(rc, "create the schema");
      }
    }
    std::string stamp =
        absl::StrCat("PRAGMA application_id = ", kApplicationId, "; PRAGMA user_version = ", kSchemaVersion);
    if (status.ok() && from < kSchemaVersion &&
        (rc = sqlite3_exec(db_, stamp.c_str(), nullptr, nullptr, nullptr)) != SQLITE_OK) {
      status = OpenError(rc, "stamp the schema version");
    }
  }
  if (status.ok() && (rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr)) != SQLITE_OK) {
    status = OpenError(rc, "commit the schema");
  }
  if (!status.ok()) {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  }
  if (from == 0) {
    Log()->info("created store {} (schema version {})", path_, kSchemaVersion);
  } else if (from < kSchemaVersion) {
    Log()->info("upgraded store {} from schema version {} to {}", path_, from, kSchemaVersion);
  }

  auto s = std::make_unique<Statements>();
  const std::string events_from = absl::StrCat("SELECT ", kEventColumns, " FROM events ");
  // The index plan walks an index backwards from the newest entry at or
  // after `since` and stops after `limit` + 1 matches (both indexes end with
  // the rowid, which gives the time-then-id order without sorting): its cost
  // follows the limit, not how far back `since` is. INDEXED BY makes that
  // plan an error to lose rather than a silent slowdown. The id-range plan
  // reads the events after `after_id` (NOT INDEXED still allows the rowid)
  // and sorts them; Events() picks it only for a range no longer than the
  // limit: a watcher catching up on a short tail.
  const std::string order = " ORDER BY time_unix_ms DESC, id DESC LIMIT ?2";
  const std::string events_since =
      events_from + "INDEXED BY events_by_time WHERE time_unix_ms >= ?1 AND id > ?4" + order;
  const std::string events_since_service =
      events_from + "INDEXED BY events_by_service_time WHERE service = ?3 AND time_unix_ms >= ?1 AND id > ?4" + order;
  const std::string events_after = events_from + "NOT INDEXED WHERE id > ?4 AND time_unix_ms >= ?1" + order;
  const std::string events_after_service =
      events_from + "NOT INDEXED WHERE id > ?4 AND service = ?3 AND time_unix_ms >= ?1" + order;
  const std::string events_in_id_order = events_from + "WHERE id > ?1 ORDER BY id LIMIT ?2";
  const std::pair<sqlite3_stmt**, const char*> sql[] = {
      {&s->begin, "BEGIN IMMEDIATE"},
      {&s->commit, "COMMIT"},
      {&s->rollback, "ROLLBACK"},
      {&s->load_expectations,
       "SELECT service, key, value, origin, declared_by, updated_at_unix_ms FROM expectations ORDER BY service, key"},
      {&s->upsert_expectation,
       "INSERT INTO expectations (service, key, value, origin, declared_by, updated_at_unix_ms) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (service, key) DO UPDATE SET value = excluded.value, "
       "origin = excluded.origin, declared_by = excluded.declared_by, "
       "updated_at_unix_ms = excluded.updated_at_unix_ms"},
      {&s->delete_expectation,
       "DELETE FROM expectations WHERE service = ?1 AND key = ?2 "
       "RETURNING key, value, origin, declared_by, updated_at_unix_ms"},
      {&s->delete_service_expectations,
       "DELETE FROM expectations WHERE service = ?1 RETURNING key, value, origin, declared_by, updated_at_unix_ms"},
      {&s->insert_event,
       "INSERT INTO events (time_unix_ms, kind, service, instance, rule, severity, setting, \"before\", \"after\", "
       "message, namespace) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
      {&s->upsert_baseline,
       "INSERT INTO baselines (service, value) VALUES (?1, ?2) ON CONFLICT (service) DO UPDATE SET value = "
       "excluded.value"},
      {&s->delete_baseline, "DELETE FROM baselines WHERE service = ?1"},
      {&s->load_baselines, "SELECT service, value FROM baselines ORDER BY service"},
      {&s->events_since, events_since.c_str()},
      {&s->events_since_service, events_since_service.c_str()},
      {&s->events_after, events_after.c_str()},
      {&s->events_after_service, events_after_service.c_str()},
      {&s->events_in_id_order, events_in_id_order.c_str()},
      {&s->prune_events, "DELETE FROM events WHERE time_unix_ms < ?1"},
      // AUTOINCREMENT keeps the highest id ever given here, also when that
      // event has been pruned.
      {&s->last_event_id, "SELECT seq FROM sqlite_sequence WHERE name = 'events'"},
  };
  for (const auto& [target, text] : sql) {
    rc = sqlite3_prepare_v3(db_, text, -1, SQLITE_PREPARE_PERSISTENT, target, nullptr);
    if (rc != SQLITE_OK) return OpenError(rc, absl::StrCat("prepare '", text, "'").c_str());
    s->owned.push_back(*target);
  }
  statements_ = std::move(s);

  StatementRun run(statements_->last_event_id);
  rc = run.Step();
  if (rc == SQLITE_ROW) {
    last_event_id_ = run.Int(0);
  } else if (rc != SQLITE_DONE) {
    return OpenError(rc, "read the last event id");
  }
  Log()->debug("opened store {}; last event id {}", path_, last_event_id_);
  return absl::OkStatus();
}

absl::Status SqliteStore::OpenError(int rc, const char* doing) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(absl::StrCat(
          path_, " is locked by another process (waited ", absl::FormatDuration(kBusyTimeout),
          "; another corral-server, a sqlite3 shell or a backup?): cannot ", doing, ": ", sqlite3_errmsg(db_)));
    case SQLITE_CORRUPT:
      return absl::DataLossError(absl::StrCat(path_, " is damaged: cannot ", doing, ": ", sqlite3_errmsg(db_),
                                              "; move it away to start a new history"));
    default:
      return Error(rc, doing);
  }
}

absl::Status SqliteStore::Error(int rc, const char* doing) {
  // sqlite3_errmsg describes the connection's latest failure, which may be
  // an earlier one when `rc` did not come from a call on the connection.
  const char* detail = sqlite3_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return absl::Status(CodeFor(rc), absl::StrCat("store ", path_, ": cannot ", doing, ": ", detail,
                                                (rc & 0xff) == SQLITE_CORRUPT ? " (the file is damaged)" : ""));
}

absl::Status SqliteStore::InTransaction(const char* doing, absl::FunctionRef<absl::Status()> body) {
  int rc;
  {
    StatementRun begin(statements_->begin);
    if ((rc = begin.Step()) != SQLITE_DONE) return Error(rc, doing);
  }
  absl::Status status = body();
  if (status.ok()) {
    StatementRun commit(statements_->commit);
    if ((rc = commit.Step()) != SQLITE_DONE) status = Error(rc, doing);
  }
  // Some errors (a full disk, an I/O error) already rolled back.
  if (!status.ok() && !sqlite3_get_autocommit(db_)) {
    StatementRun rollback(statements_->rollback);
    if ((rc = rollback.Step()) != SQLITE_DONE) {
      Log()->error("store {}: cannot roll back after failing to {}: {}", path_, doing, sqlite3_errmsg(db_));
    }
  }
  return status;
}

absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> SqliteStore::LoadExpectations() {
  absl::MutexLock lock(&mu_);
  std::vector<corral::v1::ServiceExpectations> services;
  StatementRun run(statements_->load_expectations);
  int rc;
  while ((rc = run.Step()) == SQLITE_ROW) {
    std::string service = run.Text(0);
    if (services.empty() || services.back().service() != service) {
      services.emplace_back().set_service(std::move(service));
    }
    *services.back().add_expectations() = ReadExpectation(run, 1);
  }
  if (rc != SQLITE_DONE) return Error(rc, "load expectations");
  return services;
}

absl::Status SqliteStore::WriteExpectations(const std::vector<corral::v1::ServiceExpectations>& services, bool replace,
                                            std::optional<int64_t> /*if_version*/) {
  // One server holds an SQLite store (its data directory is locked), and
  // the expectation book writes under its own lock: nothing can come in
  // between its read and this write.
  absl::MutexLock lock(&mu_);
  return InTransaction("write expectations", [&]() -> absl::Status {
    int rc;
    for (const corral::v1::ServiceExpectations& service : services) {
      if (replace) {
        StatementRun run(statements_->delete_service_expectations);
        run.Bind(1, service.service());
        while ((rc = run.Step()) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) return Error(rc, "replace expectations");
      }
      for (const corral::v1::Expectation& e : service.expectations()) {
        StatementRun run(statements_->upsert_expectation);
        run.Bind(1, service.service())
            .Bind(2, e.key())
            .Bind(3, e.value())
            .Bind(4, e.origin())
            .Bind(5, e.declared_by())
            .Bind(6, e.updated_at_unix_ms());
        if ((rc = run.Step()) != SQLITE_DONE) return Error(rc, "write an expectation");
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<corral::v1::Expectation>> SqliteStore::DeleteExpectations(
    const std::string& service, const std::vector<std::string>& keys) {
  absl::MutexLock lock(&mu_);
  std::vector<corral::v1::Expectation> removed;
  // Reads the rows RETURNING gives back; their order is unspecified.
  auto drain = [&](StatementRun& run) -> absl::Status {
    int rc;
    while ((rc = run.Step()) == SQLITE_ROW) removed.push_back(ReadExpectation(run, 0));
    return rc == SQLITE_DONE ? absl::OkStatus() : Error(rc, "delete expectations");
  };
  CORRAL_RETURN_IF_ERROR(InTransaction("delete expectations", [&]() -> absl::Status {
    if (keys.empty()) {
      StatementRun run(statements_->delete_service_expectations);
      run.Bind(1, service);
      return drain(run);
    }
    for (const std::string& key : keys) {
      StatementRun run(statements_->delete_expectation);
      run.Bind(1, service).Bind(2, key);
      CORRAL_RETURN_IF_ERROR(drain(run));
    }
    return absl::OkStatus();
  }));
  std::sort(removed.begin(), removed.end(),
            [](const corral::v1::Expectation& a, const corral::v1::Expectation& b) { return a.key() < b.key(); });
  return removed;
}

absl::Status SqliteStore::Append(std::vector<corral::v1::Event>* events,
                                 const std::map<std::string, std::string>& baselines) {
  if ((events == nullptr || events->empty()) && baselines.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  std::vector<int64_t> ids;
  CORRAL_RETURN_IF_ERROR(InTransaction("append events", [&]() -> absl::Status {
    int rc;
    if (events != nullptr) {
      ids.reserve(events->size());
      for (const corral::v1::Event& e : *events) {
        StatementRun run(statements_->insert_event);
        run.Bind(1, e.time_unix_ms())
            .Bind(2, e.kind())
            .Bind(3, e.service())
            .Bind(4, e.instance())
            .Bind(5, e.rule())
            .Bind(6, e.severity())
            .Bind(7, e.setting())
            .Bind(8, e.before())
            .Bind(9, e.after())
            .Bind(10, e.message())
            .Bind(11, e.namespace_());
        if ((rc = run.Step()) != SQLITE_DONE) return Error(rc, "append an event");
        ids.push_back(sqlite3_last_insert_rowid(db_));
      }
    }
    for (const auto& [service, value] : baselines) {
      StatementRun run(value.empty() ? statements_->delete_baseline : statements_->upsert_baseline);
      run.Bind(1, service);
      if (!value.empty()) run.BindBlob(2, value);
      if ((rc = run.Step()) != SQLITE_DONE) return Error(rc, "write a baseline");
    }
    return absl::OkStatus();
  }));
  // Ids are handed out only once the transaction is committed.
  for (size_t i = 0; i < ids.size(); ++i) (*events)[i].set_id(ids[i]);
  if (!ids.empty()) last_event_id_ = ids.back();
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> SqliteStore::LoadBaselines() {
  absl::MutexLock lock(&mu_);
  std::map<std::string, std::string> baselines;
  StatementRun run(statements_->load_baselines);
  int rc;
  while ((rc = run.Step()) == SQLITE_ROW) baselines.emplace(run.Text(0), run.Blob(1));
  if (rc != SQLITE_DONE) return Error(rc, "load baselines");
  return baselines;
}

absl::StatusOr<std::vector<corral::v1::Event>> SqliteStore::Events(const EventQuery& query, bool* truncated) {
  if (query.limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("event query limit must be at least 1, not ", query.limit));
  }
  absl::MutexLock lock(&mu_);
  const bool by_service = !query.service.empty();
  // At most last_event_id_ - after_id events have a larger id. Within the
  // limit, reading them by id is cheapest. Beyond it, the index read newest
  // first meets its limit + 1 matches early on (times follow ids) and stops,
  // where the id range would be read whole and sorted -- a watcher resuming
  // after a very old id would otherwise cost a scan of the whole history.
  const bool by_id_range = query.after_id > 0 && last_event_id_ - query.after_id <= query.limit;
  sqlite3_stmt* statement;
  if (by_id_range) {
    statement = by_service ? statements_->events_after_service : statements_->events_after;
  } else {
    statement = by_service ? statements_->events_since_service : statements_->events_since;
  }
  StatementRun run(statement);
  // One row more than asked for tells whether there were more.
  run.Bind(1, query.since_unix_ms).Bind(2, static_cast<int64_t>(query.limit) + 1).Bind(4, query.after_id);
  if (by_service) run.Bind(3, query.service);
  std::vector<corral::v1::Event> events;
  int rc;
  while ((rc = run.Step()) == SQLITE_ROW) events.push_back(ReadEvent(run));
  if (rc != SQLITE_DONE) return Error(rc, "read events");
  // Rows come newest first; the extra one, if any, is the oldest.
  bool more = events.size() > static_cast<size_t>(query.limit);
  if (more) events.pop_back();
  std::reverse(events.begin(), events.end());
  if (truncated != nullptr) *truncated = more;
  return events;
}

absl::StatusOr<std::vector<corral::v1::Event>> SqliteStore::EventsAfter(int64_t after_id, int limit) {
  if (limit < 1) return absl::InvalidArgumentError(absl::StrCat("event query limit must be at least 1, not ", limit));
  absl::MutexLock lock(&mu_);
  StatementRun run(statements_->events_in_id_order);
  run.Bind(1, after_id).Bind(2, static_cast<int64_t>(limit));
  std::vector<corral::v1::Event> events;
  int rc;
  while ((rc = run.Step()) == SQLITE_ROW) events.push_back(ReadEvent(run));
  if (rc != SQLITE_DONE) return Error(rc, "read events");
  return events;
}

absl::StatusOr<int64_t> SqliteStore::PruneEvents(int64_t before_unix_ms) {
  absl::MutexLock lock(&mu_);
  StatementRun run(statements_->prune_events);
  run.Bind(1, before_unix_ms);
  int rc = run.Step();
  if (rc != SQLITE_DONE) return Error(rc, "prune events");
  return static_cast<int64_t>(sqlite3_changes64(db_));
}

int64_t SqliteStore::LastEventId() {
  absl::MutexLock lock(&mu_);
  return last_event_id_;
}

}  // namespace corral::server
