// From what the probe knows about a master to the snapshot's
// GunicornInstance: process facts, exact settings from the hook and the
// control socket laid over the reconstruction, and the warnings that
// compare live workers with the configured count.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/exact_settings.h"
#include "agent/probe.h"
#include "common/setting_source.h"
#include "common/snapshot_facts.h"
#include "gunicorn/settings.h"

namespace corral::agent {

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
    AdoptExactSetting(instance, name, value, kSourceControlSocket, "CONTROL_SOCKET_DISAGREES", "on its control socket");
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
  std::string where = SettingSourceText(workers);
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
