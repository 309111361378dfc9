#include "server/postgres_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/component_log.h"
#include "common/status_macros.h"

namespace corral::server {
namespace {

const ComponentLog Log("store");

// Advisory locks are (class, object) pairs of ints; the class is "Crrl",
// as SQLite's application_id.
constexpr int kLockClass = 0x4372726c;
constexpr int kHistoryLeaseLock = 1;  // session-level: the history writer
constexpr int kAppendLock = 2;        // transaction-level: appends in id order
constexpr int kSchemaLock = 3;        // transaction-level: one migration at a time

// The columns an event's once_key is made of, in order; the first is the
// time (int8), the others bytea. Each bytea is prefixed with its length,
// so no two different events give the same input to md5.
constexpr const char* kOnceColumns[] = {"time_unix_ms", "kind",       "service",   "instance", "rule",     "severity",
                                        "setting",      "\"before\"", "\"after\"", "message",  "namespace"};

// md5 over `terms` (kOnceColumns, or the parameters standing for them).
std::string OnceKeyOf(const std::vector<std::string>& terms) {
  std::vector<std::string> parts = {absl::StrCat("int8send(", terms[0], ")")};
  for (size_t i = 1; i < terms.size(); ++i) {
    parts.push_back(absl::StrCat("int4send(length(", terms[i], ")) || ", terms[i]));
  }
  return absl::StrCat("md5(", absl::StrJoin(parts, " || "), ")");
}

std::string OnceKeyOfColumns() {
  return OnceKeyOf(std::vector<std::string>(std::begin(kOnceColumns), std::end(kOnceColumns)));
}

std::string OnceKeyOfParams() {
  std::vector<std::string> terms = {"$1::int8"};
  for (int i = 2; i <= 11; ++i) terms.push_back(absl::StrCat("$", i, "::bytea"));
  return OnceKeyOf(terms);
}

// kMigrations()[v] takes a database from schema version v to v + 1, as
// SQLite's in sqlite_store.cc. Strings are BYTEA: byte for byte, compared
// with memcmp as std::string and SQLite compare them.
std::vector<std::string> Migrations() {
  return {
      R"sql(
CREATE TABLE expectations (
  service BYTEA NOT NULL,
  key BYTEA NOT NULL,
  value BYTEA NOT NULL,
  origin BYTEA NOT NULL DEFAULT '',
  declared_by BYTEA NOT NULL DEFAULT '',
  updated_at_unix_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (service, key)
);
CREATE TABLE events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time_unix_ms BIGINT NOT NULL,
  kind BYTEA NOT NULL,
  service BYTEA NOT NULL DEFAULT '',
  instance BYTEA NOT NULL DEFAULT '',
  rule BYTEA NOT NULL DEFAULT '',
  severity BYTEA NOT NULL DEFAULT '',
  setting BYTEA NOT NULL DEFAULT '',
  "before" BYTEA NOT NULL DEFAULT '',
  "after" BYTEA NOT NULL DEFAULT '',
  message BYTEA NOT NULL DEFAULT ''
);
CREATE INDEX events_by_time ON events (time_unix_ms, id);
CREATE INDEX events_by_service_time ON events (service, time_unix_ms, id);
CREATE TABLE baselines (
  service BYTEA PRIMARY KEY,
  value BYTEA NOT NULL
);
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('expectations', 0);
)sql",
      // The Kubernetes namespace of the instance an event is about, and the
      // key that keeps an event from being stored twice.
      absl::StrCat(R"sql(
ALTER TABLE events ADD COLUMN namespace BYTEA NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN once_key TEXT GENERATED ALWAYS AS ()sql",
                   OnceKeyOfColumns(), R"sql() STORED;
CREATE UNIQUE INDEX events_once ON events (once_key);
CREATE VIEW events_text AS SELECT id, time_unix_ms, encode(kind, 'escape') AS kind,
  encode(service, 'escape') AS service, encode(instance, 'escape') AS instance, encode(rule, 'escape') AS rule,
  encode(severity, 'escape') AS severity, encode(setting, 'escape') AS setting,
  encode("before", 'escape') AS "before", encode("after", 'escape') AS "after",
  encode(message, 'escape') AS message, encode(namespace, 'escape') AS namespace FROM events;
)sql"),
  };
}

