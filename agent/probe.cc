#include "agent/probe.h"

#include <unistd.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/exact_settings.h"
#include "agent/release_detection.h"
#include "common/component_log.h"
#include "common/message_utf8.h"
#include "common/setting_source.h"
#include "common/snapshot_facts.h"
#include "gunicorn/config_loader.h"
#include "gunicorn/settings.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

const ComponentLog Log("probe");

}  // namespace

Probe::Probe(ProbeOptions options)
    : options_(std::move(options)),
      reader_(options_.proc_root),
      ticks_per_second_(::sysconf(_SC_CLK_TCK)),
      page_size_(::sysconf(_SC_PAGESIZE)) {
  if (ticks_per_second_ <= 0) ticks_per_second_ = 100;
  if (page_size_ <= 0) page_size_ = 4096;
}

bool Probe::RefreshUptime(corral::v1::Snapshot& snapshot) {
  now_ = options_.now();
  absl::StatusOr<std::string> uptime = reader_.ReadRootFile("uptime");
  absl::StatusOr<double> seconds = uptime.ok() ? ParseUptime(*uptime) : absl::StatusOr<double>(uptime.status());
  if (!seconds.ok()) {
    snapshot.add_scan_errors(
        absl::StrCat("uptime unreadable (", seconds.status().message(), "); process ages are unknown"));
    uptime_seconds_ = 0;
    return false;
  }
  uptime_seconds_ = *seconds;
  return true;
}

corral::v1::ProcessFacts Probe::FactsFromStat(const ProcStat& stat) const {
  corral::v1::ProcessFacts facts;
  facts.set_pid(stat.pid);
  facts.set_ppid(stat.ppid);
  facts.set_comm(stat.comm);
  facts.set_state(std::string(1, stat.state));
  facts.set_threads(static_cast<int32_t>(stat.num_threads));
  facts.set_rss_bytes(stat.rss_pages * page_size_);
  facts.set_cpu_seconds(static_cast<double>(stat.utime_ticks + stat.stime_ticks) /
                        static_cast<double>(ticks_per_second_));
  if (uptime_seconds_ > 0) {
    double age =
        std::max(0.0, uptime_seconds_ - static_cast<double>(stat.start_ticks) / static_cast<double>(ticks_per_second_));
    facts.set_age_seconds(age);
    facts.set_start_time_unix_ms(absl::ToUnixMillis(now_) - static_cast<int64_t>(age * 1000));
  }
  return facts;
}

corral::v1::Snapshot Probe::Finish(corral::v1::Snapshot snapshot, absl::Time started) {
  snapshot.set_sampled_at_unix_ms(absl::ToUnixMillis(now_));
  for (const KnownMaster& master : known_) *snapshot.add_instances() = Render(master);
  // Whatever bytes /proc held, the snapshot must serialize as proto3.
  if (int replaced = MakeStringsUtf8(&snapshot); replaced > 0) {
    Log()->debug("replaced bytes that are not UTF-8 in {} field(s) of the snapshot", replaced);
  }
  snapshot.set_scan_duration_us(absl::ToInt64Microseconds(absl::Now() - started));
  return snapshot;
}

