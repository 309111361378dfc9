// Keeps every service's evaluation current, so fleet-wide queries at ten
// thousand instances read results instead of recomputing them.
//
// An evaluation is reused while it is exact: the service's version (which
// changes with every report, stream open or close, or forgotten instance)
// is the one it was computed from, and no instance has reached its offline
// deadline since. A background Refresh() re-evaluates what changed, so the
// rules run for every service shortly after every report. A query
// re-evaluates on the spot whatever Refresh() has not reached yet, except
// that an evaluation which misses only measurements (the registry's
// material version has not moved: no instance came or went, no worker,
// master, configuration or stream changed) is good for as long as it
// would be in the background (its measurements hold and one hold more, 3.5 s
// at 5 s agents): answers are never behind on what makes a service degraded
// or critical at once, and at most about half an agent's interval behind on
// measurements.
//
// Refresh() looks only at what changed: the services the registry lists as
// changed since the last Refresh (Registry::TakeChanged), those whose
// evaluation reached its deadline (kept in time order), and -- only when
// the expectation book's generation moved -- services whose expectations
// changed. With a hundred thousand agents connected and few reporting, it
// costs what those few cost. Only the first Refresh looks at every service.
//
// In the background a service is evaluated again at most once per
// kBackgroundEvery after reports that change what is material: a service of
// a thousand replicas, or ten thousand services whose agents all report at
// once, would otherwise be evaluated in full every Refresh. Never more
// rarely than a quarter of its replicas' shortest interval, though. Reports
// that only bring measurements wait up to half that interval (at most
// kMeasurementsEvery): still seen by the history before the same replica's
// next report replaces them (with Refresh every 200 ms), and at 5 s agents
// a service is evaluated 0.4 times a second instead of once, which was most
// of the server's own CPU per report at 100,000 agents. A deadline or a
// changed expectation is evaluated at once.
#ifndef CORRAL_SERVER_FLEET_EVALUATOR_H_
#define CORRAL_SERVER_FLEET_EVALUATOR_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
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

// How often Refresh() evaluates a service again because of new reports:
// reports that change what is material (Registry: ServiceVersion), and
// reports that only bring measurements.
inline constexpr absl::Duration kBackgroundEvery = absl::Seconds(1);
inline constexpr absl::Duration kMeasurementsEvery = absl::Milliseconds(2500);

// An evaluation is also redone when the service's expectations change, and
// every fresh one is shown to the history, which records what changed.
class FleetEvaluator {
 public:
  // `book` and `history` may be null (no expectations, no history).
  // Refresh() takes the registry's changes (Registry::TakeChanged): one
  // evaluator per registry.
  explicit FleetEvaluator(Registry* registry, const ExpectationBook* book = nullptr, History* history = nullptr)
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
    absl::Time evaluated_at;
    // How long new reports may wait for this service's next evaluation:
    // those that change what is material, and those that only bring
    // measurements.
    absl::Duration hold = kBackgroundEvery;
    absl::Duration measurements_hold = kBackgroundEvery;
    absl::Time valid_until;
    std::shared_ptr<const Expectations> expected;
    std::vector<InstanceView> views;
    corral::v1::ServiceSummary summary;
    std::vector<corral::v1::Finding> findings;
  };

  // The service's evaluation: the cached one while it is still exact, else
  // one made now and shown to the history, which records what changed;
  // nullptr when the service has no instance. A query passes the service's
  // material version too (Registry: ServiceVersion) and then also takes a
  // cached evaluation that only misses measurements and is younger than
  // measurements_hold + hold, as the background loop would: with 100,000
  // agents a report arrives for most services between two queries, and
  // evaluating them all again made `corral status` take seconds.
  std::shared_ptr<const Evaluation> EvaluateAndRecord(const std::string& service, uint64_t version);
  std::shared_ptr<const Evaluation> EvaluateAndRecord(const ServiceVersion& service);

  // Keeps `evaluation` as `service`'s, with its deadline in `deadlines_`.
  void KeepLocked(const std::string& service, std::shared_ptr<const Evaluation> evaluation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropLocked(const std::string& service) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Shows the history the services it remembers that the registry no
  // longer lists.
  void ObserveUnlisted(absl::Time now);

  Registry* registry_;
  const ExpectationBook* book_;
  History* history_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Evaluation>> cache_ ABSL_GUARDED_BY(mu_);
  // Every kept evaluation's valid_until, when finite, in time order.
  std::set<std::pair<absl::Time, std::string>> deadlines_ ABSL_GUARDED_BY(mu_);
  bool primed_ ABSL_GUARDED_BY(mu_) = false;
  // Services with reports not evaluated yet, their hold not yet passed,
  // with the material version of the latest.
  absl::flat_hash_map<std::string, uint64_t> deferred_ ABSL_GUARDED_BY(mu_);
  uint64_t book_generation_ ABSL_GUARDED_BY(mu_) = 0;
  // When the history's unlisted services are due to be looked at again.
  absl::Time unlisted_due_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_FLEET_EVALUATOR_H_
