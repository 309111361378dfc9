// What a snapshot says about one setting: the source names snapshots carry
// in Setting.source, the questions every part asks of them, and the one way
// messages write a source and a value. Agent, server and CLI use these and
// never compare source strings of their own.
#ifndef CORRAL_COMMON_SETTING_SOURCE_H_
#define CORRAL_COMMON_SETTING_SOURCE_H_

#include <string>

#include "corral/v1/snapshot.pb.h"

namespace corral {

// Gunicorn's own default for the master's release.
inline constexpr char kSourceDefault[] = "default";
// An environment variable Gunicorn reads for one setting (WEB_CONCURRENCY,
// PORT, FORWARDED_ALLOW_IPS, ...); Setting.note holds NAME=value.
inline constexpr char kSourceEnv[] = "env";
// A config file (Setting.file and Setting.line say where).
inline constexpr char kSourceConfigFile[] = "config_file";
// The GUNICORN_CMD_ARGS environment variable.
inline constexpr char kSourceCmdArgs[] = "gunicorn_cmd_args";
// The master's command line.
inline constexpr char kSourceCmdline[] = "cmdline";
// Gunicorn's own answer through Corral's hook: exact.
inline constexpr char kSourceHook[] = "hook";
// Gunicorn's own answer on its control socket (25.1+): exact.
inline constexpr char kSourceControlSocket[] = "control_socket";
// Not known; Setting.note says why and how to make it visible.
inline constexpr char kSourceUnknown[] = "unknown";

// The setting's value is known (its source is anything but unknown).
bool IsKnown(const corral::v1::Setting& setting);

// The value is Gunicorn's own answer (hook or control socket), not a
// reconstruction.
bool IsExact(const corral::v1::Setting& setting);

// How much of a setting's origin SettingSourceText writes.
enum class SourceDetail {
  // The source name, with file:line for config_file values:
  // "config_file /app/g.py:4". What findings, diagnoses and history say.
  kName,
  // Also the flag or variable that set it, when the agent noted one:
  // "cmdline -w", "env WEB_CONCURRENCY=3". What `corral inspect` shows.
  kWithOrigin,
};

// Where a setting's value came from, as every message writes it.
std::string SettingSourceText(const corral::v1::Setting& setting, SourceDetail detail = SourceDetail::kName);

// A setting's value as findings, diagnoses and history write it: the value,
// or "unset" for an empty one (Gunicorn's None).
std::string SettingValueText(const std::string& value);

}  // namespace corral

#endif  // CORRAL_COMMON_SETTING_SOURCE_H_
