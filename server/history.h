// The server's event history: what changed, when. Detects changes between
// evaluations of each service (server/change_detector.h), stores them with
// the service's memory in one transaction, and hands every stored event to
// the watchers (`corral watch`).
//
// A server with nothing remembered records from its first evaluation. After
// a restart, agents take a few intervals to reconnect: until every
// remembered instance of a service has reported again, or three of that
// instance's intervals have passed, the service settles (change_detector.h,
// Coverage::kSettling): the instances back are compared at once, so what
// happens to them is recorded, while the absent ones keep their remembered
// state and findings that compare replicas wait, so a restart neither
// resolves nor reopens findings that did not change.
//
// When the store cannot be written (a full disk, an I/O error), events and
// memories wait in memory, in order, and are written with the next events
// or by Flush() once it works again; watchers get them at once all the
// same (without an id). The log says so once when writing starts failing
// and once when it works again. At most `max_unsaved_events` wait: past
// that, events still reach watchers but are not kept, and the history
// records how many were lost (an "events_lost" event) once it can write.
//
// On a store shared by several servers (Store::shared(), PostgreSQL), every
// server evaluates and remembers, but only the holder of the store's history
// lease stores what it detects; the others drop it. A server that takes the
// lease (the writer died, or the database restarted and another server got
// it first) first replaces what it remembers with the memories stored in the
// database, which were written in the same transactions as the events they
// account for: what the old writer committed is not recorded again, and
// what it detected but never committed is detected again from there. Events
// of Record() (expectations, server start and stop) are stored by whichever
// server has them. Watchers are fed from the store (Follow()), so every
// server streams the same events with their ids.
#ifndef CORRAL_SERVER_HISTORY_H_
#define CORRAL_SERVER_HISTORY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "corral/v1/fleet.pb.h"
#include "corral/v1/server_state.pb.h"
#include "server/change_detector.h"
#include "server/registry.h"
#include "server/store.h"

