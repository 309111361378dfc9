// Reconstructs a running master's effective Gunicorn settings, with the
// source of each value, exactly as Gunicorn's loader (gunicorn/app/base.py,
// load_config) built them. Precedence, lowest to highest:
//   1. defaults; workers from $WEB_CONCURRENCY, bind from $PORT (source env);
//   2. one config file: -c on the command line, else -c inside
//      GUNICORN_CMD_ARGS, else gunicorn.conf.py in the starting directory;
//   3. GUNICORN_CMD_ARGS (its positionals are ignored);
//   4. the command line.
// What the agent cannot see (argv or environment erased by setproctitle) is
// reported as unknown with the reason, never as a default. Flags, names and
// defaults are those of the release the master runs (LoaderInputs::table).
#ifndef CORRAL_GUNICORN_CONFIG_LOADER_H_
#define CORRAL_GUNICORN_CONFIG_LOADER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/setting_source.h"
#include "corral/v1/snapshot.pb.h"
#include "gunicorn/environ.h"
#include "gunicorn/settings.h"

namespace corral::gunicorn {

// A file as the master sees it.
struct MasterFile {
  std::string content;
  int64_t mtime_unix_ms = 0;
};

// Everything Gunicorn's loader read, as far as the agent could see it.
struct LoaderInputs {
  // Gunicorn's own arguments (argv after the launcher); nullopt when erased
  // or unreadable.
  std::optional<std::vector<std::string>> args;
  bool argv_erased = false;
  std::string argv_error;
  // The master's environment; nullopt when erased or unreadable.
  std::optional<Environ> environ;
  bool environ_erased = false;
  std::string environ_error;
  // The master's working directory now (/proc/PID/cwd); empty when unknown.
  std::string cwd;
  // What os.cpu_count() returns in the master; 0 when unknown.
  int python_cpu_count = 0;
  // The master's effective uid and gid (defaults of `user` and `group`).
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  // When the master started; a config file modified later is flagged.
  int64_t master_start_unix_ms = 0;
  // NAME from a setproctitle title, if any.
  std::string title_name;
  // Reads an absolute path as the master sees it (through /proc/PID/root).
  std::function<absl::StatusOr<MasterFile>(const std::string& path)> read_file;
  // Whether a directory exists as the master sees it; unset means unknown.
  std::function<bool(const std::string& path)> is_dir;
  // The settings of the release the master runs; nullptr reads with the
  // newest table.
  const SettingsTable* table = nullptr;
  // The inputs are what a deployment declares (a compose file, a manifest),
  // not a running master's: a value the declared environment gives stands
  // as declared even when the config file (inside the image) cannot be
  // read. For a running master it becomes unknown, since the file may
  // override it.
  bool declared = false;
};

struct ReconstructedConfig {
  // Keyed by setting name, plus "app_uri".
  std::map<std::string, corral::v1::Setting> settings;
  std::string app_uri;
  corral::v1::ConfigInputs inputs;
  std::vector<corral::v1::Warning> warnings;
  // A config value used os.cpu_count() / multiprocessing.cpu_count().
  bool used_cpu_count = false;
};

ReconstructedConfig ReconstructConfig(const LoaderInputs& inputs);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_CONFIG_LOADER_H_