corral::v1::Snapshot Probe::Discover() {
  absl::Time started = absl::Now();
  corral::v1::Snapshot snapshot;
  snapshot.set_scan_kind(corral::v1::FULL_DISCOVERY);
  RefreshUptime(snapshot);
  last_discovery_ = now_;
  known_.clear();

  absl::StatusOr<std::vector<int>> pids = reader_.ListPids();
  if (!pids.ok()) {
    snapshot.add_scan_errors(absl::StrCat("cannot list ", reader_.root(), ": ", pids.status().message()));
    return Finish(std::move(snapshot), started);
  }
  std::vector<ProcessEntry> table;
  std::vector<ProcStat> table_stats;
  std::map<int, std::vector<std::string>> argvs;
  table.reserve(pids->size());
  table_stats.reserve(pids->size());
  int unparsable = 0;
  for (int pid : *pids) {
    absl::StatusOr<std::string> text = reader_.ReadPidFile(pid, "stat", 4096);
    if (!text.ok()) continue;  // vanished since readdir
    absl::StatusOr<ProcStat> stat = ParseStat(*text, pid);
    if (!stat.ok()) {
      ++unparsable;
      Log()->debug("pid {}: {}", pid, std::string(stat.status().message()));
      continue;
    }
    ProcessEntry entry{pid, stat->ppid, stat->comm, std::nullopt};
    if (gunicorn::MightBeGunicorn(stat->comm)) {
      absl::StatusOr<std::string> cmdline = reader_.ReadPidFile(pid, "cmdline", 256 * 1024);
      if (cmdline.ok()) {
        std::vector<std::string> argv = ParseCmdline(*cmdline);
        entry.gunicorn = gunicorn::RecognizeGunicorn(argv);
        if (entry.gunicorn) argvs[pid] = std::move(argv);  // kept for BuildMaster
      }
    }
    table.push_back(std::move(entry));
    table_stats.push_back(*std::move(stat));
  }
  processes_scanned_ = static_cast<int>(table.size());
  if (unparsable > 0) {
    snapshot.add_scan_errors(absl::StrCat(unparsable, " process(es) had an unparsable stat file and were skipped"));
  }
  // Only Gunicorn processes and their children matter from here on.
  absl::flat_hash_set<int> gunicorn_pids;
  for (const ProcessEntry& e : table) {
    if (e.gunicorn) gunicorn_pids.insert(e.pid);
  }
  std::map<int, ProcStat> stats;
  std::map<int, std::vector<int>> children_of;
  std::map<int, const GunicornCommand*> commands;
  for (size_t i = 0; i < table.size(); ++i) {
    const ProcessEntry& e = table[i];
    bool relevant = e.gunicorn.has_value() || gunicorn_pids.count(e.ppid) > 0;
    if (!relevant) continue;
    stats.emplace(e.pid, table_stats[i]);
    if (gunicorn_pids.count(e.ppid)) children_of[e.ppid].push_back(e.pid);
    if (e.gunicorn) commands[e.pid] = &*e.gunicorn;
  }
  for (int master_pid : FindRootMasters(table)) {
    BuildMaster(master_pid, 0, stats.at(master_pid), *commands.at(master_pid), argvs.at(master_pid), children_of,
                stats);
  }
  std::sort(known_.begin(), known_.end(), [](const KnownMaster& a, const KnownMaster& b) { return a.pid < b.pid; });
  return Finish(std::move(snapshot), started);
}

void Probe::Reconstruct(KnownMaster& master, gunicorn::LoaderInputs& loader, const gunicorn::DetectedRelease& release) {
  corral::v1::GunicornInstance& inst = master.base;
  gunicorn::TableChoice table = gunicorn::TableFor(release.release);
  loader.table = table.table;
  inst.set_gunicorn_version(release.text);
  inst.set_gunicorn_version_source(release.evidence);
  std::string version_note = release.note;
  if (!table.exact && release.release) {
    version_note = version_note.empty() ? table.note : absl::StrCat(version_note, "; ", table.note);
  }
  inst.set_gunicorn_version_note(version_note);
  inst.set_settings_table(table.table->line());
  if (!release.release) {
    corral::v1::Warning* w = inst.add_warnings();
    w->set_code("GUNICORN_VERSION_UNKNOWN");
    w->set_message(absl::StrCat("the Gunicorn release is unknown (", release.note,
                                "); its command line and config are read with the newest table, ",
                                table.table->line()));
  }
  gunicorn::ReconstructedConfig config = gunicorn::ReconstructConfig(loader);
  inst.set_app_uri(config.app_uri);
  for (auto& [name, setting] : config.settings) (*inst.mutable_config())[name] = std::move(setting);
  *inst.mutable_inputs() = std::move(config.inputs);
  for (auto& warning : config.warnings) *inst.add_warnings() = std::move(warning);
  master.used_cpu_count = config.used_cpu_count;
}

