// Small filesystem helpers shared by every part. Errors carry the path and
// the errno class (NotFound, PermissionDenied, ...) so callers can tell a
// vanished process from a forbidden one.
#ifndef CORRAL_COMMON_FILE_UTIL_H_
#define CORRAL_COMMON_FILE_UTIL_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace corral {

// Reads a whole file to EOF, ignoring st_size (files in /proc report 0).
// Reads at most `max_bytes`; a longer file is cut there, not rejected.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes = 1 << 20);

// The same from an open descriptor, which stays open; `path` names it in
// errors.
absl::StatusOr<std::string> ReadDescriptorToString(int fd, const std::string& path, size_t max_bytes);

// Reads the target of a symlink (/proc/PID/cwd, /proc/PID/fd/N).
absl::StatusOr<std::string> ReadSymlink(const std::string& path);

}  // namespace corral

#endif  // CORRAL_COMMON_FILE_UTIL_H_
