// A snapshot as the server keeps it. On a stream, an agent leaves a
// master's configuration out (GunicornInstance.config_omitted) while it is
// unchanged since the agent last sent it on that stream; the report then
// points at the earlier snapshot that carries it. Configuration means:
// config, inputs, app_uri, launcher, title_name, gunicorn_version (with its
// source and note), settings_table, and the master's argv and cwd.
#ifndef CORRAL_SERVER_REPORT_H_
#define CORRAL_SERVER_REPORT_H_

#include <map>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
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
  struct Ref {
    std::shared_ptr<const corral::v1::Snapshot> owner;
    int index = 0;
    std::shared_ptr<const ConfigDigest> digest;
  };
  static Ref Carried(const std::shared_ptr<const corral::v1::Snapshot>& snapshot, int index);
  std::shared_ptr<const corral::v1::Snapshot> snapshot_;
  std::vector<Ref> config_;  // parallel to snapshot_->instances()
};

// One stream's memory of the configurations it carried, by master pid.
class ConfigCarriers {
 public:
  // Resolves omitted configurations against earlier messages of the stream,
  // and remembers those this one carries. A configuration omitted but never
  // sent is an InvalidArgument error.
  absl::StatusOr<Report> Resolve(std::shared_ptr<const corral::v1::Snapshot> snapshot);

 private:
  std::map<int, Report::Ref> by_pid_;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_REPORT_H_