void Probe::BuildMaster(int pid, int upgrade_parent_pid, const ProcStat& stat, const GunicornCommand& command,
                        const std::vector<std::string>& argv, const std::map<int, std::vector<int>>& children_of,
                        const std::map<int, ProcStat>& stats) {
  KnownMaster master;
  master.pid = pid;
  master.start_ticks = stat.start_ticks;
  master.stat = stat;
  corral::v1::GunicornInstance& inst = master.base;
  corral::v1::ProcessFacts& facts = *inst.mutable_master();
  inst.set_upgrade_parent_pid(upgrade_parent_pid);
  inst.set_launcher(command.launcher);
  inst.set_title_name(command.title_name);

  gunicorn::LoaderInputs loader;
  master.argv = argv;
  for (const std::string& arg : master.argv) facts.add_argv(arg);
  if (command.is_title()) {
    loader.argv_erased = true;
  } else {
    loader.args = command.args;
  }

  absl::StatusOr<std::string> environ = reader_.ReadPidFile(pid, "environ", 1 << 20);
  if (!environ.ok()) {
    facts.add_read_errors(ReadErrorText("environ", environ.status()));
    loader.environ_error = ReadErrorText("environ", environ.status());
  } else if (IsZeroedEnviron(*environ) || (command.is_title() && environ->empty())) {
    loader.environ_erased = true;
  } else {
    loader.environ = ParseEnviron(*environ);
  }

  absl::StatusOr<std::string> status_text = reader_.ReadPidFile(pid, "status", 16 * 1024);
  if (status_text.ok()) {
    absl::StatusOr<ProcStatus> status = ParseStatus(*status_text);
    if (status.ok()) {
      if (status->real_uid) facts.set_uid(*status->real_uid);
      loader.uid = status->effective_uid;
      loader.gid = status->effective_gid;
    } else {
      facts.add_read_errors(ReadErrorText("status", status.status()));
    }
  } else {
    facts.add_read_errors(ReadErrorText("status", status_text.status()));
  }

  absl::StatusOr<std::string> cwd = reader_.ReadPidLink(pid, "cwd");
  if (cwd.ok()) {
    facts.set_cwd(*cwd);
    loader.cwd = *cwd;
  } else {
    facts.add_read_errors(ReadErrorText("cwd", cwd.status()));
  }

  // The release decides which flags and settings the loader knows.
  std::string environ_reason = loader.environ_erased ? "setproctitle erased the environment"
                               : !loader.environ_error.empty()
                                   ? absl::StrCat("the environment is unreadable (", loader.environ_error, ")")
                                   : "";
  gunicorn::DetectedRelease release =
      DetectMasterRelease(reader_, pid, command, argv, loader.environ, environ_reason, loader.cwd);
  loader.python_cpu_count = ReadPythonCpuCount(reader_, pid);
  loader.title_name = command.title_name;
  corral::v1::ProcessFacts timing = FactsFromStat(stat);
  loader.master_start_unix_ms = timing.start_time_unix_ms();
  loader.read_file = [this, pid](const std::string& path) { return reader_.ReadAsProcess(pid, path); };
  loader.is_dir = [this, pid](const std::string& path) { return reader_.IsDirAsProcess(pid, path); };
  Reconstruct(master, loader, release);
  *inst.mutable_resources() = ReadContainerResources(reader_, pid, &master.cgroup);

  std::vector<std::pair<int, std::vector<std::string>>> upgrade_masters;
  auto kids = children_of.find(pid);
  // Read after the children were listed, so the master already holds the
  // heartbeat of every child examined (it creates them before forking).
  master.brood.parent_heartbeat_files = HeartbeatFiles(pid);
  if (kids != children_of.end()) {
    for (int child : kids->second) {
      auto child_stat = stats.find(child);
      if (child_stat == stats.end()) continue;
      std::vector<std::string> child_argv;
      KnownChild known = ExamineChild(master, master.brood, false, child, child_stat->second, &child_argv);
      if (known.kind == ChildKind::kUpgradeMaster) upgrade_masters.emplace_back(child, std::move(child_argv));
      master.brood.children[child] = std::move(known);
      master.brood.stats[child] = child_stat->second;
    }
  }
  AssignHeartbeats(master.brood);
  RefreshDirtyPool(master, &children_of, &stats);
  AskControlSocket(master);
  std::optional<gunicorn::Release> found = gunicorn::ParseRelease(inst.gunicorn_version());
  if (master.control.answers && found && *found < gunicorn::Release{25, 1, 0}) {
    // Only 25.1 and later have a control socket: the package found is not
    // the one this master imported (a PYTHONPATH in an erased environment,
    // say). Read it again as a release of unknown version.
    gunicorn::DetectedRelease unknown;
    unknown.note = absl::StrCat(
        "the master answers on a control socket, which Gunicorn has since 25.1, but the package found first on its "
        "path (",
        inst.gunicorn_version_source(), ") is ", inst.gunicorn_version(), "; ", inst.gunicorn_version_note());
    inst.clear_config();
    inst.clear_warnings();
    Reconstruct(master, loader, unknown);
  }
  RefreshHook(master);
  Log()->debug("master {} ({}): {} children", pid, inst.app_uri(), master.brood.children.size());
  known_.push_back(std::move(master));

  for (const auto& [child, child_argv] : upgrade_masters) {
    std::optional<GunicornCommand> child_command = gunicorn::RecognizeGunicorn(child_argv);
    if (!child_command) child_command = command;  // re-executed with the same argv
    BuildMaster(child, pid, stats.at(child), *child_command, child_argv, children_of, stats);
  }
}

