// Variable substitution as `docker compose` applies it to compose and .env
// files and `docker build` to a Dockerfile's ARG and ENV values: $VAR, ${VAR},
// ${VAR:-word} and ${VAR-word} (word when VAR is missing), ${VAR:?err} and
// ${VAR?err} (an error when VAR is missing), ${VAR:+word} and ${VAR+word}
// (word when VAR is not missing). Without the colon, missing means unset;
// with it, unset or empty. A word is itself expanded, and only when used.
#ifndef CORRAL_COMPOSE_VARIABLE_EXPANSION_H_
#define CORRAL_COMPOSE_VARIABLE_EXPANSION_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace corral::compose {

// The value of a variable; nullopt when it is not set.
using VarLookup = std::function<std::optional<std::string>(const std::string&)>;

// Whether `c` may start a variable name: an ASCII letter or '_'.
bool IsNameStart(char c);

// Whether `c` may appear in a variable name: an ASCII letter, digit or '_'.
bool IsNameChar(char c);

// Compose files and Dockerfiles substitute variables with the same ${...}
// operators but differ at the edges.
struct Dialect {
  // Compose: "$$" is a literal "$" and a "$" not starting a reference is an
  // error. Dockerfile: "\$" is a literal "$" and a lone "$" stays as it is.
  bool compose;
};

// Appends `text` to `out` with every variable reference replaced by its value
// from `lookup`.
//
// Errors, after which `out` holds a part of the expansion and is not to be
// used: NotFound for a variable that is not set and has no default
// (${VAR} or $VAR); FailedPrecondition for ${VAR:?err} or ${VAR?err} when VAR
// is missing, with `err` in the message; InvalidArgument for a malformed
// ${...}, an unterminated ${, or (compose dialect) a '$' that starts no
// reference.
absl::Status Expand(absl::string_view text, const VarLookup& lookup, Dialect dialect, std::string* out);

}  // namespace corral::compose

#endif  // CORRAL_COMPOSE_VARIABLE_EXPANSION_H_
