#include "common/file_util.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace corral {

namespace {

// Reads from an open descriptor, which stays open; `path` names it in
// errors.
absl::StatusOr<std::string> ReadDescriptorToString(int fd, const std::string& path, size_t max_bytes) {
  std::string content;
  char buffer[4096];
  while (content.size() < max_bytes) {
    size_t want = std::min(sizeof(buffer), max_bytes - content.size());
    ssize_t n = ::read(fd, buffer, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, path);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

// Filesystems whose files the kernel generates as they are read.
bool IsGeneratedOnRead(decltype(statfs::f_type) type) {
  switch (type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, path);
  absl::StatusOr<std::string> content = ReadDescriptorToString(fd, path, max_bytes);
  ::close(fd);
  return content;
}

absl::StatusOr<RegularFile> ReadRegularFile(const std::string& path, const std::string& name, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, name);
  RegularFile file;
  if (::fstat(fd, &file.opened) != 0 || !S_ISREG(file.opened.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(name, S_ISDIR(file.opened.st_mode) ? " is a directory" : " is not a regular file"));
  }
  struct statfs filesystem;
  file.generated = ::fstatfs(fd, &filesystem) == 0 && IsGeneratedOnRead(filesystem.f_type);
  absl::StatusOr<std::string> content = ReadDescriptorToString(fd, name, max_bytes);
  ::close(fd);
  if (!content.ok()) return content.status();
  file.content = *std::move(content);
  return file;
}

absl::StatusOr<std::string> ReadSymlink(const std::string& path) {
  char buffer[4096];
  ssize_t n = ::readlink(path.c_str(), buffer, sizeof(buffer));
  if (n < 0) return absl::ErrnoToStatus(errno, path);
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace corral
