// Small filesystem helpers shared by every part. Errors carry the path and
// the errno class (NotFound, PermissionDenied, ...) so callers can tell a
// vanished process from a forbidden one.
#ifndef CORRAL_COMMON_FILE_UTIL_H_
#define CORRAL_COMMON_FILE_UTIL_H_

#include <sys/stat.h>

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace corral {

// Reads a whole file to EOF, ignoring st_size (files in /proc report 0).
// Reads at most `max_bytes`; a longer file is cut there, not rejected.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes = 1 << 20);

// A regular file as ReadRegularFile read it.
struct RegularFile {
  std::string content;
  // fstat() of the file as opened.
  struct stat opened {};
  // On proc, sysfs or cgroupfs: the kernel writes the file for each read,
  // whole, and its size (0 or 4096) and times say nothing about what was
  // read.
  bool generated = false;
};

// Reads at most `max_bytes` of `path` when it is a regular file. It is
// opened without blocking and without taking a terminal, then checked: a
// FIFO or device put where a file was expected is refused ("NAME is not a
// regular file", "NAME is a directory"), never waited on. Errors name
// `name`.
absl::StatusOr<RegularFile> ReadRegularFile(const std::string& path, const std::string& name, size_t max_bytes);

// Reads the target of a symlink (/proc/PID/cwd, /proc/PID/fd/N).
absl::StatusOr<std::string> ReadSymlink(const std::string& path);

}  // namespace corral

#endif  // CORRAL_COMMON_FILE_UTIL_H_
