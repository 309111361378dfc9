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
#include "common/snapshot_facts.h"
#include "gunicorn/config_loader.h"
#include "gunicorn/settings.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto existing = spdlog::get("probe");
    return existing ? existing : spdlog::default_logger()->clone("probe");
  }();
  return logger;
}

std::string ErrorText(absl::string_view what, const absl::Status& status) {
  std::string kind = absl::IsPermissionDenied(status) ? "permission denied"
                     : absl::IsNotFound(status)       ? "vanished"
                                                      : std::string(status.message());
  return absl::StrCat(what, ": ", kind);
}

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
    facts.add_read_errors(ErrorText("environ", environ.status()));
    loader.environ_error = ErrorText("environ", environ.status());
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
      facts.add_read_errors(ErrorText("status", status.status()));
    }
  } else {
    facts.add_read_errors(ErrorText("status", status_text.status()));
  }

  absl::StatusOr<std::string> cwd = reader_.ReadPidLink(pid, "cwd");
  if (cwd.ok()) {
    facts.set_cwd(*cwd);
    loader.cwd = *cwd;
  } else {
    facts.add_read_errors(ErrorText("cwd", cwd.status()));
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

Probe::KnownChild Probe::ExamineChild(const KnownMaster& master, const Brood& parent, bool dirty_parent, int child_pid,
                                      const ProcStat& stat, std::vector<std::string>* argv_out) {
  KnownChild known;
  known.start_ticks = stat.start_ticks;
  ChildEvidence evidence;
  evidence.parent_heartbeat_files = parent.parent_heartbeat_files;
  absl::StatusOr<std::string> cmdline = reader_.ReadPidFile(child_pid, "cmdline", 256 * 1024);
  std::vector<std::string>& argv = *argv_out;
  if (cmdline.ok()) {
    argv = ParseCmdline(*cmdline);
    evidence.gunicorn = gunicorn::RecognizeGunicorn(argv);
    evidence.same_argv_as_master = !argv.empty() && argv == master.argv;
  } else {
    known.read_errors.push_back(ErrorText("cmdline", cmdline.status()));
  }
  bool gunicorn_like = evidence.gunicorn.has_value() || evidence.same_argv_as_master;
  if (gunicorn_like) {
    absl::StatusOr<std::vector<WorkerTmpFile>> tmp = reader_.FindWorkerTmpFiles(child_pid);
    if (tmp.ok()) {
      evidence.has_worker_tmp = !tmp->empty();
      // Until AssignHeartbeats() knows better, the file touched last is
      // taken for the child's own.
      double newest = -1;
      for (const WorkerTmpFile& file : *tmp) {
        evidence.heartbeat_files.push_back(file.target);
        absl::StatusOr<double> ctime = reader_.CtimeSeconds(file.fd_path);
        double t = ctime.ok() ? *ctime : 0;
        if (t > newest) {
          newest = t;
          known.tmp_fd_path = file.fd_path;
        }
      }
      known.heartbeat_files = evidence.heartbeat_files;
    } else {
      known.read_errors.push_back(ErrorText("fd", tmp.status()));
    }
    bool titled = evidence.gunicorn && evidence.gunicorn->is_title();
    if (!titled && evidence.same_argv_as_master && !dirty_parent) {
      absl::StatusOr<std::string> environ = reader_.ReadPidFile(child_pid, "environ", 1 << 20);
      if (environ.ok()) {
        std::optional<std::string> gunicorn_pid = gunicorn::LookupEnv(ParseEnviron(*environ), "GUNICORN_PID");
        int value = 0;
        if (gunicorn_pid && absl::SimpleAtoi(*gunicorn_pid, &value)) evidence.gunicorn_pid_env = value;
      } else {
        known.read_errors.push_back(ErrorText("environ", environ.status()));
      }
    }
  }
  std::string why;
  known.kind = dirty_parent ? ClassifyDirtyChild(evidence) : ClassifyChild(master.pid, evidence, &why);
  if (!dirty_parent && ClassificationIsTentative(evidence, known.kind)) {
    evidence.listens_on_dirty_arbiter_socket = ListensOnDirtyArbiterSocket(child_pid);
    known.kind = ClassifyChild(master.pid, evidence, &why);
    known.tentative = ClassificationIsTentative(evidence, known.kind);
  }
  if (!why.empty()) known.read_errors.push_back(why);
  absl::StatusOr<std::string> status_text = reader_.ReadPidFile(child_pid, "status", 16 * 1024);
  if (status_text.ok()) {
    absl::StatusOr<ProcStatus> status = ParseStatus(*status_text);
    if (status.ok()) {
      known.uid = status->real_uid;
      known.ns_pid = status->ns_pids.empty() ? child_pid : status->ns_pids.back();
    }
  }
  return known;
}

bool Probe::ListensOnDirtyArbiterSocket(int pid) const {
  absl::StatusOr<std::vector<OpenFile>> open = reader_.ListOpenFiles(pid);
  if (!open.ok()) return false;
  absl::flat_hash_set<uint64_t> inodes;
  for (const OpenFile& f : *open) {
    if (std::optional<uint64_t> inode = SocketInode(f.target)) inodes.insert(*inode);
  }
  if (inodes.empty()) return false;
  absl::StatusOr<std::string> net_unix = reader_.ReadPidFile(pid, "net/unix", 8 << 20);
  if (!net_unix.ok()) return false;
  for (const UnixSocketEntry& s : ParseUnixSockets(*net_unix)) {
    if (s.listening && inodes.contains(s.inode) && IsDirtyArbiterSocketPath(s.path)) return true;
  }
  return false;
}

std::optional<std::vector<std::string>> Probe::HeartbeatFiles(int pid) const {
  absl::StatusOr<std::vector<WorkerTmpFile>> files = reader_.FindWorkerTmpFiles(pid);
  if (!files.ok()) return std::nullopt;
  std::vector<std::string> targets;
  for (const WorkerTmpFile& f : *files) targets.push_back(f.target);
  return targets;
}

void Probe::AssignHeartbeats(Brood& brood) const {
  std::vector<HeldHeartbeats> held;
  for (const auto& [pid, child] : brood.children) {
    if (child.kind != ChildKind::kWorker && child.kind != ChildKind::kDirtyWorker) continue;
    held.push_back({pid, child.start_ticks, child.heartbeat_files});
  }
  for (const auto& [pid, target] : OwnHeartbeats(std::move(held), brood.parent_heartbeat_files)) {
    absl::StatusOr<std::vector<WorkerTmpFile>> files = reader_.FindWorkerTmpFiles(pid);
    if (!files.ok()) continue;
    for (const WorkerTmpFile& f : *files) {
      if (f.target == target) brood.children[pid].tmp_fd_path = f.fd_path;
    }
  }
}

std::optional<bool> Probe::RefreshBrood(KnownMaster& master, int parent_pid, bool dirty_parent, Brood& brood) {
  absl::StatusOr<std::string> children_text =
      reader_.ReadPidFile(parent_pid, absl::StrCat("task/", parent_pid, "/children"), 64 * 1024);
  absl::StatusOr<std::vector<int>> children =
      children_text.ok() ? ParseChildren(*children_text) : absl::StatusOr<std::vector<int>>(children_text.status());
  if (!children.ok()) return std::nullopt;
  Brood next;
  bool changed = false;
  bool parent_files_read = false;
  for (int child : *children) {
    absl::StatusOr<std::string> child_text = reader_.ReadPidFile(child, "stat", 4096);
    if (!child_text.ok()) continue;  // exited since the children list was read
    absl::StatusOr<ProcStat> child_stat = ParseStat(*child_text, child);
    if (!child_stat.ok()) continue;
    // Not a child (any more): the pid was reused, or the list lies.
    if (child_stat->ppid != parent_pid) continue;
    auto known = brood.children.find(child);
    // A child whose kind was not settled yet is looked at again.
    if (known != brood.children.end() && known->second.start_ticks == child_stat->start_ticks &&
        !known->second.tentative) {
      next.children[child] = std::move(known->second);
    } else {
      if (!parent_files_read) {
        // A new child's heartbeat is one the parent holds from now on.
        brood.parent_heartbeat_files = HeartbeatFiles(parent_pid);
        parent_files_read = true;
      }
      std::vector<std::string> argv;
      KnownChild fresh = ExamineChild(master, brood, dirty_parent, child, *child_stat, &argv);
      if (fresh.kind == ChildKind::kUpgradeMaster) return std::nullopt;
      bool same = known != brood.children.end() && known->second.start_ticks == fresh.start_ticks &&
                  known->second.kind == fresh.kind;
      if (same) fresh.tmp_fd_path = known->second.tmp_fd_path;
      next.children[child] = std::move(fresh);
      changed = changed || !same;
    }
    next.stats[child] = *child_stat;
  }
  changed = changed || next.children.size() != brood.children.size();
  // A child that went away took its heartbeat from the parent's set.
  next.parent_heartbeat_files =
      changed && !parent_files_read ? HeartbeatFiles(parent_pid) : brood.parent_heartbeat_files;
  brood = std::move(next);
  if (changed) AssignHeartbeats(brood);
  return changed;
}

void Probe::RefreshDirtyPool(KnownMaster& master, const std::map<int, std::vector<int>>* children_of,
                             const std::map<int, ProcStat>* stats) {
  int arbiter = 0;
  for (const auto& [pid, child] : master.brood.children) {
    if (child.kind == ChildKind::kDirtyArbiter) arbiter = pid;
  }
  if (arbiter == 0) {
    master.dirty.reset();
    return;
  }
  if (master.dirty && master.dirty->pid == arbiter &&
      master.dirty->arbiter.start_ticks == master.brood.children[arbiter].start_ticks) {
    master.dirty->stat = master.brood.stats[arbiter];
    master.dirty->workers_changed = RefreshBrood(master, arbiter, true, master.dirty->workers).value_or(true);
    return;
  }
  DirtyPool pool;
  pool.pid = arbiter;
  pool.arbiter = master.brood.children[arbiter];
  pool.stat = master.brood.stats[arbiter];
  if (children_of != nullptr && stats != nullptr) {
    pool.workers.parent_heartbeat_files = HeartbeatFiles(arbiter);
    auto kids = children_of->find(arbiter);
    if (kids != children_of->end()) {
      for (int child : kids->second) {
        auto child_stat = stats->find(child);
        if (child_stat == stats->end()) continue;
        std::vector<std::string> argv;
        pool.workers.children[child] = ExamineChild(master, pool.workers, true, child, child_stat->second, &argv);
        pool.workers.stats[child] = child_stat->second;
      }
    }
    AssignHeartbeats(pool.workers);
  } else {
    RefreshBrood(master, arbiter, true, pool.workers);
  }
  pool.workers_changed = true;
  master.dirty = std::move(pool);
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
    return it == inst.config().end() || it->second.source() == gunicorn::kSourceUnknown ? nullptr : &it->second;
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
        absl::IsNotFound(stamp.status()) ? "" : ErrorText(absl::StrCat("corral hook file ", path), stamp.status());
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
    master.hook_error = ErrorText(absl::StrCat("corral hook file ", path), report.status());
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

corral::v1::GunicornInstance Probe::Render(const KnownMaster& master) const {
  corral::v1::GunicornInstance instance = master.base;
  corral::v1::ProcessFacts* facts = instance.mutable_master();
  corral::v1::ProcessFacts fresh = FactsFromStat(master.stat);
  facts->set_pid(fresh.pid());
  facts->set_ppid(fresh.ppid());
  facts->set_comm(fresh.comm());
  facts->set_state(fresh.state());
  facts->set_threads(fresh.threads());
  facts->set_rss_bytes(fresh.rss_bytes());
  facts->set_cpu_seconds(fresh.cpu_seconds());
  facts->set_age_seconds(fresh.age_seconds());
  facts->set_start_time_unix_ms(fresh.start_time_unix_ms());
  double now_seconds = absl::ToDoubleSeconds(now_ - absl::UnixEpoch());
  for (const auto& [pid, child] : master.brood.children) {
    if (child.kind == ChildKind::kUpgradeMaster) continue;  // reported as its own instance
    corral::v1::ProcessFacts child_facts = ChildFacts(child, master.brood.stats.at(pid), now_seconds);
    switch (child.kind) {
      case ChildKind::kWorker:
        *instance.add_workers() = std::move(child_facts);
        break;
      case ChildKind::kDirtyArbiter:
        if (master.dirty && master.dirty->pid == pid) {
          *instance.mutable_dirty_arbiter() = std::move(child_facts);
          break;
        }
        [[fallthrough]];
      default:
        *instance.add_other_children() = std::move(child_facts);
    }
  }
  if (master.dirty) {
    for (const auto& [pid, child] : master.dirty->workers.children) {
      corral::v1::ProcessFacts child_facts = ChildFacts(child, master.dirty->workers.stats.at(pid), now_seconds);
      // The dirty arbiter's other children are the application's.
      *(child.kind == ChildKind::kDirtyWorker ? instance.add_dirty_workers() : instance.add_other_children()) =
          std::move(child_facts);
    }
  }
  if (master.control.status.state() != "") *instance.mutable_control_socket() = master.control.status;
  if (master.hook) ApplyHookReport(*master.hook, instance);
  if (!master.hook_error.empty()) facts->add_read_errors(master.hook_error);
  ApplyControlAnswers(master, instance);
  AddDynamicWarnings(master, instance);
  return instance;
}

corral::v1::ProcessFacts Probe::ChildFacts(const KnownChild& child, const ProcStat& stat, double now_seconds) const {
  corral::v1::ProcessFacts facts = FactsFromStat(stat);
  if (child.uid) facts.set_uid(*child.uid);
  for (const std::string& e : child.read_errors) facts.add_read_errors(e);
  bool has_heartbeat = child.kind == ChildKind::kWorker || child.kind == ChildKind::kDirtyWorker;
  if (has_heartbeat && !child.tmp_fd_path.empty()) {
    absl::StatusOr<double> ctime = reader_.CtimeSeconds(child.tmp_fd_path);
    if (ctime.ok()) facts.set_heartbeat_age_seconds(std::max(0.0, now_seconds - *ctime));
  }
  return facts;
}

void Probe::ApplyControlAnswers(const KnownMaster& master, corral::v1::GunicornInstance& instance) const {
  if (!master.control.answers) return;
  const gunicorn::ControlAnswers& answers = *master.control.answers;
  for (const auto& [name, value] : answers.settings) {
    // Only settings snapshots carry; the socket also reports a few others.
    const gunicorn::GunicornSetting* known = gunicorn::NewestTable().Find(name);
    if (known == nullptr || !known->reported()) continue;
    AdoptExactSetting(instance, name, value, gunicorn::kSourceControlSocket, "CONTROL_SOCKET_DISAGREES",
                      "on its control socket");
  }
  DropSettingsUnknowableIfAllKnown(instance);
  // The workers the master lists, against the ones /proc shows (both in the
  // master's PID namespace).
  auto compare = [&](const std::vector<int>& listed, const Brood* brood, ChildKind kind, const char* what) {
    std::vector<int> seen;
    if (brood != nullptr) {
      for (const auto& [pid, child] : brood->children) {
        if (child.kind == kind && child.ns_pid > 0) seen.push_back(child.ns_pid);
      }
    }
    std::vector<int> sorted = listed;
    std::sort(sorted.begin(), sorted.end());
    std::sort(seen.begin(), seen.end());
    if (sorted == seen) return;
    corral::v1::Warning* w = instance.add_warnings();
    w->set_code("CONTROL_SOCKET_WORKERS_DIFFER");
    w->set_message(absl::StrCat(
        "the master lists ", what, " [", absl::StrJoin(sorted, ", "), "] on its control socket; /proc shows [",
        absl::StrJoin(seen, ", "),
        "] (pids in the master's namespace; a worker that was just spawned or reaped shows on one side only)"));
  };
  compare(answers.web_worker_pids, &master.brood, ChildKind::kWorker, "web workers");
  if (answers.dirty_arbiter_pid || master.dirty) {
    compare(answers.dirty_worker_pids, master.dirty ? &master.dirty->workers : nullptr, ChildKind::kDirtyWorker,
            "dirty workers");
  }
}

void Probe::AddDynamicWarnings(const KnownMaster& master, corral::v1::GunicornInstance& instance) const {
  auto warn = [&](const char* code, std::string message) {
    corral::v1::Warning* w = instance.add_warnings();
    w->set_code(code);
    w->set_message(std::move(message));
  };
  int live = LiveWorkers(instance);
  std::optional<int64_t> configured = ConfiguredWorkers(instance);
  const corral::v1::Setting& workers = instance.config().at("workers");
  std::string where = workers.source() == "config_file"
                          ? absl::StrCat("config_file ", workers.file(), ":", workers.line())
                          : workers.source();
  if (configured && live < *configured) {
    warn("FEWER_WORKERS_THAN_CONFIGURED",
         absl::StrCat(live, " worker(s) running, ", *configured, " configured (", where,
                      "); workers are crashing or failing to boot, or were scaled down with TTOU"));
  } else if (configured && live > *configured) {
    warn("MORE_WORKERS_THAN_CONFIGURED",
         absl::StrCat(live, " worker(s) running, ", *configured, " configured (", where,
                      "); scaled up at runtime with TTIN, or old workers are still shutting down"));
  }
  std::optional<int64_t> dirty_configured = ConfiguredDirtyWorkers(instance);
  int dirty_live = LiveDirtyWorkers(instance);
  if (dirty_configured && dirty_live < *dirty_configured) {
    warn("FEWER_DIRTY_WORKERS_THAN_CONFIGURED",
         absl::StrCat(dirty_live, " dirty worker(s) running, ", *dirty_configured,
                      " configured (dirty_workers with dirty_apps); dirty workers are failing to boot or were scaled "
                      "down, unless an app class limits its workers with a `workers` attribute"));
  }
  if (instance.control_socket().has_workers_target() && configured &&
      instance.control_socket().workers_target() != *configured) {
    AppendSettingNote((*instance.mutable_config())["workers"],
                      absl::StrCat("the master's target is now ", instance.control_socket().workers_target(),
                                   " (changed at run time with TTIN/TTOU or the control socket)"));
  }
  if (BoolSetting(instance, "reload").value_or(false)) {
    const corral::v1::Setting& reload = instance.config().at("reload");
    warn("RELOAD_ENABLED", absl::StrCat("reload is on (", reload.source(),
                                        "): a development setting; workers restart whenever code changes"));
  }
  const corral::v1::ContainerResources& res = instance.resources();
  int cpu_count = instance.inputs().python_cpu_count();
  if (master.used_cpu_count && res.has_cpu_quota_cores() && cpu_count > res.cpu_quota_cores() + 0.5) {
    warn("CPU_COUNT_EXCEEDS_QUOTA",
         absl::StrCat("the config file sizes itself with cpu_count(), which returns ", cpu_count,
                      " (the machine's online CPUs), but the container's CPU quota is ",
                      absl::StrFormat("%.2g", res.cpu_quota_cores()), " cores"));
  }
}

}  // namespace corral::agent
