// Keeps every service's evaluation current, so fleet-wide queries at ten
// thousand instances read results instead of recomputing them.
//
// An evaluation is reused while it is exact: the service's version (which
// changes with every report, stream open or close, or forgotten instance)
// is the one it was computed from, and no instance has reached its offline
// deadline since. A background Refresh() re-evaluates what changed, so the
// rules run for every service shortly after every report; a query
// re-evaluates on the spot whatever Refresh() has not reached yet, so
// answers are never stale.
#ifndef CORRAL_SERVER_FLEET_EVALUATOR_H_
#define CORRAL_SERVER_FLEET_EVALUATOR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "corral/v1/fleet.pb.h"
#include "server/expectation_book.h"
#include "server/history.h"
#include "server/registry.h"

namespace corral::server {

// One service as its latest evaluation saw it.
struct EvaluatedService {
  std::string name;
  std::vector<InstanceView> views;  // by instance name
  corral::v1::ServiceSummary summary;
  std::vector<corral::v1::Finding> findings;
  std::shared_ptr<const Expectations> expected;  // may be null
};

// An evaluation is also redone when the service's expectations change, and
// every fresh one is shown to the history, which records what changed.
class FleetEvaluator {
 public:
  // `book` and `history` may be null (no expectations, no history).
  explicit FleetEvaluator(const Registry* registry, const ExpectationBook* book = nullptr, History* history = nullptr)
      : registry_(registry), book_(book), history_(history) {}

  // Re-evaluates every service whose evaluation is no longer exact; returns
  // how many it evaluated. Services that are gone are dropped.
  int Refresh();

  corral::v1::FleetStatus Status();
  // Findings of every service, or of `service` (none when it is unknown).
  corral::v1::CheckResponse Check(const std::optional<std::string>& service);
  // Every service's current evaluation, in name order (for /metrics).
  std::vector<EvaluatedService> Services();
  // One service's findings, current; nullopt when it has no instance.
  std::optional<std::vector<corral::v1::Finding>> Findings(const std::string& service);

 private:
  struct Evaluation {
    uint64_t version = 0;
    absl::Time valid_until;
    std::shared_ptr<const Expectations> expected;
    std::vector<InstanceView> views;
    corral::v1::ServiceSummary summary;
    std::vector<corral::v1::Finding> findings;
  };

  // The service's evaluation: the cached one while it is still exact, else
  // one made now and shown to the history, which records what changed;
  // nullptr when the service has no instance.
  std::shared_ptr<const Evaluation> EvaluateAndRecord(const std::string& service, uint64_t version);

  const Registry* registry_;
  const ExpectationBook* book_;
  History* history_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Evaluation>> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_FLEET_EVALUATOR_H_