constexpr char kEventColumns[] =
    R"(id, time_unix_ms, kind, service, instance, rule, severity, setting, "before", "after", message, namespace)";

// The prepared statements, by name.
std::vector<std::pair<const char*, std::string>> Statements() {
  const std::string events_from = absl::StrCat("SELECT ", kEventColumns, " FROM events ");
  const std::string order = " ORDER BY time_unix_ms DESC, id DESC LIMIT $3::int8";
  return {
      {"load_expectations",
       "SELECT service, key, value, origin, declared_by, updated_at_unix_ms FROM expectations ORDER BY service, key"},
      {"upsert_expectation",
       "INSERT INTO expectations (service, key, value, origin, declared_by, updated_at_unix_ms) "
       "VALUES ($1::bytea, $2::bytea, $3::bytea, $4::bytea, $5::bytea, $6::int8) ON CONFLICT (service, key) "
       "DO UPDATE SET value = excluded.value, origin = excluded.origin, declared_by = excluded.declared_by, "
       "updated_at_unix_ms = excluded.updated_at_unix_ms"},
      {"delete_expectation",
       "DELETE FROM expectations WHERE service = $1::bytea AND key = $2::bytea "
       "RETURNING key, value, origin, declared_by, updated_at_unix_ms"},
      {"delete_service_expectations",
       "DELETE FROM expectations WHERE service = $1::bytea "
       "RETURNING key, value, origin, declared_by, updated_at_unix_ms"},
      {"bump_expectations", "UPDATE counters SET value = value + 1 WHERE name = 'expectations'"},
      {"expectations_version", "SELECT value FROM counters WHERE name = 'expectations'"},
      {"lock_expectations_version", "SELECT value FROM counters WHERE name = 'expectations' FOR UPDATE"},
      {"lock_append", absl::StrCat("SELECT pg_advisory_xact_lock(", kLockClass, ", ", kAppendLock, ")")},
      // The id of the event as stored now or by an earlier try: the SELECT
      // sees the table as it was before this statement, so it finds only an
      // event stored earlier, exactly when the INSERT stored nothing.
      {"insert_event",
       absl::StrCat("WITH stored AS (INSERT INTO events (time_unix_ms, kind, service, instance, rule, severity, "
                    "setting, \"before\", \"after\", message, namespace) VALUES ($1::int8, $2::bytea, $3::bytea, "
                    "$4::bytea, $5::bytea, $6::bytea, $7::bytea, $8::bytea, $9::bytea, $10::bytea, $11::bytea) "
                    "ON CONFLICT (once_key) DO NOTHING RETURNING id) "
                    "SELECT id FROM stored UNION ALL SELECT id FROM events WHERE once_key = ",
                    OnceKeyOfParams(), " LIMIT 1")},
      {"upsert_baseline",
       "INSERT INTO baselines (service, value) VALUES ($1::bytea, $2::bytea) ON CONFLICT (service) "
       "DO UPDATE SET value = excluded.value"},
      {"delete_baseline", "DELETE FROM baselines WHERE service = $1::bytea"},
      {"load_baselines", "SELECT service, value FROM baselines ORDER BY service"},
      {"events", events_from + "WHERE time_unix_ms >= $1::int8 AND id > $2::int8" + order},
      {"events_of_service",
       events_from + "WHERE service = $4::bytea AND time_unix_ms >= $1::int8 AND id > $2::int8" + order},
      {"events_in_id_order", events_from + "WHERE id > $1::int8 ORDER BY id LIMIT $2::int8"},
      {"prune_events", "DELETE FROM events WHERE time_unix_ms < $1::int8"},
      {"last_event_id", "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_id_seq"},
      {"try_lease", absl::StrCat("SELECT pg_try_advisory_lock(", kLockClass, ", ", kHistoryLeaseLock, ")")},
      {"ping", "SELECT 1"},
  };
}

// The text of the statement called `name`.
const std::string& StatementSql(const std::string& name) {
  static const auto* by_name = [] {
    auto* out = new std::map<std::string, std::string>();
    for (auto& [n, sql] : Statements()) (*out)[n] = sql;
    return out;
  }();
  return by_name->at(name);
}

