// A process environment as Gunicorn's loader sees it: NAME=VALUE pairs in
// order, looked up the way Python's os.environ does.
#ifndef CORRAL_GUNICORN_ENVIRON_H_
#define CORRAL_GUNICORN_ENVIRON_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace corral::gunicorn {

using Environ = std::vector<std::pair<std::string, std::string>>;

// The value of `name`; the first entry wins, as in os.environ.
inline std::optional<std::string> LookupEnv(const Environ& environ, absl::string_view name) {
  for (const auto& [key, value] : environ) {
    if (key == name) return value;
  }
  return std::nullopt;
}

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_ENVIRON_H_
