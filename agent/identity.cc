#include "agent/identity.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
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

}  // namespace corral::agent
