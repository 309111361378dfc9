// Gunicorn's settings as its loader knows them (gunicorn/config.py of the
// Debian package, 20.1.0): name, command-line flags, how argparse stores
// them, how the setting validates a value, and the default. This table is
// the single place the agent learns what Gunicorn accepts.
#ifndef CORRAL_AGENT_GUNICORN_SETTINGS_H_
#define CORRAL_AGENT_GUNICORN_SETTINGS_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace corral::agent {

// argparse action for the setting's flags.
enum class ArgAction { kNoFlag, kStore, kStoreTrue, kStoreConst, kAppend };

// argparse `type=` conversion applied to a flag's text before validation.
enum class ArgType { kStr, kInt, kAutoInt };

// The setting's validator (validate_* in gunicorn/config.py).
enum class Validator {
  kPosInt,
  kBool,
  kString,
  kListString,
  kStringToList,
  kClass,
  kUser,
  kGroup,
  kChdir,
  kHostPort,
  kReloadEngine,
  kDict,
  kCallable,
  kSslVersion,
};

struct GunicornSetting {
  const char* name;
  std::vector<const char*> flags;
  ArgAction action;
  ArgType type;
  Validator validator;
  // Default as Gunicorn would print it (lists comma-separated). Defaults that
  // depend on the process (workers, bind, chdir, user, group) are computed by
  // the config reconstruction.
  const char* default_value;
  // Value stored by a store_const flag.
  const char* const_value;
  // Reported in snapshots. The rest are known so argv parses correctly.
  bool reported;
};

// Every setting, in Gunicorn's order.
const std::vector<GunicornSetting>& GunicornSettings();

// The setting called `name`, or nullptr.
const GunicornSetting* FindSetting(absl::string_view name);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_GUNICORN_SETTINGS_H_
