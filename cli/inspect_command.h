// `corral inspect`: runs the agent's probe once, locally, with no server.
#ifndef CORRAL_CLI_INSPECT_COMMAND_H_
#define CORRAL_CLI_INSPECT_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace corral::cli {

extern const char kInspectSummary[];

// Runs the command with `args` (after "inspect"); returns the exit code.
int RunInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace corral::cli

#endif  // CORRAL_CLI_INSPECT_COMMAND_H_
