#include "server/report.h"

#include "absl/strings/str_cat.h"

namespace corral::server {

Report::Ref Report::Carried(const std::shared_ptr<const corral::v1::Snapshot>& snapshot, int index) {
  return Ref{snapshot, index, std::make_shared<const ConfigDigest>(DigestConfig(snapshot->instances(index)))};
}

absl::StatusOr<Report> Report::Complete(std::shared_ptr<const corral::v1::Snapshot> snapshot) {
  Report report;
  for (int i = 0; i < snapshot->instances_size(); ++i) {
    if (snapshot->instances(i).config_omitted()) {
      return absl::InvalidArgumentError(absl::StrCat("instances[", i, "]: configuration omitted outside a stream"));
    }
    report.config_.push_back(Carried(snapshot, i));
  }
  report.snapshot_ = std::move(snapshot);
  return report;
}

const corral::v1::GunicornInstance& Report::ConfigOf(int i) const {
  const Ref& ref = config_[static_cast<size_t>(i)];
  return ref.owner->instances(ref.index);
}

absl::StatusOr<Report> ConfigCarriers::Resolve(std::shared_ptr<const corral::v1::Snapshot> snapshot) {
  Report report;
  std::map<int, Report::Ref> next;
  for (int i = 0; i < snapshot->instances_size(); ++i) {
    const corral::v1::GunicornInstance& inst = snapshot->instances(i);
    int pid = inst.master().pid();
    Report::Ref ref;
    if (inst.config_omitted()) {
      auto it = by_pid_.find(pid);
      if (it == by_pid_.end()) {
        return absl::InvalidArgumentError(absl::StrCat("instances[", i, "]: master ", pid,
                                                       "'s configuration was omitted but never sent on this stream"));
      }
      ref = it->second;
    } else {
      ref = Report::Carried(snapshot, i);
    }
    next[pid] = ref;
    report.config_.push_back(std::move(ref));
  }
  // Masters that are gone are forgotten.
  by_pid_ = std::move(next);
  report.snapshot_ = std::move(snapshot);
  return report;
}

}  // namespace corral::server
