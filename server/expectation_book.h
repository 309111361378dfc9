// Every service's expectations: validated on the way in, kept in the
// Store so they survive restarts, and read by the rules without touching
// the database. On a store shared by several servers, Refresh() reloads
// them when any server changed them, and Set/Unset start from the store's.
#ifndef CORRAL_SERVER_EXPECTATION_BOOK_H_
#define CORRAL_SERVER_EXPECTATION_BOOK_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "corral/v1/fleet.pb.h"
#include "server/expectations.h"
#include "server/store.h"

namespace corral::server {

class ExpectationBook {
 public:
  // Loads what the store holds. `store` outlives the book.
  static absl::StatusOr<std::unique_ptr<ExpectationBook>> Open(Store* store);

  // The service's expectations, or nullptr when it has none. A new object
  // after every change, so a pointer comparison tells a change.
  std::shared_ptr<const Expectations> For(const std::string& service) const;
  // A number that changes whenever any service's expectations change, so a
  // reader of every service's (FleetEvaluator) looks only then.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Validates the whole request first (nothing is stored when one value is
  // bad), then writes it in one transaction. Without `replace`, the given
  // keys are added to the service's expectations (workers replaces
  // min_workers and the other way round). Returns the affected services as
  // stored and appends one expectation_changed event per changed key.
  absl::StatusOr<corral::v1::ExpectationsList> Set(corral::v1::SetExpectationsRequest request, absl::Time now,
                                                   std::vector<corral::v1::Event>* events);
  // Drops keys (all of them when none are given). NotFound when the service
  // has no expectation, or none of the keys.
  absl::StatusOr<corral::v1::ExpectationsList> Unset(const corral::v1::UnsetExpectationsRequest& request,
                                                     absl::Time now, std::vector<corral::v1::Event>* events);
  // Every service's, or one service's (empty when it has none).
  corral::v1::ExpectationsList Get(const std::string& service) const;

  // On a shared store, reloads the expectations when another server
  // changed them; a service whose expectations did not change keeps its
  // object. Returns whether any changed. Cheap when nothing did (one read
  // of a counter); the server calls it every 200ms.
  absl::StatusOr<bool> Refresh();

 private:
  explicit ExpectationBook(Store* store) : store_(store) {}
  absl::Status Commit(const std::vector<corral::v1::ServiceExpectations>& services, absl::Time now,
                      std::vector<corral::v1::Event>* events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reloads what other servers wrote, merges with `merge` and commits,
  // again (a few times) when another server wrote in between: two servers
  // setting keys of one service at once both keep theirs.
  using Merge = absl::FunctionRef<absl::StatusOr<std::vector<corral::v1::ServiceExpectations>>()>;
  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> MergeAndCommit(Merge merge, absl::Time now,
                                                                              std::vector<corral::v1::Event>* events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::StatusOr<bool> RefreshLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* store_;
  mutable absl::Mutex mu_;
  // Store::ExpectationsVersion() when by_service_ was last loaded.
  int64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::shared_ptr<const Expectations>> by_service_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{0};
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_EXPECTATION_BOOK_H_
