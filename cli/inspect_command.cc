#include "cli/inspect_command.h"

#include <unistd.h>

#include "agent/probe.h"
#include "cli/exit_codes.h"
#include "cli/inspect_format.h"
#include "common/flags.h"
#include "common/json.h"
#include "common/version.h"

namespace corral::cli {

const char kInspectSummary[] = "Show every Gunicorn this machine can see, read from /proc (no server needed)";

namespace {

const std::vector<FlagSpec>& InspectFlags() {
  static const auto* specs = new std::vector<FlagSpec>{
      {"proc-root", "DIR", "Read processes from this proc root (a host /proc mounted elsewhere, a fixture tree)",
       "/proc", "CORRAL_PROC_ROOT"},
      {"control-socket", "on|off",
       "Ask Gunicorn 25.1+ masters their exact settings and workers on their control socket (show commands only)", "on",
       "CORRAL_CONTROL_SOCKET"},
      {"json", "", "Print one JSON object (proto field names) instead of text", "", ""},
  };
  return *specs;
}

constexpr char kInspectHelp[] = R"(Usage: corral inspect [--proc-root DIR] [--control-socket on|off] [--json]

Finds every Gunicorn master visible in the proc root and reports, for each:
the Gunicorn release it runs (read from the package its interpreter
imports), how many workers are running versus configured (and, on 25+, the
dirty pool apart), every effective setting with the source that set it
(default, env, config_file path:line, gunicorn_cmd_args, cmdline, hook,
control_socket, or unknown), the master's cgroup resources, and warnings.
Settings are reconstructed the way that release's own loader builds them;
nothing is guessed: what cannot be seen is reported as unknown, with the
reason and how to make it visible. A 25.1+ master with a control socket is
asked for its exact settings and workers (only `show` commands).

Reading another user's processes needs root or CAP_SYS_PTRACE; unreadable
parts are listed as such.

Flags:
)";

constexpr char kInspectExamples[] = R"(
Examples:
  corral inspect
  corral inspect --json | jq '.instances[] | {pid: .master.pid, workers: (.workers | length)}'
  corral inspect --proc-root /host/proc

Exit status: 0 when it ran (also when nothing was found), 2 on bad usage.
)";

}  // namespace

int RunInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Flags> flags = ParseFlags(InspectFlags(), args, GetEnv);
  if (!flags.ok()) {
    err << "corral inspect: " << flags.status().message() << "\n(see 'corral inspect --help')\n";
    return kExitUsage;
  }
  if (flags->help_requested()) {
    out << kInspectHelp << FlagsHelp(InspectFlags()) << kInspectExamples;
    return kExitOk;
  }
  if (!flags->positionals().empty()) {
    err << "corral inspect: unexpected argument '" << flags->positionals()[0] << "'\n(see 'corral inspect --help')\n";
    return kExitUsage;
  }
  std::string proc_root = flags->Get("proc-root");
  if (::access(proc_root.c_str(), R_OK | X_OK) != 0) {
    err << "corral inspect: cannot read proc root '" << proc_root << "'\n";
    return kExitUsage;
  }
  agent::ProbeOptions options;
  options.proc_root = proc_root;
  absl::StatusOr<bool> control = ParseOnOff(flags->Get("control-socket"));
  if (!control.ok()) {
    err << "corral inspect: --control-socket: " << control.status().message() << "\n";
    return kExitUsage;
  }
  options.control_socket = *control;
  agent::Probe probe(options);
  corral::v1::Snapshot snapshot = probe.Discover();
  snapshot.mutable_agent()->set_proc_root(proc_root);
  snapshot.mutable_agent()->set_agent_version(kCorralVersion);
  if (flags->GetBool("json")) {
    out << ToJson(snapshot) << "\n";
  } else {
    out << RenderInspect(snapshot, Style::ForFd(STDOUT_FILENO), probe.processes_scanned());
  }
  return kExitOk;
}

}  // namespace corral::cli
