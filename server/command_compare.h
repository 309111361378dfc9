// Compares the Gunicorn command a master runs with a declared one (a
// Dockerfile's CMD, a compose command) the way Gunicorn reads them: as
// parsed options, so `-w3` and `--workers 3` are the same command.
#ifndef CORRAL_SERVER_COMMAND_COMPARE_H_
#define CORRAL_SERVER_COMMAND_COMPARE_H_

#include <string>
#include <vector>

namespace corral::server {

struct CommandDifference {
  // A Gunicorn setting name, or "app_uri".
  std::string setting;
  // As written: the flag's value, "set" for a flag without value, or
  // "not given".
  std::string running;
  std::string declared;
};

struct CommandComparison {
  // False when either command is not a readable Gunicorn invocation
  // (argv erased by setproctitle, a shell script, ...); `why_not` says which.
  bool comparable = false;
  std::string why_not;
  std::vector<CommandDifference> differences;
  // The running command as one line, for messages.
  std::string running_text;
};

// `running_argv` is the master's /proc cmdline; `declared` a shell-quoted
// command line ("gunicorn --workers 3 wsgi:application").
CommandComparison CompareGunicornCommands(const std::vector<std::string>& running_argv, const std::string& declared);

// "a:b (c)" style one-line summary: "workers 1 vs 3, timeout not given vs 120".
std::string DescribeDifferences(const std::vector<CommandDifference>& differences);

}  // namespace corral::server

#endif  // CORRAL_SERVER_COMMAND_COMPARE_H_
