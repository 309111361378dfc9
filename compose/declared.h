// The vocabulary compose import reports in: a value a project's files declare
// and the file and line that declared it, so every expectation Corral derives
// can be traced back to what a person wrote.
#ifndef CORRAL_COMPOSE_DECLARED_H_
#define CORRAL_COMPOSE_DECLARED_H_

#include <string>

#include "absl/strings/str_cat.h"

namespace corral::compose {

// A declared value and where it was declared.
struct Declared {
  std::string value;
  // "path:line": the path as given (or joined to the project directory), the
  // line 1-based.
  std::string origin;
  // "compose" (a compose file, .env or env_file) or "dockerfile" (an ENV of
  // the image compose builds).
  std::string declared_by = "compose";
};

// "file:line", the form of Declared::origin; `line` is 1-based.
inline std::string Origin(const std::string& file, int line) { return absl::StrCat(file, ":", line); }

}  // namespace corral::compose

#endif  // CORRAL_COMPOSE_DECLARED_H_