namespace corral::server {

struct HistoryOptions {
  // The interval assumed for a remembered instance whose own interval was
  // not remembered.
  absl::Duration default_interval = absl::Seconds(5);
  // Instances no longer reported are forgotten this long after their last
  // report (the registry's --expire).
  absl::Duration forget_after = absl::Hours(1);
  // Events older than this are pruned.
  absl::Duration retention = absl::Hours(24 * 30);
  // Events kept in memory while the store cannot be written.
  size_t max_unsaved_events = 100000;
  // How often writing them is tried again.
  absl::Duration retry_every = absl::Seconds(1);
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class History {
 public:
  // Loads the memories an earlier run saved. `store` outlives the history.
  static absl::StatusOr<std::unique_ptr<History>> Open(Store* store, HistoryOptions options);

  // When the wait for one of `service`'s remembered instances ends if it
  // does not report again (an evaluation is due then);
  // absl::InfiniteFuture() when none is awaited.
  absl::Time NextSettlingDeadline(const std::string& service) const;

  // A fresh evaluation of `service` at registry version `version` (views
  // empty when the registry no longer lists it). Evaluations older than
  // the last one observed for the service are ignored.
  void Observe(const std::string& service, uint64_t version, absl::Span<const InstanceView> views,
               const std::vector<corral::v1::Finding>& findings);

  // An instance whose agent is shutting down left the fleet on purpose:
  // records instance_stopped, resolves its open findings, and forgets it.
  // Evaluations made before it left no longer bring it back.
  void Left(const std::string& service, const std::string& instance);

  // Stores events that happened elsewhere (expectations, server start and
  // stop) and hands them to watchers.
  void Record(std::vector<corral::v1::Event> events);

  // Services with a memory, for noticing those the registry dropped.
  std::vector<std::string> RememberedServices() const;

  absl::StatusOr<std::vector<corral::v1::Event>> Query(const EventQuery& query, bool* truncated);

  // `listener` is called with every stored event, on the thread that stored
  // it; it must not block. Returns a handle for Unsubscribe.
  using Listener = std::function<void(const corral::v1::Event&)>;
  uint64_t Subscribe(Listener listener);
  void Unsubscribe(uint64_t handle);

  // Deletes events older than the retention; returns how many.
  absl::StatusOr<int64_t> Prune();

  // Writes what could not be stored earlier, if any and a retry is due
  // (or `force`). Call it now and then (the server does every 500ms), and
  // once more before exiting.
  void Flush(bool force = false);

  // Events waiting in memory to be stored.
  size_t unsaved() const;

  // On a shared store: takes the history lease when it is free (or notices
  // it was lost), and hands watchers the events stored since the last call,
  // by any server. Call it often: the server does every 200ms. Does nothing
  // on a store of one server.
  void Follow();

  // Whether this server stores what it detects (always, on a store of one
  // server).
  bool writer() const;

 private:
  History(Store* store, HistoryOptions options);
  // `detected`: events of the history's own (Observe, Left), which only
  // the writer stores.
  void StoreAndPublish(std::vector<corral::v1::Event>* events, const std::map<std::string, std::string>& memories,
                       bool detected) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Detects what changed in `service` since its memory and stores it.
  void Detect(const std::string& service, absl::Span<const InstanceView> views,
              const std::vector<corral::v1::Finding>& findings, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Replaces the memories with the store's. False when it cannot be read.
  bool LoadMemories() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes, keeps or loses the lease (shared store).
  void UpdateLease() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets detected events and memories waiting to be stored: a writer
  // that lost the lease, or took it anew, leaves them to the store's state.
  void DropUnsavedDetections() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends what waits in memory, then `events` and `memories` (either may
  // be empty), in one transaction; true when stored. `events` get their ids.
  bool WriteUnsaved(std::vector<corral::v1::Event>* events, const std::map<std::string, std::string>& memories,
                    absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Keeps `events` and `memories` in memory until they can be stored.
  void KeepUnsaved(const std::vector<corral::v1::Event>& events, const std::map<std::string, std::string>& memories,
                   bool detected, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(const std::vector<corral::v1::Event>& events);
  // Ends the wait for the instances in `views` and those whose wait is
  // over; whether `service` is still settling.
  Coverage Settle(const std::string& service, absl::Span<const InstanceView> views, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* store_;
  HistoryOptions options_;
  absl::Time started_;
  mutable absl::Mutex mu_;
  // service -> remembered instance -> when its wait ends. Filled at Open.
  std::map<std::string, std::map<std::string, absl::Time>> awaited_ ABSL_GUARDED_BY(mu_);
  int awaited_back_ ABSL_GUARDED_BY(mu_) = 0;
  int awaited_late_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, corral::v1::ServiceMemory> memory_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::pair<uint64_t, absl::Time>> observed_ ABSL_GUARDED_BY(mu_);
  // (service, instance) -> when it left; views reported before that are
  // stale. Kept until forget_after.
  std::map<std::pair<std::string, std::string>, absl::Time> left_ ABSL_GUARDED_BY(mu_);
  absl::Mutex listeners_mu_;
  std::map<uint64_t, Listener> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  uint64_t next_listener_ ABSL_GUARDED_BY(listeners_mu_) = 1;
  // Writing failed and has not worked again since.
  bool failing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time failing_since_ ABSL_GUARDED_BY(mu_);
  absl::Time next_retry_ ABSL_GUARDED_BY(mu_);
  std::vector<corral::v1::Event> unsaved_ ABSL_GUARDED_BY(mu_);
  // Parallel to unsaved_: whether each one was detected here.
  std::vector<bool> unsaved_detected_ ABSL_GUARDED_BY(mu_);
  // Whether this server stores what it detects (the lease, when shared).
  bool writer_ ABSL_GUARDED_BY(mu_) = true;
  // Shared store: each service's latest evaluation, detected again from
  // the stored memories when this server takes the lease.
  struct LastInput {
    std::vector<InstanceView> views;
    std::vector<corral::v1::Finding> findings;
  };
  std::map<std::string, LastInput> last_input_ ABSL_GUARDED_BY(mu_);
  // Shared store: the newest event id handed to watchers.
  int64_t followed_id_ ABSL_GUARDED_BY(mu_) = 0;
  // service -> its latest memory ("" to delete), not stored yet.
  std::map<std::string, std::string> unsaved_memories_ ABSL_GUARDED_BY(mu_);
  // Events dropped because too many waited, and the span of their times.
  int64_t lost_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t lost_first_ms_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t lost_last_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_HISTORY_H_
