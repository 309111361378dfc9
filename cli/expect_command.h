// `corral expect`: what each service is expected to run -- set by hand,
// shown, unset, or imported from a docker compose project.
#ifndef CORRAL_CLI_EXPECT_COMMAND_H_
#define CORRAL_CLI_EXPECT_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace corral::cli {

extern const char kExpectSummary[];

int RunExpect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace corral::cli

#endif  // CORRAL_CLI_EXPECT_COMMAND_H_
