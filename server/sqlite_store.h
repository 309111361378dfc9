// The Store (server/store.h) in one SQLite file, the default: expectations
// per service, the event history, and opaque per-service "baselines", for
// one corral-server.
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
#ifndef CORRAL_SERVER_SQLITE_STORE_H_
#define CORRAL_SERVER_SQLITE_STORE_H_

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
#include "server/store.h"

struct sqlite3;

namespace corral::server {

// The schema version is Store::kSchemaVersion, kept in PRAGMA user_version;
// a call waits Store::kBusyTimeout for another process's lock on the file.
class SqliteStore final : public Store {
 public:
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
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override;

  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> LoadExpectations() override;
  absl::Status WriteExpectations(const std::vector<corral::v1::ServiceExpectations>& services, bool replace,
                                 std::optional<int64_t> if_version = std::nullopt) override;
  absl::StatusOr<std::vector<corral::v1::Expectation>> DeleteExpectations(
      const std::string& service, const std::vector<std::string>& keys) override;
  absl::Status Append(std::vector<corral::v1::Event>* events,
                      const std::map<std::string, std::string>& baselines = {}) override;
  absl::StatusOr<std::map<std::string, std::string>> LoadBaselines() override;
  absl::StatusOr<std::vector<corral::v1::Event>> Events(const EventQuery& query, bool* truncated) override;
  absl::StatusOr<std::vector<corral::v1::Event>> EventsAfter(int64_t after_id, int limit) override;
  absl::StatusOr<int64_t> PruneEvents(int64_t before_unix_ms) override;
  // Also when that event was pruned since (AUTOINCREMENT remembers it).
  int64_t LastEventId() override;

  const std::string& path() const override { return path_; }

 private:
  struct Statements;

  SqliteStore(std::string path, sqlite3* db);

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

#endif  // CORRAL_SERVER_SQLITE_STORE_H_
