// Flags given before the command, as kubectl, docker and git take them:
// `corral --server HOST:PORT --json status` means `corral status --server
// HOST:PORT --json`. The connection flags (--server, --token-file, the TLS
// flags, --timeout) and --json are global; they are moved after the
// command, whose own parser then reads them.
#ifndef CORRAL_CLI_GLOBAL_FLAGS_H_
#define CORRAL_CLI_GLOBAL_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace corral::cli {

struct CommandLine {
  // Empty when only flags were given.
  std::string command;
  // The command's arguments, then the global flags found before it.
  std::vector<std::string> args;
};

// Splits `args` (argv without the program). A flag before the command that
// is not global is InvalidArgument naming it; so is a global flag missing
// its value.
absl::StatusOr<CommandLine> SplitCommandLine(const std::vector<std::string>& args);

}  // namespace corral::cli

#endif  // CORRAL_CLI_GLOBAL_FLAGS_H_
