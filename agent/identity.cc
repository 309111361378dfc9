#include "agent/identity.h"

#include <unistd.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/procfs.h"
#include "common/file_util.h"

namespace corral::agent {
namespace {

// The first run of exactly 64 hex digits in `text` that is bounded by
// non-hex characters.
std::optional<std::string> FindId(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && absl::ascii_isxdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i == 64) return absl::AsciiStrToLower(text.substr(i, 64));
    i = j;
  }
  return std::nullopt;
}

// The characters Kubernetes draws generated names from (its
// rand.SafeEncodeString: no vowels, no 0, 1 or 3, so no words).
bool IsGenerated(absl::string_view part, size_t min_size, size_t max_size) {
  if (part.size() < min_size || part.size() > max_size) return false;
  for (char c : part) {
    if (!absl::StrContains("bcdfghjklmnpqrstvwxz2456789", c)) return false;
  }
  return true;
}

bool IsOrdinal(absl::string_view part) {
  if (part.empty() || part.size() > 9 || (part.size() > 1 && part[0] == '0')) return false;
  for (char c : part) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

const std::string* Lookup(const gunicorn::Environ& environ, absl::string_view name) {
  for (const auto& [key, value] : environ) {
    if (key == name && !value.empty()) return &value;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> ContainerIdFromCgroup(absl::string_view content) {
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipWhitespace())) {
    size_t colon = line.find(':', line.find(':') + 1);
    if (colon == absl::string_view::npos) continue;
    if (std::optional<std::string> id = FindId(line.substr(colon + 1))) return id;
  }
  return std::nullopt;
}

std::optional<std::string> ContainerIdFromMountInfo(absl::string_view content) {
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipWhitespace())) {
    for (absl::string_view marker : {"/containers/", "/sandboxes/"}) {
      size_t at = line.find(marker);
      if (at == absl::string_view::npos) continue;
      if (std::optional<std::string> id = FindId(line.substr(at + marker.size(), 64 + 1))) return id;
    }
  }
  return std::nullopt;
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

std::string DefaultInstanceName() {
  if (absl::StatusOr<std::string> cgroup = ReadFileToString("/proc/self/cgroup"); cgroup.ok()) {
    if (std::optional<std::string> id = ContainerIdFromCgroup(*cgroup)) return id->substr(0, 12);
  }
  if (absl::StatusOr<std::string> mounts = ReadFileToString("/proc/self/mountinfo"); mounts.ok()) {
    if (std::optional<std::string> id = ContainerIdFromMountInfo(*mounts)) return id->substr(0, 12);
  }
  return HostName();
}

std::string ServiceFromPodName(absl::string_view pod) {
  std::vector<absl::string_view> parts = absl::StrSplit(pod, '-');
  size_t n = parts.size();
  // Never strip a name down to nothing: "-x2x9k" keeps its suffix.
  auto first = [&](size_t count) {
    return parts[0].empty() ? std::string(pod) : absl::StrJoin(parts.begin(), parts.begin() + count, "-");
  };
  if (n >= 3 && IsGenerated(parts[n - 1], 5, 5) && IsGenerated(parts[n - 2], 6, 10)) return first(n - 2);
  if (n >= 2 && (IsGenerated(parts[n - 1], 5, 5) || IsOrdinal(parts[n - 1]))) return first(n - 1);
  return std::string(pod);
}

EnvironmentRead ReadEnvironment(const ProcReader& reader, int pid) {
  EnvironmentRead read;
  absl::StatusOr<std::string> content = reader.ReadPidFile(pid, "environ", 1 << 20);
  if (!content.ok()) {
    read.error = ReadErrorText("environ", content.status());
  } else if (IsZeroedEnviron(*content)) {
    read.erased = true;
  } else {
    read.environ = ParseEnviron(*content);
  }
  return read;
}

absl::StatusOr<PodIdentity> PodOfMaster(int pid, const EnvironmentRead& read) {
  if (!read.environ) {
    if (read.erased || read.error.empty()) {
      return absl::NotFoundError(absl::StrCat(
          "setproctitle erased the environment of master ", pid,
          ", so its pod is unknown: set SPT_NOENV=1 in the app container's environment to keep it visible, or run "
          "the agent as a sidecar in the pod"));
    }
    return absl::NotFoundError(
        absl::StrCat("the environment of master ", pid, " is unreadable (", read.error,
                     "), so its pod is unknown: give the agent the SYS_PTRACE and DAC_READ_SEARCH capabilities"));
  }
  PodIdentity pod;
  const std::string* name = Lookup(*read.environ, "CORRAL_POD_NAME");
  if (name == nullptr) name = Lookup(*read.environ, "HOSTNAME");
  if (name == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "master ", pid,
        " has neither CORRAL_POD_NAME nor HOSTNAME in its environment, so it does not seem to run in a pod: set "
        "CORRAL_POD_NAME (Downward API metadata.name) in its container to report it under its pod"));
  }
  pod.name = *name;
  if (const std::string* ns = Lookup(*read.environ, "CORRAL_POD_NAMESPACE")) pod.pod_namespace = *ns;
  const std::string* service = Lookup(*read.environ, "CORRAL_SERVICE");
  pod.service = service != nullptr ? *service : ServiceFromPodName(pod.name);
  return pod;
}

}  // namespace corral::agent
