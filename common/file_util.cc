#include "common/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"

namespace corral {

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

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, path);
  absl::StatusOr<std::string> content = ReadDescriptorToString(fd, path, max_bytes);
  ::close(fd);
  return content;
}

absl::StatusOr<std::string> ReadSymlink(const std::string& path) {
  char buffer[4096];
  ssize_t n = ::readlink(path.c_str(), buffer, sizeof(buffer));
  if (n < 0) return absl::ErrnoToStatus(errno, path);
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace corral
