// Gunicorn's settings, one table per release line (20.1 to 26.x), generated
// from each release's own gunicorn/config.py by
// scripts/gunicorn-settings-table.py: name, command-line flags, how argparse
// stores them, how the setting validates a value, and the default. These
// tables are the only place Corral learns what a Gunicorn accepts.
//
// Which table reads a master: the one of the release it runs (see
// gunicorn/version.h). A release between two tables uses the nearest one of
// the same major release; an unknown release uses the newest table, and
// says so.
#ifndef CORRAL_GUNICORN_SETTINGS_H_
#define CORRAL_GUNICORN_SETTINGS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace corral::gunicorn {

// argparse action for the setting's flags. kStoreOptional is nargs='?': the
// next argument is the value unless it looks like an option, else the
// setting takes const_value.
enum class ArgAction { kNoFlag, kStore, kStoreTrue, kStoreConst, kAppend, kStoreOptional };

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
  kStatsdAddress,
  kChoice,
  kProxyProtocol,
  kProtocolList,
  kDict,
  kCallable,
  kSslVersion,
};

// Where a setting's default comes from.
enum class DefaultOrigin {
  kStatic,
  // An environment variable of the master (WEB_CONCURRENCY, PORT,
  // FORWARDED_ALLOW_IPS, XDG_RUNTIME_DIR/HOME); default_value is what it is
  // with the variable unset, or empty when built from $HOME.
  kEnvironment,
  // The master itself (its working directory, uid, gid).
  kProcess,
};

// Up to two flags ("-w", "--workers"), iterable.
struct Flags {
  const char* items[2] = {nullptr, nullptr};
  const char* const* begin() const { return items; }
  const char* const* end() const { return items + (items[0] == nullptr ? 0 : items[1] == nullptr ? 1 : 2); }
  bool empty() const { return items[0] == nullptr; }
};

struct GunicornSetting {
  const char* name;
  Flags flags;
  ArgAction action;
  ArgType type;
  Validator validator;
  // Default as Corral shows values (lists comma-separated, booleans
  // lower case).
  const char* default_value;
  // Value stored by a store_const flag, or by a nargs='?' flag given alone.
  const char* const_value;
  DefaultOrigin default_origin;
  // kChoice and kProtocolList: the accepted values, separated by '|'.
  const char* choices;

  // Reported in snapshots. The rest are known so argv parses correctly.
  bool reported() const;
};

// A Gunicorn release, as "26.2.2" writes it.
struct Release {
  int major = 0;
  int minor = 0;
  int patch = 0;

  std::string ToString() const;
  bool operator==(const Release& o) const { return major == o.major && minor == o.minor && patch == o.patch; }
  bool operator<(const Release& o) const;
};

// "26.2.2", "23.0", "20.1.0rc1" (pre-release suffixes are dropped).
std::optional<Release> ParseRelease(absl::string_view text);

// Every setting of one release line, in Gunicorn's order.
class SettingsTable {
 public:
  SettingsTable(int major, int minor, const char* generated_from, const GunicornSetting* settings, size_t size);

  // "26.2": the release line.
  std::string line() const;
  int major() const { return major_; }
  int minor() const { return minor_; }
  // The release the table was generated from ("26.2.2").
  const char* generated_from() const { return generated_from_; }

  const GunicornSetting* begin() const { return settings_; }
  const GunicornSetting* end() const { return settings_ + size_; }
  size_t size() const { return size_; }

  // The setting called `name`, or nullptr.
  const GunicornSetting* Find(absl::string_view name) const;
  // The setting `flag` spells exactly ("--workers", "-w"), or nullptr.
  const GunicornSetting* FindFlag(absl::string_view flag) const;

 private:
  int major_;
  int minor_;
  const char* generated_from_;
  const GunicornSetting* settings_;
  size_t size_;
  absl::flat_hash_map<absl::string_view, const GunicornSetting*> by_name_;
  absl::flat_hash_map<absl::string_view, const GunicornSetting*> by_flag_;
};

// Every table, oldest release first.
const std::vector<const SettingsTable*>& AllTables();
const SettingsTable& NewestTable();

// The table that reads a master of `release`, and how well it fits.
struct TableChoice {
  const SettingsTable* table = nullptr;
  // The table is the release's own line.
  bool exact = false;
  // Why another table was used ("Gunicorn 25.4 has no table; read with
  // 25.3's"), empty when exact.
  std::string note;
};
// nullopt release: the version is unknown; the newest table is used.
TableChoice TableFor(const std::optional<Release>& release);

// The oldest release line whose table has `flag`, or nullopt: for messages
// such as "--dirty-app is a flag of Gunicorn 25.0 and later".
std::optional<std::string> FirstLineWithFlag(absl::string_view flag);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_SETTINGS_H_
