// The dotenv files `docker compose` reads -- the project's .env file and a
// service's env_file files -- as the variables they set, each with its line.
#ifndef CORRAL_COMPOSE_ENV_FILE_H_
#define CORRAL_COMPOSE_ENV_FILE_H_

#include <string>
#include <vector>

#include "compose/variable_expansion.h"

namespace corral::compose {

// One variable a dotenv file sets and the 1-based line that sets it.
struct EnvFileVar {
  std::string name;
  std::string value;
  int line = 0;
};

// Parses the dotenv format compose reads: NAME=VALUE lines, an optional
// "export " prefix, # comments, single-quoted values taken literally,
// double-quoted values with escapes (possibly over several lines), unquoted
// values ending at " #". Values other than single-quoted ones are expanded,
// looking names up in `lookup` first, then in the lines above (as
// compose-go's dotenv does). A line NAME alone takes NAME from `lookup`.
//
// Never fails: a line that cannot be used is skipped and a warning naming
// "path:line" (`path` as given) is appended to `warnings`. Variables are
// returned in file order; a name set twice appears twice, the later one
// winning when applied in order.
std::vector<EnvFileVar> ParseEnvFile(const std::string& path, const std::string& content, const VarLookup& lookup,
                                     std::vector<std::string>* warnings);

}  // namespace corral::compose

#endif  // CORRAL_COMPOSE_ENV_FILE_H_