absl::StatusCode CodeForState(const char* state) {
  if (state == nullptr || std::strlen(state) != 5) return absl::StatusCode::kInternal;
  const std::string sqlstate(state);
  const std::string klass = sqlstate.substr(0, 2);
  if (klass == "08" || klass == "57" || klass == "55") return absl::StatusCode::kUnavailable;
  if (klass == "53") return absl::StatusCode::kResourceExhausted;
  if (klass == "28" || sqlstate == "42501") return absl::StatusCode::kPermissionDenied;
  if (klass == "23" || klass == "22") return absl::StatusCode::kInvalidArgument;
  if (klass == "40") return absl::StatusCode::kAborted;
  return absl::StatusCode::kInternal;
}

std::string Trimmed(const char* message) {
  return std::string(absl::StripTrailingAsciiWhitespace(message == nullptr ? "" : message));
}

void IgnoreNotice(void*, const char*) {}

}  // namespace

// A parameter in binary form: the bytes of a BYTEA, or a big-endian int8.
struct PostgresStore::Param {
  static Param Bytes(const std::string& bytes) { return {bytes}; }
  static Param Int(int64_t value) {
    std::string out(8, '\0');
    uint64_t v = static_cast<uint64_t>(value);
    for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
    return {out};
  }
  std::string bytes;
};

class PostgresStore::Result {
 public:
  explicit Result(PGresult* result) : result_(result) {}
  Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  Result& operator=(Result&&) = delete;
  ~Result() {
    if (result_ != nullptr) PQclear(result_);
  }
  PGresult* get() const { return result_; }
  int rows() const { return PQntuples(result_); }
  std::string Bytes(int row, int column) const {
    return std::string(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
  }
  // A binary int8, int4 or bool; or, for results in text form, a number.
  int64_t Int(int row, int column) const {
    const char* value = PQgetvalue(result_, row, column);
    int length = PQgetlength(result_, row, column);
    if (PQfformat(result_, column) == 0) return std::strtoll(value, nullptr, 10);
    if (length == 1) return value[0] != 0;
    uint64_t v = 0;
    for (int i = 0; i < length; ++i) v = (v << 8) | static_cast<unsigned char>(value[i]);
    if (length == 4) return static_cast<int32_t>(v);
    return static_cast<int64_t>(v);
  }

 private:
  PGresult* result_;
};

namespace {

using Result = PostgresStore::Result;
using Param = PostgresStore::Param;

corral::v1::Expectation ReadExpectation(const Result& r, int row, int first) {
  corral::v1::Expectation e;
  e.set_key(r.Bytes(row, first));
  e.set_value(r.Bytes(row, first + 1));
  e.set_origin(r.Bytes(row, first + 2));
  e.set_declared_by(r.Bytes(row, first + 3));
  e.set_updated_at_unix_ms(r.Int(row, first + 4));
  return e;
}

// Columns in kEventColumns order.
corral::v1::Event ReadEvent(const Result& r, int row) {
  corral::v1::Event e;
  e.set_id(r.Int(row, 0));
  e.set_time_unix_ms(r.Int(row, 1));
  e.set_kind(r.Bytes(row, 2));
  e.set_service(r.Bytes(row, 3));
  e.set_instance(r.Bytes(row, 4));
  e.set_rule(r.Bytes(row, 5));
  e.set_severity(r.Bytes(row, 6));
  e.set_setting(r.Bytes(row, 7));
  e.set_before(r.Bytes(row, 8));
  e.set_after(r.Bytes(row, 9));
  e.set_message(r.Bytes(row, 10));
  e.set_namespace_(r.Bytes(row, 11));
  return e;
}

}  // namespace

PostgresStore::PostgresStore(std::string uri, std::string display)
    : uri_(std::move(uri)), display_(std::move(display)) {}

PostgresStore::~PostgresStore() {
  absl::MutexLock lock(&mu_);
  if (lease_) {
    Log()->info("store {}: giving up the history writer's lease", display_);
    // Unlocked here, not left to the connection's end: PostgreSQL frees a
    // closed session's locks when its backend has exited, a moment after
    // the close, and a server taking over at once (a restart on the same
    // host) found the lease still held. No reconnection: a lost connection
    // took the lease with it.
    (void)SqlLocked(absl::StrCat("SELECT pg_advisory_unlock(", kLockClass, ", ", kHistoryLeaseLock, ")"),
                    "give up the history writer's lease");
  }
  lease_ = false;
  DisconnectLocked();
}

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? Trimmed(error) : "out of memory";
    PQfreemem(error);
    return absl::InvalidArgumentError(absl::StrCat("not a PostgreSQL connection URI: ", message));
  }
  std::map<std::string, std::string> parts;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) parts[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  // Never the password.
  std::string display =
      absl::StrCat("postgresql://", parts.count("user") ? parts["user"] + "@" : "",
                   parts.count("host") ? parts["host"] : "", parts.count("port") ? ":" : "",
                   parts.count("port") ? parts["port"] : "", "/", parts.count("dbname") ? parts["dbname"] : "");
  std::unique_ptr<PostgresStore> store(new PostgresStore(uri, display));
  absl::MutexLock lock(&store->mu_);
  CORRAL_RETURN_IF_ERROR(store->ConnectLocked());
  Log()->debug("opened store {}", store->display_);
  return store;
}

