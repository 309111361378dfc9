// The fleet commands: `corral status`, `service`, `instances`, `check`,
// `health`.
#ifndef CORRAL_CLI_FLEET_COMMANDS_H_
#define CORRAL_CLI_FLEET_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

namespace corral::cli {

extern const char kStatusSummary[];
extern const char kServiceSummary[];
extern const char kInstancesSummary[];
extern const char kCheckSummary[];
extern const char kHealthSummary[];

int RunStatus(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunService(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunInstances(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunHealth(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Whether any finding is at or above `fail_on` ("info", "warning",
// "critical"): the decision behind `corral check`'s exit status.
bool AnyAtOrAbove(const std::vector<std::string>& severities, const std::string& fail_on);

}  // namespace corral::cli

#endif  // CORRAL_CLI_FLEET_COMMANDS_H_
