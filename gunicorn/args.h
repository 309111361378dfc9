// Gunicorn's command-line parsing, emulated: the same argparse rules
// Gunicorn's loader applies to argv and to GUNICORN_CMD_ARGS (-w3, -w=3,
// --workers=3, unique prefixes such as --time, clustered -Dw3, `--`,
// nargs='?' flags), with the settings table of one Gunicorn release.
#ifndef CORRAL_GUNICORN_ARGS_H_
#define CORRAL_GUNICORN_ARGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gunicorn/settings.h"

namespace corral::gunicorn {

// What argparse stored for one setting.
struct OptionValue {
  const GunicornSetting* setting = nullptr;
  // store: the last text given; append: every text in order;
  // store_true and store_const: empty (the flag's presence is the value);
  // nargs='?': the text given, or the setting's const_value when the flag
  // came alone.
  std::vector<std::string> texts;
  // The flag as written last, for messages ("--time" for timeout).
  std::string spelling;
};

struct ParsedArgs {
  // Keyed by setting name.
  std::map<std::string, OptionValue> options;
  // Positional arguments; the first is the app URI.
  std::vector<std::string> positionals;
  // Positionals written right after an option the table does not know, by
  // index into `positionals`, with that option: the unknown option may take
  // a value, so each may be its value rather than a positional.
  std::map<size_t, std::string> maybe_option_values;
  // Options the table does not know, as written ("--header-map").
  std::vector<std::string> unknown_options;
  // What argparse would have refused (Gunicorn exits on these, so a running
  // master showing one means the table differs from its Gunicorn).
  std::vector<std::string> problems;

  // The app URI: the first positional, unless it may be an unknown
  // option's value (then nullopt, and `why` says so).
  std::optional<std::string> AppUri(std::string* why = nullptr) const;
};

// Parses Gunicorn's own arguments (argv after the launcher) with `table`.
ParsedArgs ParseGunicornArgs(const std::vector<std::string>& args, const SettingsTable& table);

// Splits a string as Python's shlex.split does (POSIX mode, no comments),
// which is how Gunicorn reads GUNICORN_CMD_ARGS. An unterminated quote is
// an error, as in Python.
absl::StatusOr<std::vector<std::string>> ShlexSplit(absl::string_view text);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_ARGS_H_
