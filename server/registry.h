// The server's memory of the fleet: the latest snapshot of every instance,
// when it last reported, and whether its stream is open. Thread-safe; the
// clock is injected so liveness is tested without sleeping.
//
// Liveness of an instance (its own interval decides):
//   online        reported within 3 intervals, stream open (or a unary
//                 reporter);
//   disconnected  its stream closed, at once, until it reports again;
//   offline       no report for 3 intervals -- shown, never dropped
//                 silently; forgotten only after `expire`.
// An instance whose agent says it is stopping (SIGTERM) leaves at once:
// compose recreating a container must not leave a ghost replica behind.
#ifndef CORRAL_SERVER_REGISTRY_H_
#define CORRAL_SERVER_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "corral/v1/snapshot.pb.h"
#include "server/instance_digest.h"
#include "server/report.h"

namespace corral::server {

enum class InstanceState { kOnline, kDisconnected, kOffline };

// "online", "disconnected", "offline".
const char* StateName(InstanceState state);

// One instance as a query sees it. Cheap to copy: it shares the snapshot.
struct InstanceView {
  const std::string& service() const { return snapshot().agent().service(); }
  const std::string& instance() const { return snapshot().agent().instance(); }
  const corral::v1::Snapshot& snapshot() const { return report->snapshot(); }

  InstanceState state = InstanceState::kOnline;
  absl::Time last_report;
  absl::Duration interval;
  std::shared_ptr<const Report> report;
  std::shared_ptr<const InstanceDigest> digest;
  // The last report in which the cgroup's OOM kill count went up, and by
  // how much; InfinitePast when it never did since the instance appeared.
  absl::Time last_oom_increase = absl::InfinitePast();
  int64_t oom_increase = 0;
};

struct RegistryOptions {
  absl::Duration expire = absl::Hours(1);
  int offline_after_intervals = 3;
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// A change worth one log line, reported by Sweep().
struct StateChange {
  std::string service;
  std::string instance;
  InstanceState state;
  bool forgotten = false;
};

// A service's versions. `version` changes whenever anything about one of
// its instances changes, except the passing of time; `material` only with
// what can change a judgement at once (an instance come or gone, its
// stream, and InstanceDigest::material: its masters, workers, configuration
// or OOM kills), not with a report whose only news is measurements. Both come from one
// counter: material <= version, and an evaluation of version V is exact in
// all but measurements while material <= V.
struct ServiceVersion {
  std::string name;
  uint64_t version = 0;
  uint64_t material = 0;
};

class Registry {
 public:
  explicit Registry(RegistryOptions options);

  // Keeps `report` as the latest of its instance. Returns true when the
  // instance is new (or comes back after being forgotten).
  bool Record(Report report);

  // A stream started or ended carrying reports for (service, instance).
  void StreamOpened(const std::string& service, const std::string& instance);
  void StreamClosed(const std::string& service, const std::string& instance);

  // The instance's agent is shutting down on purpose: forget the instance
  // now. Returns whether it was known.
  bool Leave(const std::string& service, const std::string& instance);

  // Forgets instances offline for longer than `expire`; returns state
  // changes since the last sweep (instances gone offline or forgotten).
  std::vector<StateChange> Sweep();

  // Current views, ordered by (service, instance). With `service` set, only
  // that service's instances.
  std::vector<InstanceView> Instances(const std::optional<std::string>& service = std::nullopt) const;

  // Calls `f(service, instances)` for every service in name order (or only
  // `service`), its instances in name order. The views are copied out of
  // the lock first, so `f` may take its time.
  void ForEachService(const std::optional<std::string>& service,
                      const std::function<void(const std::string&, absl::Span<const InstanceView>)>& f) const;

  // Every service with its versions, in name order.
  std::vector<ServiceVersion> ServiceVersions() const;
  // Services changed since the last call, each once, in name order, with
  // their versions now (version 0 for a service that is gone). For the one
  // consumer that keeps up with every change (FleetEvaluator::Refresh), so
  // that it looks at what changed rather than at every service.
  std::vector<ServiceVersion> TakeChanged();
  // One service's views and version, read together.
  std::pair<std::vector<InstanceView>, uint64_t> ServiceSnapshot(const std::string& service) const;
  // When an instance reporting at `view.interval` is offline without news.
  absl::Time OfflineAt(const InstanceView& view) const {
    return view.last_report + options_.offline_after_intervals * view.interval;
  }

  size_t size() const;
  absl::Time Now() const { return options_.now(); }

 private:
  struct Record_ {
    std::shared_ptr<const Report> report;
    std::shared_ptr<const InstanceDigest> digest;
    absl::Time last_report;
    absl::Duration interval;
    int open_streams = 0;
    bool streamed = false;  // reports have come by stream
    InstanceState last_swept_state = InstanceState::kOnline;
    absl::Time last_oom_increase = absl::InfinitePast();
    int64_t oom_increase = 0;
    // From the latest digest, read here rather than from the digest.
    int64_t oom_kills = 0;
    uint64_t material = 0;
  };
  // Reports from thousands of streams arrive on several threads: services
  // are spread over shards by name hash, each shard with its own lock, and
  // a service's instances are hashed too: a report finds its instance in
  // one or two cache lines however many replicas the service has (a tree
  // of 10,000 names cost a dozen misses per report). Views are put in name
  // order when they are read, outside the lock.
  using Instances_ = absl::flat_hash_map<std::string, Record_>;
  struct Service_ {
    Instances_ instances;
    uint64_t version = 0;
    uint64_t material = 0;
    bool queued = false;  // in its shard's `changed`
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, Service_> services ABSL_GUARDED_BY(mu);
    // Services changed (or dropped) since the last TakeChanged().
    std::vector<std::string> changed ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kShards = 16;

  InstanceState StateOf(const Record_& r, absl::Time now) const;
  Shard& ShardFor(const std::string& service) const;
  // A new version for `entry` (material too unless `material` is false),
  // queued for TakeChanged(); under shard.mu.
  static void Changed(Shard& shard, const std::string& name, Service_& entry, bool material = true);
  // Versions come from one counter, so a service forgotten and re-created
  // never repeats a version.
  static uint64_t NextVersion();

  RegistryOptions options_;
  mutable Shard shards_[kShards];
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_REGISTRY_H_
