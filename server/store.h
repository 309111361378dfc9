// The server's durable state in one SQLite file: expectations per service,
// the event history, and opaque per-service "baselines" (bytes the server
// uses to tell what changed since it last looked).
//
// Thread-safe: one connection behind a mutex. Survives a SIGKILL of the
// process at any moment: the journal is a WAL and every write is one
// transaction, so a write that returned OK is read back by the next Open()
// and one that was cut short leaves no trace. (A power cut may lose the
// last few writes, never the file; see store.cc.)
//
// The file is meant to be readable by operators with the sqlite3 CLI:
//   sqlite3 -readonly DATA_DIR/FILE "SELECT datetime(time_unix_ms / 1000, 'unixepoch'),
//     kind, service, instance, message FROM events WHERE service = 'api'
//     ORDER BY time_unix_ms DESC LIMIT 20"
// Tables: expectations(service, key, value, origin, declared_by,
// updated_at_unix_ms), events(id, time_unix_ms, kind, service, instance,
// rule, severity, setting, before, after, message), baselines(service,
// value). Strings are stored as TEXT byte for byte (also invalid UTF-8) and
// baselines as BLOBs; an absent field is '' rather than NULL.
//
// The schema is versioned with PRAGMA user_version and the file is marked
// as Corral's with PRAGMA application_id. Open() refuses, with an error
// naming the file, a file written by a newer schema, an SQLite database
// that is not Corral's, and a file that is not SQLite at all, and leaves
// such a file as it was.
#ifndef CORRAL_SERVER_STORE_H_
#define CORRAL_SERVER_STORE_H_

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
#include "absl/time/time.h"
#include "corral/v1/fleet.pb.h"

struct sqlite3;

namespace corral::server {

struct EventQuery {
  std::string service;        // empty: all services
  int64_t since_unix_ms = 0;  // events with time >= this
  int64_t after_id = 0;       // events with id > this
  int limit = 1000;           // at most this many: the NEWEST ones matching, returned oldest first
};

class Store {
 public:
  // The schema version this code writes and reads (PRAGMA user_version).
  static constexpr int kSchemaVersion = 2;

  // How long a call waits for another process's lock on the file before
  // failing with Unavailable.
  static constexpr absl::Duration kBusyTimeout = absl::Seconds(5);

  // Opens the store at `path`, creating the file (mode 0600) and its schema
  // when it does not exist or is empty, and upgrading an older schema.
  // Errors name `path`:
  //   NotFound            its directory does not exist;
  //   PermissionDenied    the file or directory may not be read or written;
  //   FailedPrecondition  not SQLite, SQLite but not Corral's, or written by
  //                       a newer corral-server;
  //   DataLoss            damaged: cut short, or a page read while opening
  //                       is not what SQLite wrote (pages that are not read
  //                       while opening are checked when they are read);
  //   Unavailable         another process held it locked for kBusyTimeout;
  //   others              as SQLite reports them (I/O errors).
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Every service's expectations, ordered by service, then key (byte-wise).
  // Services without expectations do not appear.
  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> LoadExpectations();

  // In one transaction: for each listed service, replaces all its
  // expectations with the listed ones (`replace`; an empty list drops them
  // all) or inserts and overwrites just the listed keys. Every field of each
  // Expectation is stored as given. When a key (or, with `replace`, a
  // service) is listed twice, the later one wins.
  absl::Status WriteExpectations(const std::vector<corral::v1::ServiceExpectations>& services, bool replace);

  // In one transaction: drops the given keys of `service`, or all its
  // expectations when `keys` is empty. Returns the expectations removed,
  // ordered by key; keys that were not set are ignored.
  absl::StatusOr<std::vector<corral::v1::Expectation>> DeleteExpectations(const std::string& service,
                                                                          const std::vector<std::string>& keys);

  // In one transaction: stores `events` in order, setting each one's id
  // (whatever id it had is ignored), and replaces the given per-service
  // baselines (an empty value deletes that service's baseline). Ids increase
  // with every event and are never reused, also after pruning and across
  // reopening. On error nothing is stored and `events` keep the ids they had.
  // `events` may be null to replace baselines only.
  absl::Status Append(std::vector<corral::v1::Event>* events, const std::map<std::string, std::string>& baselines = {});

  // Every stored baseline, by service.
  absl::StatusOr<std::map<std::string, std::string>> LoadBaselines();

  // The events matching `query`, oldest first: ordered by time, then id
  // (ids follow the order of appending, so the two agree unless the clock
  // went back). When more than `query.limit` match, the newest `limit` are
  // returned and *truncated (when not null) is set to true; otherwise it is
  // set to false. A limit below 1 is InvalidArgument.
  absl::StatusOr<std::vector<corral::v1::Event>> Events(const EventQuery& query, bool* truncated);

  // Deletes the events whose time is before `before_unix_ms`; returns how
  // many were deleted.
  absl::StatusOr<int64_t> PruneEvents(int64_t before_unix_ms);

  // The id given to the last event ever appended (also when it was pruned
  // since); 0 when there was none.
  int64_t LastEventId();

  const std::string& path() const { return path_; }

 private:
  struct Statements;

  Store(std::string path, sqlite3* db);

  // Checks what the file is, switches it to WAL, creates or upgrades the
  // schema and prepares the statements.
  absl::Status Initialize() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Error() while opening, saying plainly when another process holds the
  // file locked or the file is damaged.
  absl::Status OpenError(int rc, const char* doing) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Runs `body` between BEGIN IMMEDIATE and COMMIT; rolls back when it or
  // the commit fails. `doing` names the write in errors.
  absl::Status InTransaction(const char* doing, absl::FunctionRef<absl::Status()> body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // An error about this store: names the file, says what was being done and
  // what SQLite said, with a status code that matches SQLite's result code.
  absl::Status Error(int rc, const char* doing) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  sqlite3* const db_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Statements> statements_ ABSL_GUARDED_BY(mu_);
  int64_t last_event_id_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_STORE_H_
