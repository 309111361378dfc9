#include "cli/command_runner.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "cli/exit_codes.h"

namespace corral::cli {

int Usage(const Command& c, const std::string& message, std::ostream& err) {
  err << "corral " << c.name << ": " << message << "\n(see 'corral " << c.name << " --help')\n";
  return kExitUsage;
}

std::optional<int> Prepare(const Command& c, const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                           Flags* flags, std::optional<FleetClient>* client) {
  std::vector<FlagSpec> specs = c.extra_flags;
  for (FlagSpec& spec : ConnectionFlags()) specs.push_back(spec);
  absl::StatusOr<Flags> parsed = ParseFlags(specs, args, GetEnv);
  if (!parsed.ok()) return Usage(c, std::string(parsed.status().message()), err);
  if (parsed->help_requested()) {
    out << "Usage: " << c.usage << "\n\n" << c.description << "\n\nFlags:\n" << FlagsHelp(specs);
    return kExitOk;
  }
  size_t n = parsed->positionals().size();
  if (n > c.max_positionals && c.max_positionals == 0) {
    return Usage(c, absl::StrCat("unexpected argument '", parsed->positionals()[0], "'"), err);
  }
  if (n < c.min_positionals || n > c.max_positionals) return Usage(c, c.positionals_hint, err);
  absl::StatusOr<FleetClient> connected = FleetClient::FromFlags(*parsed);
  if (!connected.ok()) return Usage(c, std::string(connected.status().message()), err);
  *flags = *std::move(parsed);
  client->emplace(*std::move(connected));
  return std::nullopt;
}

int Failed(const Command& c, const absl::Status& status, std::ostream& err) {
  err << "corral " << c.name << ": " << status.message() << "\n";
  return kExitUsage;
}

Style OutStyle() { return Style::ForFd(STDOUT_FILENO); }

}  // namespace corral::cli
