#include "common/snapshot_facts.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corral {

int LiveWorkers(const corral::v1::GunicornInstance& instance) {
  int live = 0;
  for (const corral::v1::ProcessFacts& worker : instance.workers()) {
    if (worker.state() != "Z" && worker.state() != "X") ++live;
  }
  return live;
}

std::optional<int64_t> ConfiguredWorkers(const corral::v1::GunicornInstance& instance) {
  auto it = instance.config().find("workers");
  if (it == instance.config().end() || !IsKnown(it->second)) return std::nullopt;
  int64_t n = 0;
  if (!absl::SimpleAtoi(it->second.value(), &n)) return std::nullopt;
  return n;
}

int LiveDirtyWorkers(const corral::v1::GunicornInstance& instance) {
  int live = 0;
  for (const corral::v1::ProcessFacts& worker : instance.dirty_workers()) {
    if (worker.state() != "Z" && worker.state() != "X") ++live;
  }
  return live;
}

std::optional<int64_t> ConfiguredDirtyWorkers(const corral::v1::GunicornInstance& instance) {
  auto apps = instance.config().find("dirty_apps");
  auto workers = instance.config().find("dirty_workers");
  if (apps == instance.config().end() || !IsKnown(apps->second)) return std::nullopt;
  if (apps->second.value().empty()) return 0;
  if (workers == instance.config().end() || !IsKnown(workers->second)) return std::nullopt;
  int64_t n = 0;
  if (!absl::SimpleAtoi(workers->second.value(), &n)) return std::nullopt;
  int64_t largest_limit = 0;
  for (absl::string_view spec : absl::StrSplit(apps->second.value(), ',', absl::SkipEmpty())) {
    // "module:Class:N" limits the app to N workers; "module:Class" takes all.
    std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
    int64_t limit = 0;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[2], &limit) || limit < 1) return n;
    largest_limit = std::max(largest_limit, limit);
  }
  return std::min(n, largest_limit);
}

std::optional<bool> BoolSetting(const corral::v1::GunicornInstance& instance, const char* name) {
  auto it = instance.config().find(name);
  if (it == instance.config().end() || !IsKnown(it->second)) return std::nullopt;
  if (it->second.value() == "true") return true;
  if (it->second.value() == "false") return false;
  return std::nullopt;
}

}  // namespace corral