void Probe::AskControlSocket(KnownMaster& master) {
  ControlSocketState& control = master.control;
  control = ControlSocketState();
  const corral::v1::GunicornInstance& inst = master.base;
  // Releases before 25.1 have none. A release read while the environment
  // was hidden may be the wrong one (see gunicorn/version.h): look anyway.
  std::optional<gunicorn::Release> release = gunicorn::ParseRelease(inst.gunicorn_version());
  bool before_sockets = release && *release < gunicorn::Release{25, 1, 0};
  if (before_sockets && inst.gunicorn_version_note().empty()) return;
  if (!options_.control_socket) {
    control.status.set_state("off");
    return;
  }
  auto setting = [&](const char* name) -> const corral::v1::Setting* {
    auto it = inst.config().find(name);
    return it == inst.config().end() || !IsKnown(it->second) ? nullptr : &it->second;
  };
  if (const corral::v1::Setting* disabled = setting("control_socket_disable");
      disabled && disabled->value() == "true") {
    control.status.set_state("disabled");
    return;
  }
  if (master.control_path.empty()) {
    ControlSocketHints hints;
    hints.cwd = inst.master().cwd();
    if (const corral::v1::Setting* s = setting("control_socket")) hints.setting = s->value();
    if (const corral::v1::Setting* bind = setting("bind")) {
      std::vector<std::string> paths;
      for (absl::string_view address : absl::StrSplit(bind->value(), ',', absl::SkipEmpty())) {
        if (absl::ConsumePrefix(&address, "unix:")) {
          absl::ConsumePrefix(&address, "//");
          paths.emplace_back(address);
        }
      }
      hints.bind_paths = std::move(paths);
    }
    std::optional<FoundControlSocket> found = FindControlSocket(reader_, master.pid, hints);
    if (!found) {
      control.status.set_state("not_found");
      return;
    }
    master.control_path = found->path;
    master.control_found_by = found->found_by;
  }
  control.status.set_path(master.control_path);
  control.status.set_found_by(master.control_found_by);
  absl::Time started = absl::Now();
  std::vector<std::string> problems;
  absl::StatusOr<gunicorn::ControlAnswers> answers =
      QueryControlSocket(reader_, master.pid, master.control_path, options_.control_socket_deadline, &problems);
  control.status.set_query_us(absl::ToInt64Microseconds(absl::Now() - started));
  if (!answers.ok()) {
    control.status.set_state("failed");
    control.status.set_error(std::string(answers.status().message()));
    Log()->debug("master {}: control socket {}: {}", master.pid, master.control_path, control.status.error());
    master.control_path.clear();  // look for it again next time
    return;
  }
  control.status.set_state("answered");
  if (!problems.empty()) control.status.set_error(absl::StrJoin(problems, "; "));
  if (answers->workers_target) control.status.set_workers_target(static_cast<int32_t>(*answers->workers_target));
  for (int pid : answers->web_worker_pids) control.status.add_web_worker_pids(pid);
  for (int pid : answers->dirty_worker_pids) control.status.add_dirty_worker_pids(pid);
  control.answers = *std::move(answers);
}

