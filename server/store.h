// The server's durable state: expectations per service, the event history,
// and opaque per-service "baselines" (bytes the server uses to tell what
// changed since it last looked). One interface, two engines:
//
//   - SQLite (server/sqlite_store.h), the default: one file that belongs to
//     one corral-server;
//   - PostgreSQL (server/postgres_store.h), selected by a
//     postgresql://... or postgres://... location: one database shared by
//     several corral-servers, which then share expectations and history
//     (docs/HIGH_AVAILABILITY.md).
//
// Both engines keep the same schema version (kSchemaVersion), create and
// upgrade their schema on Open, and refuse, with a message that names both
// versions, a database written by a newer corral-server.
//
// Implementations are thread-safe.
#ifndef CORRAL_SERVER_STORE_H_
#define CORRAL_SERVER_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "corral/v1/fleet.pb.h"

namespace corral::server {

struct EventQuery {
  std::string service;        // empty: all services
  int64_t since_unix_ms = 0;  // events with time >= this
  int64_t after_id = 0;       // events with id > this
  int limit = 1000;           // at most this many: the NEWEST ones matching, returned oldest first
};

class Store {
 public:
  // The schema version this code writes and reads, in either engine.
  static constexpr int kSchemaVersion = 2;

  // How long a call waits for another process's lock before failing with
  // Unavailable.
  static constexpr absl::Duration kBusyTimeout = absl::Seconds(5);

  // Opens the store at `location`: a PostgreSQL connection URI
  // (postgresql://USER@HOST:PORT/DB?..., see IsPostgresLocation) or else the
  // path of an SQLite file. See SqliteStore::Open and PostgresStore::Open
  // for the errors.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& location);

  // Whether `location` names a PostgreSQL database rather than a file.
  static bool IsPostgresLocation(absl::string_view location);

  virtual ~Store() = default;

  // Every service's expectations, ordered by service, then key (byte-wise).
  // Services without expectations do not appear.
  virtual absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> LoadExpectations() = 0;

  // In one transaction: for each listed service, replaces all its
  // expectations with the listed ones (`replace`; an empty list drops them
  // all) or inserts and overwrites just the listed keys. Every field of each
  // Expectation is stored as given. When a key (or, with `replace`, a
  // service) is listed twice, the later one wins. With `if_version`, on a
  // shared store, nothing is written unless ExpectationsVersion() still
  // is that number: Aborted says another server wrote since it was read.
  virtual absl::Status WriteExpectations(const std::vector<corral::v1::ServiceExpectations>& services, bool replace,
                                         std::optional<int64_t> if_version = std::nullopt) = 0;

  // In one transaction: drops the given keys of `service`, or all its
  // expectations when `keys` is empty. Returns the expectations removed,
  // ordered by key; keys that were not set are ignored.
  virtual absl::StatusOr<std::vector<corral::v1::Expectation>> DeleteExpectations(
      const std::string& service, const std::vector<std::string>& keys) = 0;

  // A number that changes whenever anyone writes expectations. A server
  // sharing the store with others compares it to tell when to reload them;
  // a store of one server may keep returning the same number.
  virtual absl::StatusOr<int64_t> ExpectationsVersion() { return 0; }

  // In one transaction: stores `events` in order, setting each one's id
  // (whatever id it had is ignored), and replaces the given per-service
  // baselines (an empty value deletes that service's baseline). Ids increase
  // with every event and are never reused, also after pruning and across
  // reopening. On error nothing is stored and `events` keep the ids they had.
  // `events` may be null to replace baselines only.
  // On a shared store, baselines are the history writer's: writing any
  // without holding the lease (HoldHistoryLease) is FailedPrecondition.
  virtual absl::Status Append(std::vector<corral::v1::Event>* events,
                              const std::map<std::string, std::string>& baselines = {}) = 0;

  // Every stored baseline, by service.
  virtual absl::StatusOr<std::map<std::string, std::string>> LoadBaselines() = 0;

  // The events matching `query`, oldest first: ordered by time, then id
  // (ids follow the order of appending, so the two agree unless the clock
  // went back). When more than `query.limit` match, the newest `limit` are
  // returned and *truncated (when not null) is set to true; otherwise it is
  // set to false. A limit below 1 is InvalidArgument.
  virtual absl::StatusOr<std::vector<corral::v1::Event>> Events(const EventQuery& query, bool* truncated) = 0;

  // The first `limit` events with an id above `after_id`, in id order: the
  // order they were stored in, whatever their times. What a reader that
  // follows the store (History::Follow) needs: reading on from the last id
  // it saw misses nothing, where Events() keeps the newest by time. A limit
  // below 1 is InvalidArgument.
  virtual absl::StatusOr<std::vector<corral::v1::Event>> EventsAfter(int64_t after_id, int limit) = 0;

  // Deletes the events whose time is before `before_unix_ms`; returns how
  // many were deleted.
  virtual absl::StatusOr<int64_t> PruneEvents(int64_t before_unix_ms) = 0;

  // The id given to the last event appended (through this store or, when
  // shared, through any other) that this store knows of; 0 when none.
  virtual int64_t LastEventId() = 0;

  // Whether several servers may use this store at once. Then only the
  // holder of the history lease records what it detects, and every server
  // learns of new events and expectations by reading the store.
  virtual bool shared() const { return false; }

  // Takes the history writer's lease when nobody holds it, or confirms this
  // store still holds it: true while this process is the one history
  // writer. A store of one server always holds it. The lease is lost with
  // the connection that held it (the process died, or the database
  // restarted); call this again to try to take it back. `*taken_now` (when
  // not null) says whether this call took it rather than kept it: whatever
  // this process remembered of the history may then be older than the
  // store's.
  virtual absl::StatusOr<bool> HoldHistoryLease(bool* taken_now = nullptr) {
    if (taken_now != nullptr) *taken_now = false;
    return true;
  }

  // Names the store in messages: the SQLite file, or the PostgreSQL
  // database without its password.
  virtual const std::string& path() const = 0;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_STORE_H_
