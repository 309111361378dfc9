// Command-line flags for Corral's binaries: `--name value`, `--name=value`,
// boolean switches, repeatable flags, and a CORRAL_* environment variable
// behind each flag that declares one (compose files configure containers
// through the environment). Flags win over the environment.
#ifndef CORRAL_COMMON_FLAGS_H_
#define CORRAL_COMMON_FLAGS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace corral {

struct FlagSpec {
  std::string name;        // without dashes: "proc-root"
  std::string value_name;  // "DIR"; empty for a boolean switch
  std::string help;
  std::string default_value;  // used when neither flag nor variable is set
  std::string env;            // "CORRAL_PROC_ROOT", or empty
  bool repeatable = false;    // may repeat; its variable is comma-separated
};

class Flags {
 public:
  // Whether the flag was given on the command line or by its variable.
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The last value given, else the default.
  std::string Get(const std::string& name) const;
  // Every value given, in order (a repeatable flag).
  std::vector<std::string> GetAll(const std::string& name) const;
  // A switch's value.
  bool GetBool(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool help_requested() const { return help_requested_; }

 private:
  friend absl::StatusOr<Flags> ParseFlags(const std::vector<FlagSpec>&, const std::vector<std::string>&,
                                          const std::function<std::optional<std::string>(const std::string&)>&);
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, std::string> defaults_;
  std::vector<std::string> positionals_;
  bool help_requested_ = false;
};

// Parses `args` (without the program and command names). `getenv` looks up
// variables (tests pass their own). Unknown flags and missing values are
// InvalidArgument errors whose message names the flag.
absl::StatusOr<Flags> ParseFlags(const std::vector<FlagSpec>& specs, const std::vector<std::string>& args,
                                 const std::function<std::optional<std::string>(const std::string&)>& getenv);

// "on"/"off" (also true/false, yes/no, 1/0) for flags that take a value,
// such as --control-socket off; anything else is InvalidArgument.
absl::StatusOr<bool> ParseOnOff(const std::string& text);

// The process environment, for ParseFlags.
std::optional<std::string> GetEnv(const std::string& name);

// Help text for `specs`: one aligned line per flag with its default and
// variable.
std::string FlagsHelp(const std::vector<FlagSpec>& specs);

}  // namespace corral

#endif  // CORRAL_COMMON_FLAGS_H_
