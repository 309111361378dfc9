// Pure parsers for cgroup v1 and v2 files, and the logic that finds a
// process's cgroup directories from /proc/PID/cgroup and
// /proc/PID/mountinfo.
#ifndef CORRAL_AGENT_CGROUP_H_
#define CORRAL_AGENT_CGROUP_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corral::agent {

// One line of /proc/PID/cgroup: "4:memory:/docker/abc" or "0::/app".
struct CgroupMembership {
  int hierarchy_id = 0;
  std::vector<std::string> controllers;  // empty for the v2 hierarchy
  std::string path;
};

absl::StatusOr<std::vector<CgroupMembership>> ParseProcCgroup(absl::string_view content);

// The fields of a /proc/PID/mountinfo line the cgroup lookup needs.
struct MountEntry {
  std::string root;         // field 4: the mount's root within its filesystem
  std::string mount_point;  // field 5, in the process's mount namespace
  std::string fs_type;      // after the " - " separator
  std::string super_options;
};

absl::StatusOr<std::vector<MountEntry>> ParseMountInfo(absl::string_view content);

// Where a process's cgroup files are, as paths in its own mount namespace.
struct CgroupDirs {
  // The v2 (unified) directory when the process is on a v2 hierarchy that is
  // mounted with controllers; empty otherwise.
  std::string unified;
  // v1: controller name ("memory", "cpu", "cpuset", "pids") -> directory.
  std::map<std::string, std::string> v1;
  // Paths that had to fall back to the mount's root (a cgroup outside the
  // reader's cgroup namespace), for the record.
  std::vector<std::string> notes;
};

// Joins each membership with the mount of its hierarchy: the directory is
// mount_point + (path relative to the mount's root). A path outside the
// mount's root (cgroup namespaces) falls back to the mount point itself.
CgroupDirs LocateCgroupDirs(const std::vector<CgroupMembership>& memberships, const std::vector<MountEntry>& mounts);

// A CPU quota above this many cores limits nothing on any machine; it is
// read as no limit (the kernel accepts quotas of billions of cores).
inline constexpr double kMaxCpuQuotaCores = 1 << 20;

// cgroup v2 cpu.max: "max 100000" -> nullopt (unlimited); "150000 100000" -> 1.5.
absl::StatusOr<std::optional<double>> ParseCpuMax(absl::string_view content);

// cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us: quota -1 -> unlimited.
absl::StatusOr<std::optional<double>> ParseCfsQuota(absl::string_view quota, absl::string_view period);

// A byte or count limit: "max" (v2) or a number; v1's "unlimited" is a huge
// number (>= 2^62), also returned as nullopt.
absl::StatusOr<std::optional<int64_t>> ParseLimit(absl::string_view content);

// A plain non-negative integer file (memory.current, pids.current).
absl::StatusOr<int64_t> ParseCounter(absl::string_view content);

// "key value" lines (memory.events, memory.oom_control, memory.stat):
// the value of `key`, or nullopt when the key is absent.
absl::StatusOr<std::optional<int64_t>> ParseKeyedValue(absl::string_view content, absl::string_view key);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_CGROUP_H_
