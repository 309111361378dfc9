#include "gunicorn/settings.h"

#include <algorithm>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corral::gunicorn {
namespace {

using A = ArgAction;
using T = ArgType;
using V = Validator;
using D = DefaultOrigin;

// Each generated table is an array `kRelease_MAJOR_MINOR` plus the release
// it was generated from.
#define CORRAL_GUNICORN_TABLE(major, minor, from, count) \
  constexpr const char kFrom_##major##_##minor[] = from; \
  constexpr GunicornSetting kRelease_##major##_##minor[count] = {
#define CORRAL_GUNICORN_TABLE_END \
  }                               \
  ;
#include "gunicorn/tables/releases.inc"
#undef CORRAL_GUNICORN_TABLE
#undef CORRAL_GUNICORN_TABLE_END

// Settings snapshots carry. Everything the control socket reports is here,
// so the two can be compared.
constexpr const char* kReported[] = {
    "wsgi_app",
    "bind",
    "backlog",
    "workers",
    "worker_class",
    "threads",
    "worker_connections",
    "max_requests",
    "max_requests_jitter",
    "timeout",
    "graceful_timeout",
    "keepalive",
    "limit_request_line",
    "limit_request_fields",
    "limit_request_field_size",
    "reload",
    "preload_app",
    "reuse_port",
    "chdir",
    "daemon",
    "raw_env",
    "pidfile",
    "worker_tmp_dir",
    "user",
    "group",
    "umask",
    "forwarded_allow_ips",
    "accesslog",
    "errorlog",
    "loglevel",
    "capture_output",
    "statsd_host",
    "statsd_prefix",
    "proc_name",
    "pythonpath",
    "http_protocols",
    "dirty_apps",
    "dirty_workers",
    "dirty_timeout",
    "control_socket",
    "control_socket_disable",
};

}  // namespace

bool GunicornSetting::reported() const {
  static const auto* names = new absl::flat_hash_set<absl::string_view>(std::begin(kReported), std::end(kReported));
  return names->contains(name);
}

std::string Release::ToString() const { return absl::StrCat(major, ".", minor, ".", patch); }

bool Release::operator<(const Release& o) const {
  if (major != o.major) return major < o.major;
  if (minor != o.minor) return minor < o.minor;
  return patch < o.patch;
}

std::optional<Release> ParseRelease(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() < 2 || parts.size() > 4) return std::nullopt;
  int numbers[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size() && i < 3; ++i) {
    absl::string_view part = parts[i];
    // "0rc1", "2b1", "1.dev0": the leading digits are the number.
    size_t digits = 0;
    while (digits < part.size() && absl::ascii_isdigit(static_cast<unsigned char>(part[digits]))) ++digits;
    if (digits == 0 || digits > 4) return std::nullopt;
    if (!absl::SimpleAtoi(part.substr(0, digits), &numbers[i])) return std::nullopt;
    if (digits != part.size() && i < 2) return std::nullopt;
  }
  return Release{numbers[0], numbers[1], numbers[2]};
}

SettingsTable::SettingsTable(int major, int minor, const char* generated_from, const GunicornSetting* settings,
                             size_t size)
    : major_(major), minor_(minor), generated_from_(generated_from), settings_(settings), size_(size) {
  for (const GunicornSetting& s : *this) {
    by_name_[s.name] = &s;
    for (const char* flag : s.flags) by_flag_[flag] = &s;
  }
}

std::string SettingsTable::line() const { return absl::StrCat(major_, ".", minor_); }

const GunicornSetting* SettingsTable::Find(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const GunicornSetting* SettingsTable::FindFlag(absl::string_view flag) const {
  auto it = by_flag_.find(flag);
  return it == by_flag_.end() ? nullptr : it->second;
}

const std::vector<const SettingsTable*>& AllTables() {
  static const auto* tables = new std::vector<const SettingsTable*>{
#define X(major, minor)                                                                \
  new SettingsTable(major, minor, kFrom_##major##_##minor, kRelease_##major##_##minor, \
                    sizeof(kRelease_##major##_##minor) / sizeof(kRelease_##major##_##minor[0])),
      CORRAL_GUNICORN_RELEASES(X)
#undef X
  };
  return *tables;
}

const SettingsTable& NewestTable() { return *AllTables().back(); }

TableChoice TableFor(const std::optional<Release>& release) {
  TableChoice choice;
  const std::vector<const SettingsTable*>& tables = AllTables();
  if (!release) {
    choice.table = tables.back();
    choice.note =
        absl::StrCat("the Gunicorn version is unknown; read with the newest table (", choice.table->line(), ")");
    return choice;
  }
  const SettingsTable* same_major = nullptr;
  const SettingsTable* older = nullptr;
  for (const SettingsTable* t : tables) {
    if (t->major() == release->major && t->minor() == release->minor) {
      choice.table = t;
      choice.exact = true;
      return choice;
    }
    if (t->major() == release->major) {
      // The nearest minor of the same major; the older one on a tie.
      if (same_major == nullptr ||
          std::abs(t->minor() - release->minor) < std::abs(same_major->minor() - release->minor)) {
        same_major = t;
      }
    }
    if (t->major() < release->major || (t->major() == release->major && t->minor() < release->minor)) older = t;
  }
  choice.table = same_major != nullptr ? same_major : older != nullptr ? older : tables.front();
  choice.note = absl::StrCat("Corral has no table for Gunicorn ", release->major, ".", release->minor, "; read with ",
                             choice.table->line(), "'s");
  return choice;
}

std::optional<std::string> FirstLineWithFlag(absl::string_view flag) {
  for (const SettingsTable* t : AllTables()) {
    if (t->FindFlag(flag) != nullptr) return t->line();
  }
  return std::nullopt;
}

}  // namespace corral::gunicorn