corral::v1::Snapshot Probe::Sample() {
  if (known_.empty() || options_.now() - last_discovery_ >= options_.rediscover_every) return Discover();
  absl::Time started = absl::Now();
  corral::v1::Snapshot snapshot;
  snapshot.set_scan_kind(corral::v1::STEADY_STATE);
  RefreshUptime(snapshot);
  for (KnownMaster& master : known_) {
    absl::StatusOr<std::string> text = reader_.ReadPidFile(master.pid, "stat", 4096);
    absl::StatusOr<ProcStat> stat = text.ok() ? ParseStat(*text, master.pid) : absl::StatusOr<ProcStat>(text.status());
    if (!stat.ok() || stat->start_ticks != master.start_ticks) {
      Log()->debug("master {} is gone; rediscovering", master.pid);
      return Discover();
    }
    master.stat = *stat;
    std::optional<bool> changed = RefreshBrood(master, master.pid, false, master.brood);
    if (!changed) {
      Log()->debug("master {}: children unreadable or a new master among them; rediscovering", master.pid);
      return Discover();
    }
    std::optional<int> dirty_before;
    if (master.dirty) dirty_before = static_cast<int>(master.dirty->workers.children.size());
    RefreshDirtyPool(master, nullptr, nullptr);
    bool dirty_changed = master.dirty ? master.dirty->workers_changed : dirty_before.has_value();
    // The control socket is asked again only when the workers changed.
    if (*changed || dirty_changed) AskControlSocket(master);
    RefreshResourceUsage(reader_, master.pid, master.cgroup, master.base.mutable_resources());
    RefreshHook(master);
  }
  return Finish(std::move(snapshot), started);
}

void Probe::RefreshHook(KnownMaster& master) {
  if (options_.hook_dir.empty()) return;
  std::string path = HookFilePath(options_.hook_dir, master.pid);
  absl::StatusOr<HookFileStamp> stamp = StatHookFile(path);
  if (!stamp.ok()) {
    master.hook_stamp.reset();
    master.hook.reset();
    // No file: this master does not run the hook, or no longer does.
    master.hook_error =
        absl::IsNotFound(stamp.status()) ? "" : ReadErrorText(absl::StrCat("corral hook file ", path), stamp.status());
    return;
  }
  if (master.hook_stamp == *stamp) return;
  master.hook_stamp = *stamp;
  master.hook.reset();
  master.hook_error.clear();
  absl::StatusOr<std::string> content = ReadHookFile(path);
  absl::StatusOr<HookReport> report =
      content.ok() ? ParseHookReport(*content) : absl::StatusOr<HookReport>(content.status());
  if (!report.ok()) {
    master.hook_error = ReadErrorText(absl::StrCat("corral hook file ", path), report.status());
    Log()->debug("master {}: {}", master.pid, master.hook_error);
    return;
  }
  int64_t start_ms = FactsFromStat(master.stat).start_time_unix_ms();
  absl::Time master_start = start_ms > 0 ? absl::FromUnixMillis(start_ms) : absl::InfinitePast();
  absl::Status match = MatchHookReport(*report, master.pid, stamp->mtime, master_start);
  if (absl::IsFailedPrecondition(match)) {
    Log()->debug("master {}: ignoring stale {}: {}", master.pid, path, std::string(match.message()));
    return;
  }
  if (!match.ok()) {
    master.hook_error = absl::StrCat("corral hook file ", path, ": ", match.message());
    Log()->debug("master {}: {}", master.pid, master.hook_error);
    return;
  }
  master.hook = *std::move(report);
}

}  // namespace corral::agent
