#include "agent/container_resources.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/cgroup.h"
#include "agent/procfs.h"

namespace corral::agent {
namespace {

using corral::v1::ContainerResources;

// Reads <dir>/<name> as process `pid` sees it; records failures.
std::optional<std::string> ReadCgroupFile(const ProcReader& reader, int pid, const std::string& dir,
                                          const std::string& name, ContainerResources* out) {
  if (dir.empty()) return std::nullopt;
  std::string path = absl::StrCat(dir == "/" ? "" : dir, "/", name);
  absl::StatusOr<MasterFile> file = reader.ReadAsProcess(pid, path, 64 * 1024);
  if (!file.ok()) {
    if (!absl::IsNotFound(file.status())) out->add_read_errors(std::string(file.status().message()));
    return std::nullopt;
  }
  return std::move(file->content);
}

template <typename T>
std::optional<T> Parsed(absl::StatusOr<T> value, const std::string& what, ContainerResources* out) {
  if (!value.ok()) {
    out->add_read_errors(absl::StrCat(what, ": ", value.status().message()));
    return std::nullopt;
  }
  return *std::move(value);
}

void ReadUsage(const ProcReader& reader, int pid, const CgroupLocation& loc, ContainerResources* out) {
  bool v2 = loc.version == "v2";
  if (auto usage = ReadCgroupFile(reader, pid, loc.memory_dir, v2 ? "memory.current" : "memory.usage_in_bytes", out)) {
    if (auto v = Parsed(ParseCounter(*usage), "memory usage", out)) out->set_memory_usage_bytes(*v);
  }
  if (auto events = ReadCgroupFile(reader, pid, loc.memory_dir, v2 ? "memory.events" : "memory.oom_control", out)) {
    if (auto v = Parsed(ParseKeyedValue(*events, "oom_kill"), "oom_kill", out); v && *v) out->set_oom_kills(**v);
  }
  if (auto current = ReadCgroupFile(reader, pid, loc.pids_dir, "pids.current", out)) {
    if (auto v = Parsed(ParseCounter(*current), "pids.current", out)) out->set_pids_current(*v);
  }
}

}  // namespace

ContainerResources ReadContainerResources(const ProcReader& reader, int pid, CgroupLocation* location) {
  ContainerResources out;
  *location = CgroupLocation();
  absl::StatusOr<std::string> cgroup_text = reader.ReadPidFile(pid, "cgroup");
  absl::StatusOr<std::string> mountinfo_text = reader.ReadPidFile(pid, "mountinfo");
  if (!cgroup_text.ok() || !mountinfo_text.ok()) {
    out.add_read_errors(std::string((cgroup_text.ok() ? mountinfo_text.status() : cgroup_text.status()).message()));
    return out;
  }
  auto memberships = Parsed(ParseProcCgroup(*cgroup_text), "cgroup", &out);
  auto mounts = Parsed(ParseMountInfo(*mountinfo_text), "mountinfo", &out);
  if (!memberships || !mounts) return out;
  CgroupDirs dirs = LocateCgroupDirs(*memberships, *mounts);
  for (const std::string& note : dirs.notes) out.add_read_errors(note);

  // A hybrid host mounts a v2 tree beside v1 that holds few or no
  // controllers; the limits live where the memory and cpu controllers are.
  bool v2 = false;
  if (!dirs.unified.empty()) {
    std::optional<std::string> controllers = ReadCgroupFile(reader, pid, dirs.unified, "cgroup.controllers", &out);
    if (controllers) {
      for (absl::string_view c : absl::StrSplit(*controllers, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
        if (c == "memory" || c == "cpu") v2 = true;
      }
    }
    if (!v2 && dirs.v1.empty() && controllers) v2 = true;  // a pure v2 host with controllers delegated elsewhere
  }
  CgroupLocation& loc = *location;
  if (v2) {
    loc = {"v2", dirs.unified, dirs.unified, dirs.unified, dirs.unified};
  } else if (!dirs.v1.empty()) {
    auto dir = [&](const char* controller) {
      auto it = dirs.v1.find(controller);
      return it == dirs.v1.end() ? std::string() : it->second;
    };
    loc = {"v1", dir("cpu"), dir("cpuset"), dir("memory"), dir("pids")};
  } else {
    out.add_read_errors("no cgroup hierarchy with controllers is mounted in the process's view");
    return out;
  }
  out.set_cgroup_version(loc.version);
  out.set_cgroup_path(loc.memory_dir.empty() ? loc.cpu_dir : loc.memory_dir);

  if (v2) {
    if (auto cpu_max = ReadCgroupFile(reader, pid, loc.cpu_dir, "cpu.max", &out)) {
      if (auto quota = Parsed(ParseCpuMax(*cpu_max), "cpu.max", &out); quota && *quota) {
        out.set_cpu_quota_cores(**quota);
      }
    }
  } else {
    auto quota = ReadCgroupFile(reader, pid, loc.cpu_dir, "cpu.cfs_quota_us", &out);
    auto period = ReadCgroupFile(reader, pid, loc.cpu_dir, "cpu.cfs_period_us", &out);
    if (quota && period) {
      if (auto cores = Parsed(ParseCfsQuota(*quota, *period), "cfs quota", &out); cores && *cores) {
        out.set_cpu_quota_cores(**cores);
      }
    }
  }
  if (auto cpus =
          ReadCgroupFile(reader, pid, loc.cpuset_dir, v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus", &out)) {
    if (auto n = Parsed(CountCpuList(*cpus), "effective cpus", &out)) out.set_effective_cpus(*n);
  }
  if (auto limit = ReadCgroupFile(reader, pid, loc.memory_dir, v2 ? "memory.max" : "memory.limit_in_bytes", &out)) {
    if (auto v = Parsed(ParseLimit(*limit), "memory limit", &out); v && *v) out.set_memory_limit_bytes(**v);
  }
  if (auto limit = ReadCgroupFile(reader, pid, loc.pids_dir, "pids.max", &out)) {
    if (auto v = Parsed(ParseLimit(*limit), "pids.max", &out); v && *v) out.set_pids_limit(**v);
  }
  ReadUsage(reader, pid, loc, &out);
  return out;
}

void RefreshResourceUsage(const ProcReader& reader, int pid, const CgroupLocation& location,
                          ContainerResources* resources) {
  if (location.version.empty()) return;
  ContainerResources fresh;
  ReadUsage(reader, pid, location, &fresh);
  resources->set_memory_usage_bytes(fresh.memory_usage_bytes());
  resources->set_oom_kills(fresh.oom_kills());
  resources->set_pids_current(fresh.pids_current());
}

int ReadPythonCpuCount(const ProcReader& reader, int pid) {
  absl::StatusOr<MasterFile> online = reader.ReadAsProcess(pid, "/sys/devices/system/cpu/online", 4096);
  if (online.ok()) {
    absl::StatusOr<int> n = CountCpuList(online->content);
    if (n.ok()) return *n;
  }
  if (reader.root() == "/proc") {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (n > 0) return static_cast<int>(n);
  }
  return 0;
}

}  // namespace corral::agent
