// Gunicorn's command-line parsing, emulated: the same argparse rules
// Gunicorn's loader applies to argv and to GUNICORN_CMD_ARGS (-w3, -w=3,
// --workers=3, unique prefixes such as --time, clustered -Dw3, `--`).
#ifndef CORRAL_AGENT_GUNICORN_ARGS_H_
#define CORRAL_AGENT_GUNICORN_ARGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/gunicorn_settings.h"

namespace corral::agent {

// What argparse stored for one setting.
struct OptionValue {
  const GunicornSetting* setting = nullptr;
  // store: the last text given; append: every text in order;
  // store_true and store_const: empty (the flag's presence is the value).
  std::vector<std::string> texts;
  // The flag as written last, for messages ("--time" for timeout).
  std::string spelling;
};

struct ParsedArgs {
  // Keyed by setting name.
  std::map<std::string, OptionValue> options;
  // Positional arguments; the first is the app URI.
  std::vector<std::string> positionals;
  // What argparse would have refused (Gunicorn exits on these, so a running
  // master showing one means the agent's table differs from its Gunicorn).
  std::vector<std::string> problems;
};

// Parses Gunicorn's own arguments (argv after the launcher).
ParsedArgs ParseGunicornArgs(const std::vector<std::string>& args);

// Splits a string as Python's shlex.split does (POSIX mode, no comments),
// which is how Gunicorn reads GUNICORN_CMD_ARGS. An unterminated quote is
// an error, as in Python.
absl::StatusOr<std::vector<std::string>> ShlexSplit(absl::string_view text);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_GUNICORN_ARGS_H_
