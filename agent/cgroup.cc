#include "agent/cgroup.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace corral::agent {
namespace {

absl::Status Malformed(absl::string_view file, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed ", file, ": ", why));
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string UnescapeMountField(absl::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int value = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = field[i + k];
        if (c < '0' || c > '7') octal = false;
        value = value * 8 + (c - '0');
      }
      if (octal) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<CgroupMembership>> ParseProcCgroup(absl::string_view content) {
  std::vector<CgroupMembership> memberships;
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) return Malformed("cgroup", absl::StrCat("line '", line, "'"));
    CgroupMembership m;
    if (!absl::SimpleAtoi(parts[0], &m.hierarchy_id) || m.hierarchy_id < 0) {
      return Malformed("cgroup", absl::StrCat("hierarchy id in '", line, "'"));
    }
    for (absl::string_view c : absl::StrSplit(parts[1], ',', absl::SkipEmpty())) {
      m.controllers.emplace_back(absl::StripPrefix(c, "name="));
    }
    m.path = std::string(absl::StripAsciiWhitespace(parts[2]));
    if (m.path.empty() || m.path[0] != '/') return Malformed("cgroup", absl::StrCat("path in '", line, "'"));
    memberships.push_back(std::move(m));
  }
  return memberships;
}

absl::StatusOr<std::vector<MountEntry>> ParseMountInfo(absl::string_view content) {
  std::vector<MountEntry> mounts;
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipWhitespace())) {
    size_t separator = line.find(" - ");
    if (separator == absl::string_view::npos) return Malformed("mountinfo", "no ' - ' separator");
    std::vector<absl::string_view> head = absl::StrSplit(line.substr(0, separator), ' ', absl::SkipEmpty());
    std::vector<absl::string_view> tail = absl::StrSplit(line.substr(separator + 3), ' ', absl::SkipEmpty());
    if (head.size() < 6 || tail.size() < 3) return Malformed("mountinfo", absl::StrCat("line '", line, "'"));
    MountEntry m;
    m.root = UnescapeMountField(head[3]);
    m.mount_point = UnescapeMountField(head[4]);
    m.fs_type = std::string(tail[0]);
    m.super_options = std::string(tail[2]);
    mounts.push_back(std::move(m));
  }
  return mounts;
}

namespace {

std::string JoinCgroupPath(const MountEntry& mount, const std::string& path, std::vector<std::string>* notes) {
  std::string root = mount.root == "/" ? "" : mount.root;
  std::string relative;
  if (root.empty()) {
    relative = path == "/" ? "" : path;
  } else if (path == root || absl::StartsWith(path, root + "/")) {
    relative = path.substr(root.size());
  } else {
    notes->push_back(absl::StrCat("cgroup ", path, " is outside the mount of ", mount.mount_point, " (root ",
                                  mount.root, "); reading the mount's root"));
    return mount.mount_point;
  }
  // A path leaving the reader's cgroup namespace ("/../x") cannot be joined.
  if (absl::StrContains(relative, "/..")) {
    notes->push_back(absl::StrCat("cgroup ", path, " is outside this cgroup namespace; reading ", mount.mount_point));
    return mount.mount_point;
  }
  return absl::StrCat(mount.mount_point == "/" ? "" : mount.mount_point, relative.empty() ? "" : relative);
}

}  // namespace

CgroupDirs LocateCgroupDirs(const std::vector<CgroupMembership>& memberships, const std::vector<MountEntry>& mounts) {
  CgroupDirs dirs;
  for (const CgroupMembership& m : memberships) {
    if (m.hierarchy_id == 0 && m.controllers.empty()) {
      for (const MountEntry& mount : mounts) {
        if (mount.fs_type != "cgroup2") continue;
        std::string dir = JoinCgroupPath(mount, m.path, &dirs.notes);
        // A hybrid system mounts an empty v2 tree (no controllers) beside v1;
        // it has no limits. The probe checks for cgroup.controllers content.
        dirs.unified = dir.empty() ? "/" : dir;
        break;
      }
      continue;
    }
    for (const std::string& controller : m.controllers) {
      for (const MountEntry& mount : mounts) {
        if (mount.fs_type != "cgroup") continue;
        bool has_controller = false;
        for (absl::string_view option : absl::StrSplit(mount.super_options, ',')) {
          if (option == controller || option == absl::StrCat("name=", controller)) has_controller = true;
        }
        if (!has_controller) continue;
        std::string dir = JoinCgroupPath(mount, m.path, &dirs.notes);
        dirs.v1[controller] = dir.empty() ? "/" : dir;
        break;
      }
    }
  }
  return dirs;
}

namespace {

std::optional<double> QuotaCores(int64_t quota, int64_t period) {
  double cores = static_cast<double>(quota) / static_cast<double>(period);
  if (cores > kMaxCpuQuotaCores) return std::nullopt;
  return cores;
}

}  // namespace

absl::StatusOr<std::optional<double>> ParseCpuMax(absl::string_view content) {
  std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(content), ' ', absl::SkipEmpty());
  if (parts.empty() || parts.size() > 2) return Malformed("cpu.max", "expected 'QUOTA PERIOD'");
  if (parts[0] == "max") return std::optional<double>();
  int64_t quota = 0;
  int64_t period = 100000;
  if (!absl::SimpleAtoi(parts[0], &quota) || quota <= 0) return Malformed("cpu.max", "bad quota");
  if (parts.size() == 2 && (!absl::SimpleAtoi(parts[1], &period) || period <= 0)) {
    return Malformed("cpu.max", "bad period");
  }
  return QuotaCores(quota, period);
}

absl::StatusOr<std::optional<double>> ParseCfsQuota(absl::string_view quota_text, absl::string_view period_text) {
  int64_t quota = 0;
  int64_t period = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(quota_text), &quota))
    return Malformed("cpu.cfs_quota_us", "not a number");
  if (quota < 0) return std::optional<double>();
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(period_text), &period) || period <= 0) {
    return Malformed("cpu.cfs_period_us", "not a positive number");
  }
  if (quota == 0) return Malformed("cpu.cfs_quota_us", "zero");
  return QuotaCores(quota, period);
}

absl::StatusOr<std::optional<int64_t>> ParseLimit(absl::string_view content) {
  absl::string_view text = absl::StripAsciiWhitespace(content);
  if (text == "max") return std::optional<int64_t>();
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return Malformed("limit", absl::StrCat("'", text, "'"));
  if (value >= (uint64_t{1} << 62)) return std::optional<int64_t>();
  return std::optional<int64_t>(static_cast<int64_t>(value));
}

absl::StatusOr<int64_t> ParseCounter(absl::string_view content) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(content), &value) || value < 0) {
    return Malformed("counter", absl::StrCat("'", absl::StripAsciiWhitespace(content), "'"));
  }
  return value;
}

absl::StatusOr<std::optional<int64_t>> ParseKeyedValue(absl::string_view content, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.size() != 2 || parts[0] != key) continue;
    int64_t value = 0;
    if (!absl::SimpleAtoi(parts[1], &value)) return Malformed("counter file", absl::StrCat("value of ", key));
    return std::optional<int64_t>(value);
  }
  return std::optional<int64_t>();
}

}  // namespace corral::agent
