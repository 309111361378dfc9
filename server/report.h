// A snapshot as the server keeps it. On a stream, an agent leaves a
// master's configuration out (GunicornInstance.config_omitted) while it is
// unchanged since the agent last sent it on that stream; the report then
// points at the earlier snapshot that carries it. Configuration means:
// config, inputs, app_uri, launcher, title_name, gunicorn_version (with its
// source and note), settings_table, and the master's argv and cwd.
#ifndef CORRAL_SERVER_REPORT_H_
#define CORRAL_SERVER_REPORT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "corral/v1/snapshot.pb.h"
#include "server/config_digest.h"

namespace corral::server {

class Report {
 public:
  // A snapshot whose masters all carry their configuration (unary reports,
  // and tests). Fails when one leaves it out.
  static absl::StatusOr<Report> Complete(std::shared_ptr<const corral::v1::Snapshot> snapshot);

  const corral::v1::Snapshot& snapshot() const { return *snapshot_; }
  const std::shared_ptr<const corral::v1::Snapshot>& shared_snapshot() const { return snapshot_; }

  // The instance that carries master `i`'s configuration: the snapshot's
  // own instance, or the one of an earlier message.
  const corral::v1::GunicornInstance& ConfigOf(int i) const;
  // What the server derives from that configuration, computed once.
  const ConfigDigest& ConfigDigestOf(int i) const { return *config_[static_cast<size_t>(i)].digest; }
  const std::shared_ptr<const ConfigDigest>& ConfigDigestPtr(int i) const {
    return config_[static_cast<size_t>(i)].digest;
  }

 private:
  friend class ConfigCarriers;
  friend class ConfigPool;
  struct Ref {
    // The carrying instance: inside the snapshot that carried it, until a
    // later message points at it; then a copy of the configuration alone.
    std::shared_ptr<const corral::v1::GunicornInstance> carrier;
    bool kept = false;
    std::shared_ptr<const ConfigDigest> digest;
  };
  static Ref Carried(const std::shared_ptr<const corral::v1::Snapshot>& snapshot, int index);
  std::shared_ptr<const corral::v1::Snapshot> snapshot_;
  std::vector<Ref> config_;  // parallel to snapshot_->instances()
};

// The configuration part of `instance` (the fields a stream may omit) and
// its master's argv and cwd; nothing else (not even the pid: replicas
// share it).
corral::v1::GunicornInstance ConfigurationOf(const corral::v1::GunicornInstance& instance);

// The configurations streams keep, shared by content: the replicas of a
// service carry the same one, and keep one copy and one digest of it
// between them. Thread-safe; an entry goes when its last holder does.
class ConfigPool {
 public:
  struct Entry {
    corral::v1::GunicornInstance configuration;  // ConfigurationOf()
    std::shared_ptr<const ConfigDigest> digest;
  };
  // The entry equal to ConfigurationOf(`carrier`); a new one is made with
  // `digest` (DigestConfig of `carrier`).
  std::shared_ptr<const Entry> Intern(const corral::v1::GunicornInstance& carrier,
                                      std::shared_ptr<const ConfigDigest> digest);
  // Distinct configurations held.
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  // By the configuration's deterministic serialization.
  absl::flat_hash_map<std::string, std::weak_ptr<const Entry>> entries_ ABSL_GUARDED_BY(mu_);
  size_t sweep_at_ ABSL_GUARDED_BY(mu_) = 64;
};

// One stream's memory of the configurations it carried, by master pid. It
// keeps the configuration alone, not the message that carried it: an
// agent's first message (a few KiB on the wire, tens in memory) is released
// as soon as the next one arrives.
class ConfigCarriers {
 public:
  // With `pool`, kept configurations are shared with other streams.
  explicit ConfigCarriers(ConfigPool* pool = nullptr) : pool_(pool) {}

  // Resolves omitted configurations against earlier messages of the stream,
  // and remembers those this one carries. A configuration omitted but never
  // sent is an InvalidArgument error.
  absl::StatusOr<Report> Resolve(std::shared_ptr<const corral::v1::Snapshot> snapshot);

 private:
  // `ref`, keeping its configuration alone (from the pool when there is one).
  Report::Ref Kept(const Report::Ref& ref) const;

  ConfigPool* pool_;
  // By master pid, in the order of the stream's latest message; searched
  // linearly (a validated snapshot has at most kMaxMasters).
  std::vector<std::pair<int, Report::Ref>> by_pid_;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_REPORT_H_
