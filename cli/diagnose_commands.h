// `corral diagnose`, `corral history` and `corral watch`: why a service
// drifted, and what changed when.
#ifndef CORRAL_CLI_DIAGNOSE_COMMANDS_H_
#define CORRAL_CLI_DIAGNOSE_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

namespace corral::cli {

extern const char kDiagnoseSummary[];
extern const char kHistorySummary[];
extern const char kWatchSummary[];

int RunDiagnose(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunHistory(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunWatch(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace corral::cli

#endif  // CORRAL_CLI_DIAGNOSE_COMMANDS_H_