void PostgresStore::DisconnectLocked() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  if (lease_) Log()->warn("store {}: lost the connection, and with it the history writer's lease", display_);
  lease_ = false;
}

absl::Status PostgresStore::ConnectLocked() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
  DisconnectLocked();
  // Defaults the URI may override. Keepalives let the database notice a
  // server that vanished without closing its connection (a cut network),
  // and so free its lease, within about 25s; a process that dies has its
  // connection closed by the kernel, which frees the lease at once.
  const char* keywords[] = {"connect_timeout",
                            "application_name",
                            "keepalives_idle",
                            "keepalives_interval",
                            "keepalives_count",
                            "dbname",
                            nullptr};
  const char* values[] = {"5", "corral-server", "10", "5", "3", uri_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string detail = conn_ != nullptr ? Trimmed(PQerrorMessage(conn_)) : "out of memory";
    DisconnectLocked();
    bool denied =
        detail.find("authentication") != std::string::npos || detail.find("permission denied") != std::string::npos;
    return absl::Status(denied ? absl::StatusCode::kPermissionDenied : absl::StatusCode::kUnavailable,
                        absl::StrCat("store ", display_, ": cannot connect: ", detail));
  }
  PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  connecting_ = true;
  absl::Status status = MigrateLocked();
  for (const auto& [name, sql] : Statements()) {
    if (!status.ok()) break;
    Result prepared(PQprepare(conn_, name, sql.c_str(), 0, nullptr));
    PGresult* raw = prepared.get();
    if (PQresultStatus(raw) != PGRES_COMMAND_OK) status = Error(raw, absl::StrCat("prepare ", name).c_str());
  }
  connecting_ = false;
  if (!status.ok()) DisconnectLocked();
  return status;
}

