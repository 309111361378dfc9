// corral: the command-line client. `corral inspect` reads /proc locally;
// the fleet commands ask corral-server.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/agent_main.h"
#include "cli/diagnose_commands.h"
#include "cli/exit_codes.h"
#include "cli/expect_command.h"
#include "cli/fleet_commands.h"
#include "cli/global_flags.h"
#include "cli/inspect_command.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>&, std::ostream&, std::ostream&);
};

const std::vector<Command>& Commands() {
  static const auto* commands = new std::vector<Command>{
      {"status", corral::cli::kStatusSummary, corral::cli::RunStatus},
      {"service", corral::cli::kServiceSummary, corral::cli::RunService},
      {"instances", corral::cli::kInstancesSummary, corral::cli::RunInstances},
      {"check", corral::cli::kCheckSummary, corral::cli::RunCheck},
      {"expect", corral::cli::kExpectSummary, corral::cli::RunExpect},
      {"diagnose", corral::cli::kDiagnoseSummary, corral::cli::RunDiagnose},
      {"history", corral::cli::kHistorySummary, corral::cli::RunHistory},
      {"watch", corral::cli::kWatchSummary, corral::cli::RunWatch},
      {"inspect", corral::cli::kInspectSummary, corral::cli::RunInspect},
      {"health", corral::cli::kHealthSummary, corral::cli::RunHealth},
  };
  return *commands;
}

void PrintUsage(std::ostream& out) {
  out << "Usage: corral [GLOBAL FLAGS] COMMAND [FLAGS]\n\n"
         "Corral tells you, for every Gunicorn, how many workers really run, which settings\n"
         "really apply and where each came from. Fleet commands ask corral-server\n"
         "(--server or CORRAL_SERVER, default 127.0.0.1:7400); inspect reads /proc locally.\n\nCommands:\n";
  for (const Command& c : Commands())
    out << "  " << c.name << std::string(12 - std::string(c.name).size(), ' ') << c.summary << "\n";
  out << "  version     Print the version\n"
         "\nGlobal flags, before or after the command: --server HOST:PORT, --token-file FILE,\n"
         "--tls-ca FILE, --tls-cert FILE, --tls-key FILE, --timeout DURATION, --json.\n"
         "Run 'corral COMMAND --help' for a command's flags.\n"
         "Exit status: 0 ok, 1 findings at or above --fail-on, 2 usage error or server unreachable.\n";
}

}  // namespace

int main(int argc, char** argv) {
  // One binary, two programs: as corral-agent (a link to it) it is the agent.
  std::string_view name = argc > 0 ? argv[0] : "";
  if (size_t slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  if (name == "corral-agent") return corral::agent::AgentMain(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  absl::StatusOr<corral::cli::CommandLine> line =
      corral::cli::SplitCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!line.ok()) {
    std::cerr << "corral: " << line.status().message() << "\n(see 'corral --help')\n";
    return corral::cli::kExitUsage;
  }
  if (line->command.empty()) {
    PrintUsage(std::cerr);
    return corral::cli::kExitUsage;
  }
  const std::string command = line->command;
  std::vector<std::string> args = std::move(line->args);
  if (command == "-h" || command == "--help" || command == "help") {
    if (!args.empty()) {
      for (const Command& c : Commands()) {
        if (args[0] == c.name) return c.run({"--help"}, std::cout, std::cerr);
      }
    }
    PrintUsage(std::cout);
    return corral::cli::kExitOk;
  }
  if (command == "version" || command == "--version") {
    std::cout << "corral " << corral::kCorralVersion << "\n";
    return corral::cli::kExitOk;
  }
  for (const Command& c : Commands()) {
    if (command == c.name) return c.run(args, std::cout, std::cerr);
  }
  std::cerr << "corral: unknown command '" << command << "'\n\n";
  PrintUsage(std::cerr);
  return corral::cli::kExitUsage;
}
