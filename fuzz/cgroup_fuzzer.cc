// cgroup files as the agent reads them inside any container: the input is
// /proc/PID/cgroup, a NUL byte, then /proc/PID/mountinfo. Both are parsed
// and joined into cgroup directories (agent/cgroup.h), searched for a
// container id (agent/identity.h), and the first part is also read as each
// single-value cgroup file (cpu.max, cpu.cfs_quota_us with the second part
// as cpu.cfs_period_us, memory.max, pids.current, memory.events).
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "agent/cgroup.h"
#include "agent/identity.h"
#include "fuzz/fuzz_input.h"

namespace corral::agent {
namespace {

void CheckDirs(const std::string& cgroup, const std::string& mountinfo) {
  absl::StatusOr<std::vector<CgroupMembership>> memberships = ParseProcCgroup(cgroup);
  absl::StatusOr<std::vector<MountEntry>> mounts = ParseMountInfo(mountinfo);
  if (!memberships.ok() || !mounts.ok()) return;
  for (const CgroupMembership& m : *memberships) CORRAL_FUZZ_CHECK(!m.path.empty() && m.path[0] == '/');
  CgroupDirs dirs = LocateCgroupDirs(*memberships, *mounts);
  for (const auto& [controller, dir] : dirs.v1) CORRAL_FUZZ_CHECK(!dir.empty());
}

void CheckIds(const std::string& cgroup, const std::string& mountinfo) {
  for (const std::optional<std::string>& id : {ContainerIdFromCgroup(cgroup), ContainerIdFromMountInfo(mountinfo)}) {
    if (!id) continue;
    CORRAL_FUZZ_CHECK(id->size() == 64);
    for (char c : *id)
      CORRAL_FUZZ_CHECK(absl::ascii_isxdigit(static_cast<unsigned char>(c)) && !absl::ascii_isupper(c));
  }
}

void CheckValueFiles(const std::string& first, const std::string& second) {
  if (auto cpus = ParseCpuMax(first); cpus.ok() && *cpus) CORRAL_FUZZ_CHECK(**cpus > 0);
  if (auto cpus = ParseCfsQuota(first, second); cpus.ok() && *cpus) CORRAL_FUZZ_CHECK(**cpus > 0);
  if (auto limit = ParseLimit(first); limit.ok() && *limit) CORRAL_FUZZ_CHECK(**limit >= 0);
  if (auto counter = ParseCounter(first); counter.ok()) CORRAL_FUZZ_CHECK(*counter >= 0);
  (void)ParseKeyedValue(first, "oom_kill");
}

}  // namespace
}  // namespace corral::agent

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts = corral::fuzz::SplitParts(corral::fuzz::AsText(data, size), '\0', 2);
  corral::agent::CheckDirs(parts[0], parts[1]);
  corral::agent::CheckIds(parts[0], parts[1]);
  corral::agent::CheckValueFiles(parts[0], parts[1]);
  return 0;
}