absl::Status PostgresStore::MigrateLocked() {
  int64_t from = 0;
  const int latest = kSchemaVersion;
  CORRAL_RETURN_IF_ERROR(InTransaction("create the schema", [&]() -> absl::Status {
    CORRAL_RETURN_IF_ERROR(
        SqlLocked(absl::StrCat("SELECT pg_advisory_xact_lock(", kLockClass, ", ", kSchemaLock, ")"), "lock the schema")
            .status());
    CORRAL_ASSIGN_OR_RETURN(
        Result found,
        SqlLocked("SELECT to_regclass('corral_schema') IS NOT NULL, concat_ws(', ', to_regclass('expectations'), "
                  "to_regclass('events'), to_regclass('baselines'), to_regclass('counters'))",
                  "read the schema"));
    const bool versioned = found.Bytes(0, 0) == "t";
    const std::string tables = found.Bytes(0, 1);
    if (!versioned) {
      if (!tables.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat(display_, " has tables named like Corral's (", tables,
                         ") but no corral_schema table: it is not a Corral database; refusing to use it"));
      }
    } else {
      CORRAL_ASSIGN_OR_RETURN(Result version,
                              SqlLocked("SELECT max(version) FROM corral_schema", "read the schema version"));
      from = version.Int(0, 0);
    }
    if (from > latest) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s was written by a newer corral-server (schema version %d; this one reads up to %d); run that version, "
          "or point --database at another database",
          display_, from, latest));
    }
    if (from == latest) return absl::OkStatus();
    std::vector<std::string> migrations = Migrations();
    for (int64_t v = from; v < latest; ++v) {
      CORRAL_RETURN_IF_ERROR(SqlLocked(migrations[v], "create the schema").status());
    }
    return SqlLocked(versioned ? absl::StrCat("UPDATE corral_schema SET version = ", latest)
                               : absl::StrCat("CREATE TABLE corral_schema (version INTEGER NOT NULL); "
                                              "INSERT INTO corral_schema (version) VALUES (",
                                              latest, ")"),
                     "stamp the schema version")
        .status();
  }));
  if (from == 0) {
    Log()->info("created store {} (schema version {})", display_, latest);
  } else if (from < latest) {
    Log()->info("upgraded store {} from schema version {} to {}", display_, from, latest);
  }
  return absl::OkStatus();
}

absl::StatusOr<PostgresStore::Result> PostgresStore::RunLocked(const char* name, const std::vector<Param>& params,
                                                               const char* doing, bool plan_now) {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    if (connecting_ || in_transaction_) {
      DisconnectLocked();
      return absl::UnavailableError(absl::StrCat("store ", display_, ": cannot ", doing, ": the connection was lost"));
    }
    CORRAL_RETURN_IF_ERROR(ConnectLocked());
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats(params.size(), 1);
  for (const Param& p : params) {
    values.push_back(p.bytes.data());
    lengths.push_back(static_cast<int>(p.bytes.size()));
  }
  Result result(plan_now ? PQexecParams(conn_, StatementSql(name).c_str(), static_cast<int>(params.size()), nullptr,
                                        values.data(), lengths.data(), formats.data(), /*resultFormat=*/1)
                         : PQexecPrepared(conn_, name, static_cast<int>(params.size()), values.data(), lengths.data(),
                                          formats.data(), /*resultFormat=*/1));
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return Error(result.get(), doing);
  return result;
}

absl::StatusOr<PostgresStore::Result> PostgresStore::SqlLocked(const std::string& sql, const char* doing) {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    DisconnectLocked();
    return absl::UnavailableError(absl::StrCat("store ", display_, ": cannot ", doing, ": the connection was lost"));
  }
  Result result(PQexec(conn_, sql.c_str()));
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return Error(result.get(), doing);
  return result;
}

absl::Status PostgresStore::Error(pg_result* result, const char* doing) {
  std::string detail = Trimmed(result != nullptr ? PQresultErrorMessage(result) : nullptr);
  if (detail.empty() && conn_ != nullptr) detail = Trimmed(PQerrorMessage(conn_));
  absl::StatusCode code = CodeForState(result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    DisconnectLocked();
    code = absl::StatusCode::kUnavailable;
  }
  return absl::Status(code, absl::StrCat("store ", display_, ": cannot ", doing, ": ", detail));
}

absl::Status PostgresStore::InTransaction(const char* doing, absl::FunctionRef<absl::Status()> body) {
  if (!connecting_) CORRAL_RETURN_IF_ERROR(ConnectLocked());
  CORRAL_RETURN_IF_ERROR(SqlLocked("BEGIN", doing).status());
  in_transaction_ = true;
  absl::Status status = body();
  in_transaction_ = false;
  if (status.ok()) status = SqlLocked("COMMIT", doing).status();
  if (!status.ok() && conn_ != nullptr && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    Result rollback(PQexec(conn_, "ROLLBACK"));
    if (PQresultStatus(rollback.get()) != PGRES_COMMAND_OK) {
      Log()->error("store {}: cannot roll back after failing to {}: {}", display_, doing,
                   Trimmed(PQresultErrorMessage(rollback.get())));
      DisconnectLocked();
    }
  }
  return status;
}

absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> PostgresStore::LoadExpectations() {
  absl::MutexLock lock(&mu_);
  CORRAL_ASSIGN_OR_RETURN(Result r, RunLocked("load_expectations", {}, "load expectations"));
  std::vector<corral::v1::ServiceExpectations> services;
  for (int row = 0; row < r.rows(); ++row) {
    std::string service = r.Bytes(row, 0);
    if (services.empty() || services.back().service() != service) {
      services.emplace_back().set_service(std::move(service));
    }
    *services.back().add_expectations() = ReadExpectation(r, row, 1);
  }
  return services;
}

absl::Status PostgresStore::WriteExpectations(const std::vector<corral::v1::ServiceExpectations>& services,
                                              bool replace, std::optional<int64_t> if_version) {
  absl::MutexLock lock(&mu_);
  return InTransaction("write expectations", [&]() -> absl::Status {
    if (if_version) {
      // Locks the counter until the commit: another server's write waits
      // here, then finds the version moved.
      CORRAL_ASSIGN_OR_RETURN(Result r, RunLocked("lock_expectations_version", {}, "write expectations"));
      int64_t version = r.rows() > 0 ? r.Int(0, 0) : 0;
      if (version != *if_version) {
        return absl::AbortedError(absl::StrCat("the expectations changed on another server meanwhile (version ",
                                               *if_version, ", now ", version, ")"));
      }
    }
    for (const corral::v1::ServiceExpectations& service : services) {
      if (replace) {
        CORRAL_RETURN_IF_ERROR(
            RunLocked("delete_service_expectations", {Param::Bytes(service.service())}, "replace expectations")
                .status());
      }
      for (const corral::v1::Expectation& e : service.expectations()) {
        CORRAL_RETURN_IF_ERROR(
            RunLocked("upsert_expectation",
                      {Param::Bytes(service.service()), Param::Bytes(e.key()), Param::Bytes(e.value()),
                       Param::Bytes(e.origin()), Param::Bytes(e.declared_by()), Param::Int(e.updated_at_unix_ms())},
                      "write an expectation")
                .status());
      }
    }
    return RunLocked("bump_expectations", {}, "write expectations").status();
  });
}

absl::StatusOr<std::vector<corral::v1::Expectation>> PostgresStore::DeleteExpectations(
    const std::string& service, const std::vector<std::string>& keys) {
  absl::MutexLock lock(&mu_);
  std::vector<corral::v1::Expectation> removed;
  auto drain = [&](const Result& r) {
    for (int row = 0; row < r.rows(); ++row) removed.push_back(ReadExpectation(r, row, 0));
  };
  CORRAL_RETURN_IF_ERROR(InTransaction("delete expectations", [&]() -> absl::Status {
    if (keys.empty()) {
      CORRAL_ASSIGN_OR_RETURN(Result r,
                              RunLocked("delete_service_expectations", {Param::Bytes(service)}, "delete expectations"));
      drain(r);
    }
    for (const std::string& key : keys) {
      CORRAL_ASSIGN_OR_RETURN(
          Result r, RunLocked("delete_expectation", {Param::Bytes(service), Param::Bytes(key)}, "delete expectations"));
      drain(r);
    }
    return RunLocked("bump_expectations", {}, "delete expectations").status();
  }));
  std::sort(removed.begin(), removed.end(),
            [](const corral::v1::Expectation& a, const corral::v1::Expectation& b) { return a.key() < b.key(); });
  return removed;
}

absl::StatusOr<int64_t> PostgresStore::ExpectationsVersion() {
  absl::MutexLock lock(&mu_);
  CORRAL_ASSIGN_OR_RETURN(Result r, RunLocked("expectations_version", {}, "read the expectations' version"));
  return r.rows() > 0 ? r.Int(0, 0) : 0;
}

