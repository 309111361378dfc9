// A process's argv as the agent finds it in /proc/PID/cmdline (NUL
// separated): recognised as Gunicorn or not (gunicorn/command.h), its
// arguments parsed with Gunicorn's argparse rules under the oldest, a
// middle and the newest settings table (gunicorn/args.h), every value
// converted and validated as its setting does (gunicorn/value_validation.h),
// and the whole input also read as GUNICORN_CMD_ARGS (shlex-split). Each
// argument is also normalised as the value of a few settings, as
// expectations are.
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "fuzz/fuzz_input.h"
#include "gunicorn/args.h"
#include "gunicorn/command.h"
#include "gunicorn/settings.h"
#include "gunicorn/value_validation.h"

namespace corral::gunicorn {
namespace {

void ParseWithTable(const std::vector<std::string>& args, const SettingsTable& table) {
  ParsedArgs parsed = ParseGunicornArgs(args, table);
  std::string why;
  (void)parsed.AppUri(&why);
  for (const auto& [index, option] : parsed.maybe_option_values) CORRAL_FUZZ_CHECK(index < parsed.positionals.size());
  for (const auto& [name, option] : parsed.options) {
    CORRAL_FUZZ_CHECK(option.setting != nullptr && name == option.setting->name);
    absl::StatusOr<PyValue> value = FlagValue(option);
    if (value.ok()) (void)Validate(*option.setting, *value, "/srv/app");
  }
}

void ParseEverywhere(const std::vector<std::string>& args) {
  const std::vector<const SettingsTable*>& tables = AllTables();
  for (const SettingsTable* table : {tables.front(), tables[tables.size() / 2], tables.back()}) {
    ParseWithTable(args, *table);
  }
}

}  // namespace
}  // namespace corral::gunicorn

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::gunicorn;
  absl::string_view text = corral::fuzz::AsText(data, size);
  std::vector<std::string> argv = absl::StrSplit(text, '\0');
  while (!argv.empty() && argv.back().empty()) argv.pop_back();
  if (!argv.empty()) (void)MightBeGunicorn(argv[0]);
  if (std::optional<GunicornCommand> command = RecognizeGunicorn(argv)) {
    if (command->is_title()) CORRAL_FUZZ_CHECK(command->args.empty());
    ParseEverywhere(command->args);
  } else {
    ParseEverywhere(argv);
  }
  if (absl::StatusOr<std::vector<std::string>> words = ShlexSplit(text); words.ok()) ParseEverywhere(*words);
  const SettingsTable& newest = NewestTable();
  for (const char* name : {"workers", "bind", "timeout", "worker_class", "raw_env", "forwarded_allow_ips"}) {
    const GunicornSetting* setting = newest.Find(name);
    CORRAL_FUZZ_CHECK(setting != nullptr);
    for (size_t i = 0; i < argv.size() && i < 4; ++i) (void)NormalizeSettingText(*setting, argv[i]);
  }
  return 0;
}
