#include "agent/hook_reader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/exact_settings.h"
#include "common/file_util.h"
#include "common/json_reader.h"
#include "common/setting_source.h"
#include "common/snapshot_facts.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "gunicorn/config_loader.h"

namespace corral::agent {
namespace {

using corral::Json;

constexpr size_t kMaxSettings = 400;
constexpr size_t kMaxNameBytes = 128;
// Snapshots carry these values on to the server, which refuses strings over
// 16 KiB and snapshots over 1 MiB.
constexpr size_t kMaxValueBytes = 16 * 1024;
constexpr size_t kMaxSettingsBytes = 256 * 1024;
constexpr size_t kMaxShortBytes = 1024;
constexpr size_t kMaxListeners = 16;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

bool Absent(const Json* value) { return value == nullptr || value->type == Json::Type::kNull; }

// Field readers: an absent (or null) field leaves `out` alone.
absl::Status GetString(const Json* value, absl::string_view field, std::string& out,
                       size_t max_bytes = kMaxShortBytes) {
  if (Absent(value)) return absl::OkStatus();
  if (value->type != Json::Type::kString) return Invalid(field, "not a string");
  if (value->text.size() > max_bytes) return Invalid(field, absl::StrCat("longer than ", max_bytes, " bytes"));
  out = value->text;
  return absl::OkStatus();
}

absl::Status GetNumber(const Json* value, absl::string_view field, double& out) {
  if (Absent(value)) return absl::OkStatus();
  if (value->type != Json::Type::kNumber || !std::isfinite(value->number)) return Invalid(field, "not a number");
  out = value->number;
  return absl::OkStatus();
}

// A moment as Unix seconds: a number within what absl::Time and the
// millisecond conversions downstream hold (year 1970 to about 5000).
absl::Status GetUnixSeconds(const Json* value, absl::string_view field, double& out) {
  double seconds = out;
  CORRAL_RETURN_IF_ERROR(GetNumber(value, field, seconds));
  if (seconds < 0 || seconds > 1e11) return Invalid(field, "not a time between 1970 and the year 5000");
  out = seconds;
  return absl::OkStatus();
}

absl::Status GetInteger(const Json* value, absl::string_view field, std::optional<int64_t>& out) {
  if (Absent(value)) return absl::OkStatus();
  if (value->type != Json::Type::kNumber || !value->integer) return Invalid(field, "not an integer");
  out = *value->integer;
  return absl::OkStatus();
}

absl::Status ReadSettings(const Json& value, HookReport& report) {
  if (value.type != Json::Type::kObject) return Invalid("settings", "not an object");
  if (value.keys.size() > kMaxSettings) {
    return Invalid("settings", absl::StrCat(value.keys.size(), " entries, more than ", kMaxSettings));
  }
  size_t total = 0;
  for (size_t i = 0; i < value.keys.size(); ++i) {
    const std::string& name = value.keys[i];
    const Json& setting = value.values[i];
    if (name.empty() || name.size() > kMaxNameBytes) return Invalid("settings", "a setting name is empty or too long");
    std::string field = absl::StrCat("settings.", name);
    if (setting.type != Json::Type::kString) return Invalid(field, "not a string");
    CORRAL_RETURN_IF_ERROR(GetString(&setting, field, report.settings[name], kMaxValueBytes));
    total += name.size() + setting.text.size();
  }
  if (total > kMaxSettingsBytes) return Invalid("settings", absl::StrCat(total, " bytes in all, more than 256 KiB"));
  return absl::OkStatus();
}

absl::Status ReadEvents(const Json& value, HookReport& report) {
  if (value.type != Json::Type::kObject) return Invalid("events", "not an object");
  if (value.keys.size() > kMaxSettings) return Invalid("events", "too many entries");
  for (size_t i = 0; i < value.keys.size(); ++i) {
    const std::string& name = value.keys[i];
    std::optional<int64_t> n;
    CORRAL_RETURN_IF_ERROR(GetInteger(&value.values[i], absl::StrCat("events.", name), n));
    if (!n || *n < 0) return Invalid(absl::StrCat("events.", name), "not a count");
    report.events[name] = *n;
  }
  return absl::OkStatus();
}

absl::Status ReadLastEvent(const Json& value, HookReport& report) {
  if (value.type == Json::Type::kNull) return absl::OkStatus();
  if (value.type != Json::Type::kObject) return Invalid("last_event", "not an object");
  HookEvent event;
  CORRAL_RETURN_IF_ERROR(GetString(value.Find("name"), "last_event.name", event.name));
  if (event.name.empty()) return Invalid("last_event.name", "missing");
  CORRAL_RETURN_IF_ERROR(GetUnixSeconds(value.Find("unix"), "last_event.unix", event.unix_seconds));
  if (value.keys.size() > 32) return Invalid("last_event", "too many fields");
  for (size_t i = 0; i < value.keys.size(); ++i) {
    const std::string& key = value.keys[i];
    const Json& field = value.values[i];
    if (key == "name" || key == "unix" || field.type == Json::Type::kNull) continue;
    if (field.type == Json::Type::kBool) {
      event.fields[key] = field.boolean ? 1 : 0;
      continue;
    }
    std::optional<int64_t> n;
    CORRAL_RETURN_IF_ERROR(GetInteger(&field, absl::StrCat("last_event.", key), n));
    event.fields[key] = *n;
  }
  report.last_event = std::move(event);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HookReport> ParseHookReport(absl::string_view json) {
  if (json.size() > kMaxHookFileBytes) return absl::InvalidArgumentError("larger than 1 MiB");
  absl::StatusOr<Json> doc = ParseJson(json);
  if (!doc.ok()) return doc.status();
  if (doc->type != Json::Type::kObject) return absl::InvalidArgumentError("not a JSON object");

  HookReport report;
  std::optional<int64_t> version;
  CORRAL_RETURN_IF_ERROR(GetInteger(doc->Find("version"), "version", version));
  if (!version) return Invalid("version", "missing");
  if (*version != kHookReportVersion) {
    return Invalid("version", absl::StrCat(*version, " is not supported (this agent reads ", kHookReportVersion, ")"));
  }
  report.version = static_cast<int>(*version);

  std::optional<int64_t> pid;
  CORRAL_RETURN_IF_ERROR(GetInteger(doc->Find("pid"), "pid", pid));
  if (!pid) return Invalid("pid", "missing");
  if (*pid <= 0 || *pid > (1 << 22)) return Invalid("pid", absl::StrCat(*pid, " is not a pid"));
  report.pid = static_cast<int>(*pid);

  const Json* started = doc->Find("started_at_unix");
  if (Absent(started)) return Invalid("started_at_unix", "missing");
  CORRAL_RETURN_IF_ERROR(GetUnixSeconds(started, "started_at_unix", report.started_at_unix));
  CORRAL_RETURN_IF_ERROR(GetUnixSeconds(doc->Find("written_at_unix"), "written_at_unix", report.written_at_unix));

  const Json* settings = doc->Find("settings");
  if (Absent(settings)) return Invalid("settings", "missing");
  CORRAL_RETURN_IF_ERROR(ReadSettings(*settings, report));

  CORRAL_RETURN_IF_ERROR(GetString(doc->Find("gunicorn_version"), "gunicorn_version", report.gunicorn_version));
  CORRAL_RETURN_IF_ERROR(GetString(doc->Find("app_uri"), "app_uri", report.app_uri, kMaxValueBytes));
  CORRAL_RETURN_IF_ERROR(GetString(doc->Find("worker_class"), "worker_class", report.worker_class));
  CORRAL_RETURN_IF_ERROR(GetString(doc->Find("worker_class_path"), "worker_class_path", report.worker_class_path));
  CORRAL_RETURN_IF_ERROR(GetInteger(doc->Find("num_workers"), "num_workers", report.num_workers));
  if (report.num_workers && *report.num_workers < 0) return Invalid("num_workers", "negative");

  if (const Json* listeners = doc->Find("listeners"); !Absent(listeners)) {
    if (listeners->type != Json::Type::kArray) return Invalid("listeners", "not an array");
    if (listeners->items.size() > kMaxListeners) return Invalid("listeners", "too many entries");
    for (const Json& item : listeners->items) {
      if (item.type != Json::Type::kString) return Invalid("listeners[]", "not a string");
      CORRAL_RETURN_IF_ERROR(GetString(&item, "listeners[]", report.listeners.emplace_back()));
    }
  }
  if (const Json* events = doc->Find("events"); !Absent(events)) {
    CORRAL_RETURN_IF_ERROR(ReadEvents(*events, report));
  }
  if (const Json* last = doc->Find("last_event"); last != nullptr) {
    CORRAL_RETURN_IF_ERROR(ReadLastEvent(*last, report));
  }
  return report;
}

std::string HookFilePath(absl::string_view dir, int pid) {
  absl::string_view trimmed = dir;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  return absl::StrCat(trimmed, trimmed == "/" ? "" : "/", "gunicorn-", pid, ".json");
}

absl::StatusOr<HookFileStamp> StatHookFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::ErrnoToStatus(errno, path);
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  HookFileStamp stamp;
  stamp.mtime = absl::TimeFromTimespec(st.st_mtim);
  stamp.inode = st.st_ino;
  stamp.size = st.st_size;
  return stamp;
}

absl::StatusOr<std::string> ReadHookFile(const std::string& path) {
  // Whoever can write the hook directory can put a FIFO where the file was
  // stat()ed a moment ago: ReadRegularFile refuses it rather than stop the
  // sampling thread on it. One byte more than allowed tells a file at the
  // limit from a longer one.
  absl::StatusOr<corral::RegularFile> content = corral::ReadRegularFile(path, path, kMaxHookFileBytes + 1);
  if (!content.ok()) return content.status();
  if (content->content.size() > kMaxHookFileBytes) {
    return absl::ResourceExhaustedError(absl::StrCat("larger than ", kMaxHookFileBytes, " bytes"));
  }
  return std::move(content->content);
}

absl::Status MatchHookReport(const HookReport& report, int pid, absl::Time file_mtime, absl::Time master_start) {
  if (report.pid != pid) {
    return absl::InvalidArgumentError(absl::StrCat("written by pid ", report.pid, ", not by master ", pid));
  }
  if (master_start == absl::InfinitePast()) return absl::OkStatus();
  absl::Time earliest = master_start - absl::Seconds(1);
  if (file_mtime < earliest) {
    return absl::FailedPreconditionError(absl::StrCat("last written ", absl::FormatDuration(master_start - file_mtime),
                                                      " before master ", pid, " started"));
  }
  if (absl::FromUnixMillis(static_cast<int64_t>(report.started_at_unix * 1000)) < earliest) {
    return absl::FailedPreconditionError(
        absl::StrCat("describes a process that started before master ", pid, ": an earlier master with that pid"));
  }
  return absl::OkStatus();
}

void ApplyHookReport(const HookReport& report, corral::v1::GunicornInstance& instance) {
  auto& config = *instance.mutable_config();
  auto adopt = [&](const std::string& name, const std::string& value) -> corral::v1::Setting& {
    return AdoptExactSetting(instance, name, value, kSourceHook, "HOOK_DISAGREES", "through the hook");
  };
  for (const auto& [name, value] : report.settings) {
    if (name == "worker_class" && !report.worker_class.empty()) continue;
    adopt(name, value);
  }
  if (!report.worker_class.empty()) {
    corral::v1::Setting& s = adopt("worker_class", report.worker_class);
    auto raw = report.settings.find("worker_class");
    if (raw != report.settings.end() && raw->second != report.worker_class) {
      AppendSettingNote(s, absl::StrCat("the worker_class setting is '", raw->second, "'"));
    }
    if (!report.worker_class_path.empty()) AppendSettingNote(s, absl::StrCat("class ", report.worker_class_path));
  }
  if (!report.app_uri.empty()) {
    adopt("app_uri", report.app_uri);
    instance.set_app_uri(report.app_uri);
  }
  auto workers = config.find("workers");
  if (report.num_workers && workers != config.end() && workers->second.source() == kSourceHook &&
      workers->second.value() != absl::StrCat(*report.num_workers)) {
    AppendSettingNote(workers->second, absl::StrCat("the master's target is now ", *report.num_workers,
                                                    " (changed at run time with TTIN/TTOU)"));
  }
  auto bind = config.find("bind");
  if (!report.listeners.empty() && bind != config.end() && bind->second.source() == kSourceHook) {
    AppendSettingNote(bind->second, absl::StrCat("listening on ", absl::StrJoin(report.listeners, ", ")));
  }
  // Gunicorn's own __version__: exact where the agent's search of the
  // interpreter's path may not be (an erased PYTHONPATH).
  if (!report.gunicorn_version.empty()) {
    std::string found = instance.gunicorn_version().empty() || instance.gunicorn_version() == report.gunicorn_version
                            ? ""
                            : absl::StrCat("; the package the agent found first (", instance.gunicorn_version_source(),
                                           ") is ", instance.gunicorn_version());
    instance.set_gunicorn_version(report.gunicorn_version);
    instance.set_gunicorn_version_source("corral hook");
    instance.set_gunicorn_version_note(absl::StrCat("reported by Gunicorn through Corral's hook", found));
    auto* warnings = instance.mutable_warnings();
    for (int i = warnings->size() - 1; i >= 0; --i) {
      if (warnings->Get(i).code() == "GUNICORN_VERSION_UNKNOWN") warnings->DeleteSubrange(i, 1);
    }
  }
  DropSettingsUnknowableIfAllKnown(instance);
}

}  // namespace corral::agent