absl::Status PostgresStore::Append(std::vector<corral::v1::Event>* events,
                                   const std::map<std::string, std::string>& baselines) {
  if ((events == nullptr || events->empty()) && baselines.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  std::vector<int64_t> ids;
  CORRAL_RETURN_IF_ERROR(InTransaction("append events", [&]() -> absl::Status {
    // Checked in the transaction, on its connection: the lease is that
    // session's, so it holds until the commit.
    if (!baselines.empty() && !lease_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", display_, ": cannot write the history's baselines: this server is not the history writer"));
    }
    if (events != nullptr) {
      CORRAL_RETURN_IF_ERROR(RunLocked("lock_append", {}, "append events").status());
      ids.reserve(events->size());
      CORRAL_RETURN_IF_ERROR(InsertEventsLocked(*events, &ids));
    }
    for (const auto& [service, value] : baselines) {
      absl::StatusOr<Result> written =
          value.empty()
              ? RunLocked("delete_baseline", {Param::Bytes(service)}, "write a baseline")
              : RunLocked("upsert_baseline", {Param::Bytes(service), Param::Bytes(value)}, "write a baseline");
      CORRAL_RETURN_IF_ERROR(written.status());
    }
    return absl::OkStatus();
  }));
  for (size_t i = 0; i < ids.size(); ++i) (*events)[i].set_id(ids[i]);
  return absl::OkStatus();
}

absl::Status PostgresStore::InsertEventsLocked(const std::vector<corral::v1::Event>& events,
                                               std::vector<int64_t>* ids) {
  // Sent in a pipeline, one round trip for many events rather than one
  // each; in chunks, so that the results waiting to be read never fill the
  // socket's buffers (a blocking connection would then wait on itself).
  constexpr size_t kChunk = 256;
  for (size_t from = 0; from < events.size(); from += kChunk) {
    const size_t to = std::min(events.size(), from + kChunk);
    if (PQenterPipelineMode(conn_) != 1) return Error(nullptr, "append events");
    absl::Status status;
    size_t sent = 0;
    for (size_t i = from; i < to; ++i) {
      const corral::v1::Event& e = events[i];
      const Param params[] = {Param::Int(e.time_unix_ms()), Param::Bytes(e.kind()),      Param::Bytes(e.service()),
                              Param::Bytes(e.instance()),   Param::Bytes(e.rule()),      Param::Bytes(e.severity()),
                              Param::Bytes(e.setting()),    Param::Bytes(e.before()),    Param::Bytes(e.after()),
                              Param::Bytes(e.message()),    Param::Bytes(e.namespace_())};
      const char* values[std::size(params)];
      int lengths[std::size(params)];
      int formats[std::size(params)];
      for (size_t p = 0; p < std::size(params); ++p) {
        values[p] = params[p].bytes.data();
        lengths[p] = static_cast<int>(params[p].bytes.size());
        formats[p] = 1;
      }
      if (PQsendQueryPrepared(conn_, "insert_event", static_cast<int>(std::size(params)), values, lengths, formats,
                              /*resultFormat=*/1) != 1) {
        status = Error(nullptr, "append an event");
        break;
      }
      ++sent;
    }
    // Also after a failed send: what was sent is then read up to the sync.
    if (conn_ != nullptr && sent > 0 && PQpipelineSync(conn_) != 1 && status.ok()) {
      status = Error(nullptr, "append events");
    }
    // Every result up to the sync is read, also after an error, so that the
    // connection can roll back and go on.
    for (size_t i = 0; i < sent && conn_ != nullptr; ++i) {
      Result result(PQgetResult(conn_));
      if (result.get() == nullptr) {
        if (status.ok()) status = Error(nullptr, "append an event");
        break;
      }
      if (PQresultStatus(result.get()) == PGRES_TUPLES_OK && result.rows() == 1) {
        if (status.ok()) ids->push_back(result.Int(0, 0));
      } else if (status.ok()) {
        status = PQresultStatus(result.get()) == PGRES_TUPLES_OK
                     ? absl::InternalError(absl::StrCat("store ", display_, ": appending an event gave no id"))
                     : Error(result.get(), "append an event");
      }
      Result end(conn_ != nullptr ? PQgetResult(conn_) : nullptr);  // null after each query's results
    }
    if (conn_ != nullptr && sent > 0 && PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
      Result sync(PQgetResult(conn_));
      if (status.ok() && PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) status = Error(sync.get(), "append events");
    }
    if (conn_ != nullptr && PQexitPipelineMode(conn_) != 1) {
      if (status.ok()) status = Error(nullptr, "append events");
      DisconnectLocked();  // a connection left in pipeline mode is of no use
    }
    CORRAL_RETURN_IF_ERROR(status);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> PostgresStore::LoadBaselines() {
  absl::MutexLock lock(&mu_);
  CORRAL_ASSIGN_OR_RETURN(Result r, RunLocked("load_baselines", {}, "load baselines"));
  std::map<std::string, std::string> baselines;
  for (int row = 0; row < r.rows(); ++row) baselines.emplace(r.Bytes(row, 0), r.Bytes(row, 1));
  return baselines;
}

absl::StatusOr<std::vector<corral::v1::Event>> PostgresStore::Events(const EventQuery& query, bool* truncated) {
  if (query.limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("event query limit must be at least 1, not ", query.limit));
  }
  absl::MutexLock lock(&mu_);
  std::vector<Param> params = {Param::Int(query.since_unix_ms), Param::Int(query.after_id),
                               Param::Int(static_cast<int64_t>(query.limit) + 1)};
  if (!query.service.empty()) params.push_back(Param::Bytes(query.service));
  // Planned with the actual parameters each time: a plan made once for any
  // after_id could walk the time index over the whole history to find the
  // few events after a recent id (what every server's Follow() asks every
  // 200ms). Planning costs about what a statement's round trip does.
  CORRAL_ASSIGN_OR_RETURN(Result r, RunLocked(query.service.empty() ? "events" : "events_of_service", params,
                                              "read events", /*plan_now=*/true));
  std::vector<corral::v1::Event> events;
  for (int row = 0; row < r.rows(); ++row) events.push_back(ReadEvent(r, row));
  // Rows come newest first; the extra one, if any, is the oldest.
  bool more = events.size() > static_cast<size_t>(query.limit);
  if (more) events.pop_back();
  std::reverse(events.begin(), events.end());
  if (truncated != nullptr) *truncated = more;
  return events;
}

absl::StatusOr<std::vector<corral::v1::Event>> PostgresStore::EventsAfter(int64_t after_id, int limit) {
  if (limit < 1) return absl::InvalidArgumentError(absl::StrCat("event query limit must be at least 1, not ", limit));
  absl::MutexLock lock(&mu_);
  CORRAL_ASSIGN_OR_RETURN(Result r,
                          RunLocked("events_in_id_order", {Param::Int(after_id), Param::Int(limit)}, "read events"));
  std::vector<corral::v1::Event> events;
  for (int row = 0; row < r.rows(); ++row) events.push_back(ReadEvent(r, row));
  return events;
}

absl::StatusOr<int64_t> PostgresStore::PruneEvents(int64_t before_unix_ms) {
  absl::MutexLock lock(&mu_);
  CORRAL_ASSIGN_OR_RETURN(Result r, RunLocked("prune_events", {Param::Int(before_unix_ms)}, "prune events"));
  return static_cast<int64_t>(std::strtoll(PQcmdTuples(r.get()), nullptr, 10));
}

int64_t PostgresStore::LastEventId() {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Result> r = RunLocked("last_event_id", {}, "read the last event id");
  if (!r.ok()) {
    Log()->warn("{}", std::string(r.status().message()));
    return 0;
  }
  return r->rows() > 0 ? r->Int(0, 0) : 0;
}

absl::StatusOr<bool> PostgresStore::HoldHistoryLease(bool* taken_now) {
  absl::MutexLock lock(&mu_);
  if (taken_now != nullptr) *taken_now = false;
  if (lease_) {
    // A connection that broke since loses the lease here.
    CORRAL_RETURN_IF_ERROR(RunLocked("ping", {}, "check the history writer's lease").status());
    if (lease_) return true;
  }
  CORRAL_ASSIGN_OR_RETURN(Result r, RunLocked("try_lease", {}, "take the history writer's lease"));
  lease_ = r.rows() > 0 && r.Int(0, 0) != 0;
  if (lease_) {
    if (taken_now != nullptr) *taken_now = true;
    Log()->info("store {}: took the history writer's lease", display_);
  }
  return lease_;
}

}  // namespace corral::server
