// The Store (server/store.h) in a PostgreSQL database that several
// corral-servers share (docs/HIGH_AVAILABILITY.md), through libpq.
//
// Tables: corral_schema(version), expectations, events, baselines,
// counters(name, value); strings are BYTEA, stored byte for byte (also
// invalid UTF-8 and NULs) and compared byte-wise, as in SQLite. Operators
// read events through the view events_text:
//   psql "$URI" -c "SELECT id, to_timestamp(time_unix_ms / 1000.0), kind,
//     service, message FROM events_text ORDER BY id DESC LIMIT 20"
//
// Shared use:
//   - every write of expectations bumps counters('expectations'), which
//     other servers poll (ExpectationsVersion) to reload them;
//   - the history writer holds a session-level advisory lock (the lease) on
//     the one connection it writes through; baselines are only written by
//     the holder, in the same transaction as the events they account for,
//     so a server that takes over starts from exactly what was committed;
//   - appends are serialised by a transaction-level advisory lock, so ids
//     become visible in increasing order (other servers tail them);
//   - each event has a key derived from its content (its time included),
//     unique in the table: an append retried after its commit was
//     acknowledged to nobody (the connection broke) stores nothing twice.
//
// One connection behind a mutex. When it breaks (the database restarted),
// the call fails with Unavailable, the lease is lost, and the next call
// connects again.
#ifndef CORRAL_SERVER_POSTGRES_STORE_H_
#define CORRAL_SERVER_POSTGRES_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "corral/v1/fleet.pb.h"
#include "server/store.h"

struct pg_conn;
struct pg_result;

namespace corral::server {

class PostgresStore final : public Store {
 public:
  // Connects to `uri` (a libpq connection URI), creates or upgrades the
  // schema (one server at a time, under an advisory lock). Errors name the
  // database (without its password):
  //   Unavailable         the server cannot be reached;
  //   PermissionDenied    authentication failed or a table may not be written;
  //   FailedPrecondition  the database has tables named like Corral's that are
  //                       not Corral's, or was written by a newer corral-server
  //                       (the message names both schema versions).
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(const std::string& uri);

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;
  ~PostgresStore() override;

  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> LoadExpectations() override;
  absl::Status WriteExpectations(const std::vector<corral::v1::ServiceExpectations>& services, bool replace,
                                 std::optional<int64_t> if_version = std::nullopt) override;
  absl::StatusOr<std::vector<corral::v1::Expectation>> DeleteExpectations(
      const std::string& service, const std::vector<std::string>& keys) override;
  absl::StatusOr<int64_t> ExpectationsVersion() override;
  absl::Status Append(std::vector<corral::v1::Event>* events,
                      const std::map<std::string, std::string>& baselines = {}) override;
  absl::StatusOr<std::map<std::string, std::string>> LoadBaselines() override;
  absl::StatusOr<std::vector<corral::v1::Event>> Events(const EventQuery& query, bool* truncated) override;
  absl::StatusOr<std::vector<corral::v1::Event>> EventsAfter(int64_t after_id, int limit) override;
  absl::StatusOr<int64_t> PruneEvents(int64_t before_unix_ms) override;
  // The events' id sequence: also ids given since by other servers, and ids
  // of events pruned since. 0 when none was given, or when the database
  // cannot be read (then also logged).
  int64_t LastEventId() override;
  bool shared() const override { return true; }
  absl::StatusOr<bool> HoldHistoryLease(bool* taken_now = nullptr) override;
  const std::string& path() const override { return display_; }

  // Details of the implementation, named here only for postgres_store.cc.
  class Result;
  struct Param;

 private:
  PostgresStore(std::string uri, std::string display);

  // Connects when not connected and prepares the statements.
  absl::Status ConnectLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Creates or upgrades the schema.
  absl::Status MigrateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs the prepared statement `name` with binary parameters and results;
  // with `plan_now`, its text, planned for these parameters.
  absl::StatusOr<Result> RunLocked(const char* name, const std::vector<Param>& params, const char* doing,
                                   bool plan_now = false) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Result> SqlLocked(const std::string& sql, const char* doing) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status InTransaction(const char* doing, absl::FunctionRef<absl::Status()> body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inserts `events` in order, in the current transaction; appends their
  // ids (new, or the ones an earlier try gave them).
  absl::Status InsertEventsLocked(const std::vector<corral::v1::Event>& events, std::vector<int64_t>* ids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // An error about this store from `result` (null: from the connection);
  // drops a broken connection, and the lease with it.
  absl::Status Error(pg_result* result, const char* doing) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DisconnectLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string uri_;
  const std::string display_;
  absl::Mutex mu_;
  pg_conn* conn_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool lease_ ABSL_GUARDED_BY(mu_) = false;
  // While connecting or in a transaction, a lost connection is an error,
  // never a reason to connect again.
  bool connecting_ ABSL_GUARDED_BY(mu_) = false;
  bool in_transaction_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_POSTGRES_STORE_H_
