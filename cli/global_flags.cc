#include "cli/global_flags.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/fleet_client.h"

namespace corral::cli {

absl::StatusOr<CommandLine> SplitCommandLine(const std::vector<std::string>& args) {
  CommandLine line;
  std::vector<std::string> global;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // Help and version are commands of their own, in any spelling.
    if (arg == "-h" || arg == "--help" || arg == "--version" || !absl::StartsWith(arg, "--")) break;
    std::string name = arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
    const FlagSpec* spec = nullptr;
    std::vector<FlagSpec> known = ConnectionFlags();
    for (const FlagSpec& s : known) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '", arg,
                       "' before the command (global flags: --server, --token-file, --tls-ca, --tls-cert, "
                       "--tls-key, --timeout, --json)"));
    }
    global.push_back(arg);
    bool takes_value = !spec->value_name.empty() && arg.find('=') == std::string::npos;
    if (takes_value) {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat("flag ", arg, " needs a value"));
      global.push_back(args[++i]);
    }
  }
  if (i < args.size()) {
    line.command = args[i];
    line.args.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  }
  line.args.insert(line.args.end(), global.begin(), global.end());
  return line;
}

}  // namespace corral::cli
