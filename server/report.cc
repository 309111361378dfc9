#include "server/report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace corral::server {

Report::Ref Report::Carried(const std::shared_ptr<const corral::v1::Snapshot>& snapshot, int index) {
  const corral::v1::GunicornInstance* instance = &snapshot->instances(index);
  // Aliasing: the carrier keeps its snapshot alive, and costs nothing more.
  return Ref{std::shared_ptr<const corral::v1::GunicornInstance>(snapshot, instance), false,
             std::make_shared<const ConfigDigest>(DigestConfig(*instance))};
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

const corral::v1::GunicornInstance& Report::ConfigOf(int i) const { return *config_[static_cast<size_t>(i)].carrier; }

corral::v1::GunicornInstance ConfigurationOf(const corral::v1::GunicornInstance& instance) {
  // The fields agent/config_delta.cc leaves out of a steady-state message.
  corral::v1::GunicornInstance out;
  *out.mutable_config() = instance.config();
  if (instance.has_inputs()) *out.mutable_inputs() = instance.inputs();
  out.set_app_uri(instance.app_uri());
  out.set_launcher(instance.launcher());
  out.set_title_name(instance.title_name());
  out.set_gunicorn_version(instance.gunicorn_version());
  out.set_gunicorn_version_source(instance.gunicorn_version_source());
  out.set_gunicorn_version_note(instance.gunicorn_version_note());
  out.set_settings_table(instance.settings_table());
  corral::v1::ProcessFacts* master = out.mutable_master();
  *master->mutable_argv() = instance.master().argv();
  master->set_cwd(instance.master().cwd());
  return out;
}

std::shared_ptr<const ConfigPool::Entry> ConfigPool::Intern(const corral::v1::GunicornInstance& carrier,
                                                            std::shared_ptr<const ConfigDigest> digest) {
  auto entry = std::make_shared<Entry>();
  entry->configuration = ConfigurationOf(carrier);
  entry->digest = std::move(digest);
  std::string key;
  {
    google::protobuf::io::StringOutputStream stream(&key);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    entry->configuration.SerializeToCodedStream(&coded);
  }
  absl::MutexLock lock(&mu_);
  std::weak_ptr<const Entry>& slot = entries_[key];
  if (std::shared_ptr<const Entry> held = slot.lock()) return held;
  slot = entry;
  if (entries_.size() >= sweep_at_) {
    // Forget configurations nobody holds any more; sweeping again only
    // once the map has doubled keeps this amortized O(1).
    absl::erase_if(entries_, [](const auto& kv) { return kv.second.expired(); });
    sweep_at_ = std::max<size_t>(64, 2 * entries_.size());
  }
  return entry;
}

size_t ConfigPool::size() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [key, entry] : entries_) n += entry.expired() ? 0 : 1;
  return n;
}

Report::Ref ConfigCarriers::Kept(const Report::Ref& ref) const {
  Report::Ref kept;
  kept.kept = true;
  if (pool_ == nullptr) {
    kept.carrier = std::make_shared<const corral::v1::GunicornInstance>(ConfigurationOf(*ref.carrier));
    kept.digest = ref.digest;
    return kept;
  }
  std::shared_ptr<const ConfigPool::Entry> entry = pool_->Intern(*ref.carrier, ref.digest);
  kept.carrier = std::shared_ptr<const corral::v1::GunicornInstance>(entry, &entry->configuration);
  kept.digest = entry->digest;
  return kept;
}

absl::StatusOr<Report> ConfigCarriers::Resolve(std::shared_ptr<const corral::v1::Snapshot> snapshot) {
  // The entry of master `pid` in a list like by_pid_, or its end.
  auto find_master = [](auto& masters, int pid) {
    return std::find_if(masters.begin(), masters.end(), [pid](const auto& entry) { return entry.first == pid; });
  };
  Report report;
  report.config_.reserve(static_cast<size_t>(snapshot->instances_size()));
  // Steady state: the same masters, in the same order, all omitting their
  // configuration; then what the stream remembers stays as it is.
  bool same_masters = static_cast<size_t>(snapshot->instances_size()) == by_pid_.size();
  for (int i = 0; i < snapshot->instances_size(); ++i) {
    const corral::v1::GunicornInstance& inst = snapshot->instances(i);
    int pid = inst.master().pid();
    if (!inst.config_omitted()) {
      report.config_.push_back(Report::Carried(snapshot, i));
      same_masters = false;
      continue;
    }
    auto it = find_master(by_pid_, pid);
    if (it == by_pid_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("instances[", i, "]: master ", pid,
                                                     "'s configuration was omitted but never sent on this stream"));
    }
    // The first message pointing back: keep the configuration alone, and
    // let the carrying message go.
    if (!it->second.kept) it->second = Kept(it->second);
    report.config_.push_back(it->second);
    same_masters = same_masters && it == by_pid_.begin() + i;
  }
  if (!same_masters) {
    // Masters that are gone are forgotten; a pid listed twice keeps its
    // last configuration.
    std::vector<std::pair<int, Report::Ref>> next;
    next.reserve(report.config_.size());
    for (int i = 0; i < snapshot->instances_size(); ++i) {
      int pid = snapshot->instances(i).master().pid();
      auto it = find_master(next, pid);
      if (it != next.end()) {
        it->second = report.config_[static_cast<size_t>(i)];
      } else {
        next.emplace_back(pid, report.config_[static_cast<size_t>(i)]);
      }
    }
    by_pid_ = std::move(next);
  }
  report.snapshot_ = std::move(snapshot);
  return report;
}

}  // namespace corral::server
