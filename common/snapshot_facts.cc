#include "common/snapshot_facts.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

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
  if (it == instance.config().end() || it->second.source() == "unknown") return std::nullopt;
  int64_t n = 0;
  if (!absl::SimpleAtoi(it->second.value(), &n)) return std::nullopt;
  return n;
}

std::optional<bool> BoolSetting(const corral::v1::GunicornInstance& instance, const char* name) {
  auto it = instance.config().find(name);
  if (it == instance.config().end() || it->second.source() == "unknown") return std::nullopt;
  if (it->second.value() == "true") return true;
  if (it->second.value() == "false") return false;
  return std::nullopt;
}

std::string SettingSourceText(const corral::v1::Setting& s) {
  if (s.source() != "config_file" || s.file().empty()) return s.source();
  return s.line() > 0 ? absl::StrCat(s.source(), " ", s.file(), ":", s.line())
                      : absl::StrCat(s.source(), " ", s.file());
}

}  // namespace corral
