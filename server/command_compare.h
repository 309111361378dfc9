// Compares the Gunicorn command a master runs with a declared one (a
// Dockerfile's CMD, a compose command) the way Gunicorn reads them: as
// parsed options compared by setting name, so `-w3` and `--workers 3` are
// the same command. Each side is read with the settings of the Gunicorn it
// targets: the running argv with its master's own release (flags and unique
// prefixes differ between releases: `--log-conf` is `--log-config` in 20.1
// and ambiguous since 21.0 added `--log-config-json`), the declaration with
// the newest release.
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
  // (argv erased by setproctitle, a shell script, ...) or does not parse
  // with its settings table (Gunicorn would have refused it, so the table
  // does not read it as that Gunicorn did); `why_not` says which.
  bool comparable = false;
  std::string why_not;
  std::vector<CommandDifference> differences;
  // The running command as one line, for messages.
  std::string running_text;
  // The release lines whose settings tables read each side ("20.1", "26.2").
  std::string running_table;
  std::string declared_table;
};

// `running_argv` is the master's /proc cmdline and `running_version` the
// release it runs (GunicornInstance.gunicorn_version, "20.1.0"; empty when
// unknown: the newest table reads it then); `declared` a shell-quoted
// command line ("gunicorn --workers 3 wsgi:application").
CommandComparison CompareGunicornCommands(const std::vector<std::string>& running_argv,
                                          const std::string& running_version, const std::string& declared);

// "a:b (c)" style one-line summary: "workers 1 vs 3, timeout not given vs 120".
std::string DescribeDifferences(const std::vector<CommandDifference>& differences);

}  // namespace corral::server

#endif  // CORRAL_SERVER_COMMAND_COMPARE_H_
