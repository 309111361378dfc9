#include "cli/inspect_format.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/duration.h"
#include "common/setting_source.h"
#include "common/shell_quote.h"
#include "common/snapshot_facts.h"
#include "gunicorn/settings.h"

namespace corral::cli {
namespace {

// Shown in this order; other settings appear when not at their default.
constexpr const char* kKeySettings[] = {"app_uri",      "workers",
                                        "threads",      "worker_class",
                                        "timeout",      "graceful_timeout",
                                        "keepalive",    "worker_connections",
                                        "max_requests", "max_requests_jitter",
                                        "preload_app",  "reload",
                                        "bind",         "loglevel"};

bool IsKeySetting(const std::string& name) {
  for (const char* key : kKeySettings) {
    if (name == key) return true;
  }
  return false;
}

std::string Age(double seconds) { return FormatDurationShort(absl::Seconds(seconds)); }

// The hook reports every setting, most of them at Gunicorn's default; those
// are left out like defaults from any other source.
bool HookReportsTheDefault(const corral::v1::GunicornInstance& inst, const std::string& name,
                           const corral::v1::Setting& setting) {
  if (!IsExact(setting)) return false;
  const gunicorn::SettingsTable& table = *gunicorn::TableFor(gunicorn::ParseRelease(inst.gunicorn_version())).table;
  const gunicorn::GunicornSetting* known = table.Find(name);
  return known != nullptr && setting.value() == known->default_value;
}

void RenderSettings(const corral::v1::GunicornInstance& inst, const Style& style, std::string& out) {
  std::vector<std::string> names;
  for (const char* key : kKeySettings) {
    if (inst.config().count(key)) names.push_back(key);
  }
  std::vector<std::string> others;
  int hidden_unknown = 0;
  for (const auto& [name, setting] : inst.config()) {
    if (IsKeySetting(name) || setting.source() == kSourceDefault || HookReportsTheDefault(inst, name, setting))
      continue;
    if (!IsKnown(setting)) {
      ++hidden_unknown;
      continue;
    }
    others.push_back(name);
  }
  std::sort(others.begin(), others.end());
  names.insert(names.end(), others.begin(), others.end());

  Table table({"SETTING", "VALUE", "SOURCE"});
  // Unknown settings usually share one reason: list the reason once.
  std::vector<std::pair<std::string, std::vector<std::string>>> notes;
  for (const std::string& name : names) {
    const corral::v1::Setting& s = inst.config().at(name);
    bool unknown = !IsKnown(s);
    std::string value = unknown ? style.Yellow("unknown") : (s.value().empty() ? "-" : s.value());
    std::string source = SettingSourceText(s, SourceDetail::kWithOrigin);
    if (unknown && !s.default_value().empty()) absl::StrAppend(&source, " (default ", s.default_value(), ")");
    table.AddRow({name, value, style.Dim(source)});
    if (unknown && !s.note().empty()) {
      std::string note = s.expression().empty() ? s.note() : absl::StrCat(s.note(), " [", s.expression(), "]");
      auto it = std::find_if(notes.begin(), notes.end(), [&](const auto& n) { return n.first == note; });
      if (it == notes.end()) {
        notes.push_back({note, {name}});
      } else {
        it->second.push_back(name);
      }
    }
  }
  absl::StrAppend(&out, "  settings\n", table.Render(4, &style));
  if (hidden_unknown > 0) {
    absl::StrAppend(&out, "    ", style.Dim(absl::StrCat("(", hidden_unknown, " more settings unknown; see --json)")),
                    "\n");
  }
  for (const auto& [note, which] : notes) {
    absl::StrAppend(&out, "    ", style.Dim(absl::StrCat("· ", absl::StrJoin(which, ", "), ": ", note)), "\n");
  }
}

void RenderResources(const corral::v1::ContainerResources& r, const Style& style, std::string& out) {
  if (r.cgroup_version().empty()) {
    absl::StrAppend(&out, "  container  ", style.Dim("cgroup unknown"),
                    r.read_errors().empty() ? "" : absl::StrCat(" (", r.read_errors(0), ")"), "\n");
    return;
  }
  std::vector<std::string> parts;
  parts.push_back(absl::StrCat("cgroup ", r.cgroup_version(), " ", r.cgroup_path()));
  std::string cpu = r.has_cpu_quota_cores() ? absl::StrFormat("cpu quota %.2f cores", r.cpu_quota_cores())
                                            : std::string("cpu quota unlimited");
  if (r.effective_cpus() > 0) absl::StrAppend(&cpu, " on ", r.effective_cpus(), " cpu(s)");
  parts.push_back(cpu);
  parts.push_back(absl::StrCat("memory ", FormatBytes(r.memory_usage_bytes()), " of ",
                               r.has_memory_limit_bytes() ? FormatBytes(r.memory_limit_bytes()) : "unlimited"));
  parts.push_back(absl::StrCat("oom kills ", r.oom_kills()));
  if (r.has_pids_limit()) parts.push_back(absl::StrCat("pids ", r.pids_current(), "/", r.pids_limit()));
  absl::StrAppend(&out, "  container  ", absl::StrJoin(parts, " · "), "\n");
  if (!r.read_errors().empty()) {
    absl::StrAppend(&out, "             ",
                    style.Yellow(absl::StrCat(
                        "partly unreadable, figures may be missing: ", r.read_errors(0),
                        r.read_errors_size() > 1 ? absl::StrCat(" (+", r.read_errors_size() - 1, " more)") : "")),
                    "\n");
  }
}

std::string WorkerTable(const google::protobuf::RepeatedPtrField<corral::v1::ProcessFacts>& workers,
                        const Style& style) {
  Table table({"PID", "AGE", "RSS", "CPU", "HEARTBEAT", "STATE", "UID"});
  for (const corral::v1::ProcessFacts& w : workers) {
    table.AddRow({absl::StrCat(w.pid()), Age(w.age_seconds()), FormatBytes(w.rss_bytes()),
                  absl::StrFormat("%.2fs", w.cpu_seconds()),
                  w.has_heartbeat_age_seconds() ? absl::StrFormat("%.1fs ago", w.heartbeat_age_seconds()) : "unknown",
                  w.state(), w.has_uid() ? absl::StrCat(w.uid()) : "?"});
  }
  return table.Render(4, &style);
}

void RenderInstance(const corral::v1::GunicornInstance& inst, const Style& style, std::string& out) {
  const corral::v1::ProcessFacts& m = inst.master();
  std::string title = absl::StrCat("Gunicorn master ", m.pid());
  std::string app = inst.app_uri().empty() ? style.Yellow("app unknown") : inst.app_uri();
  absl::StrAppend(&out, style.Bold(title), "  ", app);
  if (inst.upgrade_parent_pid() != 0) {
    absl::StrAppend(&out, "  ",
                    style.Yellow(absl::StrCat("(new master from USR2 upgrade of ", inst.upgrade_parent_pid(), ")")));
  }
  absl::StrAppend(&out, "\n");

  if (inst.inputs().argv_erased()) {
    absl::StrAppend(
        &out, "  command    ",
        style.Yellow(absl::StrCat("erased by setproctitle (title: ", m.argv().empty() ? "" : m.argv(0), ")")), "\n");
  } else {
    absl::StrAppend(&out, "  command    ", QuoteArgvForDisplay({m.argv().begin(), m.argv().end()}), "  ",
                    style.Dim(absl::StrCat("[", inst.launcher(), "]")), "\n");
  }
  std::string release =
      inst.gunicorn_version().empty() ? style.Yellow("unknown") : absl::StrCat("Gunicorn ", inst.gunicorn_version());
  std::string release_detail =
      inst.gunicorn_version_source().empty() ? "" : absl::StrCat("from ", inst.gunicorn_version_source());
  if (!inst.settings_table().empty() &&
      !absl::StartsWith(inst.gunicorn_version(), absl::StrCat(inst.settings_table(), "."))) {
    absl::StrAppend(&release_detail, release_detail.empty() ? "" : "; ", "read with ", inst.settings_table(),
                    "'s settings");
  }
  absl::StrAppend(&out, "  release    ", release, release_detail.empty() ? "" : "  ", style.Dim(release_detail), "\n");
  if (!inst.gunicorn_version_note().empty()) {
    absl::StrAppend(&out, "             ", style.Dim(inst.gunicorn_version_note()), "\n");
  }
  std::vector<std::string> running{absl::StrCat("up ", Age(m.age_seconds()))};
  if (m.has_uid()) running.push_back(absl::StrCat("uid ", m.uid()));
  if (!m.cwd().empty()) running.push_back(absl::StrCat("cwd ", m.cwd()));
  running.push_back(absl::StrCat("rss ", FormatBytes(m.rss_bytes())));
  absl::StrAppend(&out, "  master     ", absl::StrJoin(running, " · "), "\n");
  const corral::v1::ConfigInputs& inputs = inst.inputs();
  if (!inputs.config_file().empty() || inputs.config_file_source() == "unknown") {
    std::string file = inputs.config_file().empty() ? style.Yellow("unknown") : inputs.config_file();
    std::string via = inputs.config_file_source() == kSourceDefault ? "found in the working directory"
                      : inputs.config_file_source() == "unknown"    ? ""
                                                                    : absl::StrCat("via ", inputs.config_file_source());
    if (!inputs.config_file_error().empty()) absl::StrAppend(&via, via.empty() ? "" : "; ", inputs.config_file_error());
    absl::StrAppend(&out, "  config     ", file, "  ", style.Dim(via), "\n");
  }

  int live = LiveWorkers(inst);
  std::optional<int64_t> configured = ConfiguredWorkers(inst);
  const corral::v1::Setting& workers_setting = inst.config().at("workers");
  std::string count =
      absl::StrCat(live, " running / ", configured ? absl::StrCat(*configured, " configured") : "configured unknown",
                   " (", SettingSourceText(workers_setting, SourceDetail::kWithOrigin), ")");
  if (configured && live < *configured) count = style.Red(count);
  absl::StrAppend(&out, "  workers    ", count, "\n");
  if (inst.workers_size() > 0) absl::StrAppend(&out, WorkerTable(inst.workers(), style));
  std::optional<int64_t> dirty_configured = ConfiguredDirtyWorkers(inst);
  if (inst.has_dirty_arbiter() || inst.dirty_workers_size() > 0 || dirty_configured.value_or(0) > 0) {
    int dirty_live = LiveDirtyWorkers(inst);
    std::string dirty = absl::StrCat(
        dirty_live, " running / ",
        dirty_configured ? absl::StrCat(*dirty_configured, " configured") : "configured unknown",
        inst.has_dirty_arbiter() ? absl::StrCat(" · arbiter ", inst.dirty_arbiter().pid()) : " · no dirty arbiter");
    if (dirty_configured && dirty_live < *dirty_configured) dirty = style.Red(dirty);
    absl::StrAppend(&out, "  dirty      ", dirty, "\n");
    if (inst.dirty_workers_size() > 0) absl::StrAppend(&out, WorkerTable(inst.dirty_workers(), style));
  }
  if (inst.other_children_size() > 0) {
    std::vector<std::string> others;
    for (const corral::v1::ProcessFacts& c : inst.other_children()) {
      others.push_back(absl::StrCat(c.pid(), " (", c.comm(), ")"));
    }
    absl::StrAppend(&out, "  other children (not workers): ", absl::StrJoin(others, ", "), "\n");
  }
  const corral::v1::ControlSocket& control = inst.control_socket();
  if (!control.state().empty()) {
    std::string line = control.state() == "answered"
                           ? absl::StrCat("answered at ", control.path(), " in ",
                                          absl::StrFormat("%.1f ms", control.query_us() / 1000.0))
                       : control.state() == "failed" ? style.Yellow(absl::StrCat(control.path(), ": ", control.error()))
                       : control.state() == "not_found" ? style.Dim("none found")
                       : control.state() == "disabled"  ? style.Dim("disabled (--no-control-socket)")
                                                        : style.Dim("not asked (--control-socket off)");
    absl::StrAppend(&out, "  control    ", line, "\n");
  }
  RenderSettings(inst, style, out);
  RenderResources(inst.resources(), style, out);
  if (!m.read_errors().empty()) {
    absl::StrAppend(&out, "  unreadable ", style.Yellow(absl::StrJoin(m.read_errors(), "; ")), "\n");
  }
  if (inst.warnings_size() > 0) {
    absl::StrAppend(&out, "  warnings\n");
    for (const corral::v1::Warning& w : inst.warnings()) {
      bool severe = w.code() == "FEWER_WORKERS_THAN_CONFIGURED" || w.code() == "CONFIG_VALUE_INVALID" ||
                    w.code() == "FEWER_DIRTY_WORKERS_THAN_CONFIGURED";
      std::string code = severe ? style.Red(w.code()) : style.Yellow(w.code());
      absl::StrAppend(&out, "    ! ", code, "  ", w.message(), "\n");
    }
  }
}

}  // namespace

std::string RenderInspect(const corral::v1::Snapshot& snapshot, const Style& style, int processes_scanned) {
  std::string out;
  for (const std::string& error : snapshot.scan_errors()) absl::StrAppend(&out, style.Yellow("! " + error), "\n");
  if (snapshot.instances_size() == 0) {
    absl::StrAppend(&out, "No Gunicorn master found in ", snapshot.agent().proc_root(), " (", processes_scanned,
                    " processes scanned).\n");
    return out;
  }
  for (int i = 0; i < snapshot.instances_size(); ++i) {
    if (i > 0) out += "\n";
    RenderInstance(snapshot.instances(i), style, out);
  }
  return out;
}

}  // namespace corral::cli
