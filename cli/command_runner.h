// What every fleet command does the same way: parse its flags with the
// connection flags, print --help, check the positional arguments, connect,
// and report failures as `corral NAME: message` with exit status 2.
#ifndef CORRAL_CLI_COMMAND_RUNNER_H_
#define CORRAL_CLI_COMMAND_RUNNER_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/fleet_client.h"
#include "cli/text.h"
#include "common/flags.h"

namespace corral::cli {

struct Command {
  std::string name;  // as typed: "status", "expect set"
  std::string usage;
  std::string description;
  std::vector<FlagSpec> extra_flags;
  size_t min_positionals = 0;
  size_t max_positionals = 0;
  // Shown when the positionals are wrong: "expects a service name".
  std::string positionals_hint = "expects a service name";
};

// Writes a usage error naming the command; returns kExitUsage.
int Usage(const Command& c, const std::string& message, std::ostream& err);

// Parses flags and connects. Returns an exit code when the command should
// stop here (--help printed, or a usage error written).
std::optional<int> Prepare(const Command& c, const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                           Flags* flags, std::optional<FleetClient>* client);

// Writes `status` as the command's failure; returns kExitUsage.
int Failed(const Command& c, const absl::Status& status, std::ostream& err);

// Colour on stdout only when it is a terminal and NO_COLOR is unset.
Style OutStyle();

}  // namespace corral::cli

#endif  // CORRAL_CLI_COMMAND_RUNNER_H_
