// Pure helpers over '/'-separated paths (no filesystem access).
#ifndef CORRAL_COMMON_PATH_UTIL_H_
#define CORRAL_COMMON_PATH_UTIL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace corral {

// `path` when absolute, else `dir`/`path`; empty when `path` is relative
// and `dir` is empty (the base is unknown).
std::string JoinPath(absl::string_view dir, absl::string_view path);

// os.path.normpath for absolute paths: drops "." and empty parts, resolves
// "..". Always returns an absolute path.
std::string NormalizePath(absl::string_view path);

// "/a/b/c" -> "/a/b"; "/a" -> "/"; "c" -> "".
std::string Dirname(absl::string_view path);

// "/a/b/c" -> "c".
absl::string_view Basename(absl::string_view path);

}  // namespace corral

#endif  // CORRAL_COMMON_PATH_UTIL_H_
