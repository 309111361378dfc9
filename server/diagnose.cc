#include "server/diagnose.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"
#include "common/setting_source.h"
#include "common/snapshot_facts.h"
#include "common/units.h"
#include "server/command_compare.h"
#include "server/rule_names.h"
#include "server/rules.h"

namespace corral::server {
namespace {

using corral::v1::Finding;
using corral::v1::GunicornInstance;
using corral::v1::Hypothesis;

constexpr char kConfirmed[] = "confirmed";
constexpr char kRuledOut[] = "ruled_out";
constexpr char kCannotTell[] = "cannot_tell";

// One online instance with a master, as the hypotheses read it.
struct Replica {
  const InstanceView* view;
  const GunicornInstance* observed;    // this report's facts
  const GunicornInstance* configured;  // its configuration (maybe an earlier report's)
  const std::string& name() const { return view->instance(); }
  int live() const { return view->digest->master_digests[static_cast<size_t>(view->digest->primary)].live; }
  const corral::v1::Setting* Setting(const std::string& key) const {
    auto it = configured->config().find(key);
    if (it == configured->config().end() || !IsKnown(it->second)) return nullptr;
    return &it->second;
  }
};

// Builds one service's corral.v1.Diagnosis: each hypothesis with its
// verdict, evidence and fix.
class DiagnosisBuilder {
 public:
  DiagnosisBuilder(const std::string& service, absl::Span<const InstanceView> views, const Expectations& expected,
                   const std::vector<Finding>& findings, absl::Time now)
      : service_(service), views_(views), expected_(expected), findings_(findings), now_(now) {
    for (const InstanceView& v : views_) {
      if (v.state != InstanceState::kOnline || v.digest->primary < 0) continue;
      replicas_.push_back({&v, &v.snapshot().instances(v.digest->primary), &v.report->ConfigOf(v.digest->primary)});
    }
    for (const Finding& f : findings_) by_rule_[f.rule()].push_back(&f);
  }

  corral::v1::Diagnosis Run() {
    corral::v1::Diagnosis out;
    out.set_service(service_);
    out.set_generated_at_unix_ms(absl::ToUnixMillis(now_));
    *out.mutable_expectations() = expected_.proto();
    out.mutable_expectations()->set_service(service_);
    for (const Finding& f : findings_) *out.add_findings() = f;
    *out.add_hypotheses() = ComposeOverride();
    *out.add_hypotheses() = WsgiEntryPoint();
    *out.add_hypotheses() = CrashAtStart();
    *out.add_hypotheses() = ResourceLimits();
    *out.add_hypotheses() = ConflictingSources();
    *out.add_hypotheses() = StaleImage();
    *out.add_hypotheses() = Permissions();
    std::vector<std::string> confirmed;
    for (const Hypothesis& h : out.hypotheses()) {
      if (h.verdict() != kConfirmed) continue;
      confirmed.push_back(
          h.instances().empty() ? h.title() : absl::StrCat(h.title(), " (", absl::StrJoin(h.instances(), ", "), ")"));
    }
    if (replicas_.empty()) {
      out.set_summary(absl::StrCat(service_, ": no online replica with a Gunicorn master; little can be judged"));
    } else if (confirmed.empty()) {
      out.set_summary(absl::StrCat(service_, ": no hypothesis confirmed"));
    } else {
      out.set_summary(absl::StrCat(service_, ": confirmed: ", absl::StrJoin(confirmed, "; ")));
    }
    return out;
  }

 private:
  static Hypothesis Make(const char* id, const char* title) {
    Hypothesis h;
    h.set_id(id);
    h.set_title(title);
    return h;
  }

  bool Has(const char* rule) const { return by_rule_.count(rule) > 0; }
  const std::vector<const Finding*>& Of(const char* rule) const {
    static const std::vector<const Finding*> kNone;
    auto it = by_rule_.find(rule);
    return it == by_rule_.end() ? kNone : it->second;
  }

  bool Imported() const {
    for (const corral::v1::Expectation& e : expected_.proto().expectations()) {
      if (e.declared_by() != "manual") return true;
    }
    return false;
  }

  // Replicas that deviate from the expectations, by name.
  std::set<std::string> Deviating() const {
    std::set<std::string> out;
    for (const char* rule :
         {rule::kWorkersBelowExpected, rule::kWorkersAboveExpected, rule::kConfigDrift, rule::kStaleImage}) {
      for (const Finding* f : Of(rule)) out.insert(f->instance());
    }
    return out;
  }

  std::string DeclaredSummary() const {
    std::vector<std::string> parts;
    for (const corral::v1::Expectation& e : expected_.proto().expectations()) {
      if (e.key() == "command") continue;
      parts.push_back(absl::StrCat(e.key(), "=", e.value()));
    }
    return absl::StrJoin(parts, " ");
  }

  Hypothesis ComposeOverride() {
    Hypothesis h = Make("compose_override", "compose file or override error");
    if (!Imported()) {
      h.set_verdict(kCannotTell);
      h.set_what_would_tell(absl::StrCat("what the compose files declare: corral expect import docker-compose.yml (",
                                         "docker-compose.override.yml next to it is merged as compose does)"));
      return h;
    }
    std::set<std::string> files;
    std::vector<std::string> from_override;
    for (const corral::v1::Expectation& e : expected_.proto().expectations()) {
      if (e.declared_by() == "manual") continue;
      std::string file = e.origin().substr(0, e.origin().rfind(':'));
      files.insert(file);
      if (absl::StrContains(absl::AsciiStrToLower(file), "override")) {
        from_override.push_back(absl::StrCat(e.key(), "=", e.value(), " (", e.origin(), ")"));
      }
    }
    h.add_evidence(absl::StrCat("declared by ", absl::StrJoin(files, ", "), ": ", DeclaredSummary()));
    h.add_evidence(from_override.empty()
                       ? std::string("no Gunicorn setting, command or replica count comes from an override file")
                       : absl::StrCat("from an override file: ", absl::StrJoin(from_override, ", ")));
    std::vector<std::string> dev;
    for (const corral::v1::Expectation& e : expected_.proto().expectations()) {
      bool override_file = absl::StrContains(absl::AsciiStrToLower(e.origin()), "override");
      if (override_file && ((e.key() == "reload" && e.value() == "true") ||
                            (e.key() == "loglevel" && absl::AsciiStrToLower(e.value()) == "debug"))) {
        dev.push_back(absl::StrCat(e.key(), "=", e.value(), " (", e.origin(), ")"));
      }
    }
    if (!dev.empty()) {
      h.set_verdict(kConfirmed);
      h.add_evidence(absl::StrCat("the override file declares development settings: ", absl::StrJoin(dev, ", ")));
      h.set_fix("remove them from the override file, or deploy without it: docker compose -f docker-compose.yml up -d");
      return h;
    }
    std::set<std::string> deviating = Deviating();
    std::vector<std::string> following;
    for (const Replica& r : replicas_) {
      if (!deviating.count(r.name())) following.push_back(r.name());
    }
    if (!following.empty()) {
      h.set_verdict(kRuledOut);
      h.add_evidence(absl::StrCat(absl::StrJoin(following, ", "),
                                  " run what the merged files declare, so the declaration itself is sound"));
      if (!deviating.empty()) {
        h.add_evidence(absl::StrCat(absl::StrJoin(deviating, ", "),
                                    " deviate(s) from the same declaration: the cause is in the container, not in "
                                    "the compose files"));
      }
      return h;
    }
    h.set_verdict(kCannotTell);
    h.set_what_would_tell(
        "a replica that follows the declaration; none does, so compare the declaration with what you intended");
    return h;
  }

  Hypothesis WsgiEntryPoint() {
    Hypothesis h = Make("wsgi_entry_point", "wrong WSGI entry point");
    const corral::v1::Expectation* declared = expected_.Find("app_uri");
    std::vector<std::string> healthy, failing, other;
    for (const Replica& r : replicas_) {
      const corral::v1::Setting* app = r.Setting("app_uri");
      if (app == nullptr) continue;
      bool is_declared = declared == nullptr || app->value() == declared->value();
      bool boots = r.live() > 0 && r.view->digest->worker_restarts_per_minute <= kChurnPerMinute;
      std::string line = absl::StrCat(
          r.name(), " loads ", app->value(), " (", SettingSourceText(*app), ") with ", r.live(), " live worker(s), ",
          absl::StrFormat("%.1f", r.view->digest->worker_restarts_per_minute), " restarts/min");
      if (!is_declared) {
        other.push_back(absl::StrCat(r.name(), " loads ", app->value(), " (", SettingSourceText(*app),
                                     "), not the declared ", declared->value()));
      } else if (boots) {
        healthy.push_back(line);
      } else {
        failing.push_back(line);
        h.add_instances(r.name());
      }
    }
    for (const Finding* f : Of(rule::kNoGunicorn)) {
      failing.push_back(f->message());
      h.add_instances(f->instance());
    }
    if (!failing.empty() && healthy.empty()) {
      h.set_verdict(kConfirmed);
      for (const std::string& line : failing) h.add_evidence(line);
      h.set_fix(absl::StrCat("check that the module imports and names the callable (",
                             declared ? declared->value() : "the app URI",
                             "): python -c 'import MODULE; MODULE.CALLABLE' in the image, and Gunicorn's log "
                             "for 'Worker failed to boot'"));
      return h;
    }
    if (healthy.empty()) {
      h.set_verdict(kCannotTell);
      for (const std::string& line : other) h.add_evidence(line);
      h.set_what_would_tell(
          "the application each master loads: it is unknown when setproctitle erased argv; set SPT_NOENV=1 or "
          "wsgi_app in a config file");
      return h;
    }
    h.set_verdict(kRuledOut);
    for (const std::string& line : healthy) h.add_evidence(line);
    for (const std::string& line : failing) h.add_evidence(line);
    for (const std::string& line : other) h.add_evidence(absl::StrCat(line, ": it does not run the declared command"));
    return h;
  }

  Hypothesis CrashAtStart() {
    Hypothesis h = Make("crash_at_start", "Gunicorn crashing at start");
    std::vector<std::string> evidence;
    bool confirmed = false, unsettled = false;
    for (const Replica& r : replicas_) {
      const InstanceDigest& d = *r.view->digest;
      std::string line =
          absl::StrFormat("%s: master up %s, %d worker restart(s) in %s watched (%.1f/min)", r.name(),
                          FormatDurationShort(absl::Seconds(d.master_age_seconds)), d.worker_restarts,
                          FormatDurationShort(absl::Seconds(d.observed_seconds)), d.worker_restarts_per_minute);
      if (d.worker_restarts_per_minute > kChurnPerMinute || (r.live() == 0 && d.worker_restarts > 0)) {
        confirmed = true;
        h.add_instances(r.name());
      } else if (d.observed_seconds < 2 * absl::ToDoubleSeconds(r.view->interval)) {
        unsettled = true;
      }
      evidence.push_back(std::move(line));
    }
    for (const Finding* f : Of(rule::kNoGunicorn)) {
      confirmed = true;
      h.add_instances(f->instance());
      evidence.push_back(f->message());
    }
    for (std::string& line : evidence) h.add_evidence(std::move(line));
    if (confirmed) {
      h.set_verdict(kConfirmed);
      h.set_fix(
          "read the container's log for the exception at boot (docker compose logs SERVICE); a worker killed "
          "by the kernel shows as an OOM kill under resource limits");
    } else if (replicas_.empty() || unsettled) {
      h.set_verdict(kCannotTell);
      h.set_what_would_tell("two of the agent's intervals of watching: restarts show as worker pids changing");
    } else {
      h.set_verdict(kRuledOut);
    }
    return h;
  }

  Hypothesis ResourceLimits() {
    Hypothesis h = Make("resource_limits", "resource limits");
    bool confirmed = false, any_read = false;
    for (const Replica& r : replicas_) {
      const corral::v1::ContainerResources& res = r.observed->resources();
      if (res.cgroup_version().empty()) {
        h.add_evidence(absl::StrCat(r.name(), ": cgroup unreadable",
                                    res.read_errors().empty() ? "" : absl::StrCat(" (", res.read_errors(0), ")")));
        continue;
      }
      any_read = true;
      std::vector<std::string> parts;
      parts.push_back(absl::StrCat(
          "memory ", FormatBytes(res.memory_usage_bytes()),
          res.has_memory_limit_bytes() ? absl::StrCat(" of ", FormatBytes(res.memory_limit_bytes())) : " (no limit)"));
      parts.push_back(absl::StrCat(res.oom_kills(), " OOM kill(s)"));
      parts.push_back(absl::StrCat("pids ", res.pids_current(),
                                   res.has_pids_limit() ? absl::StrCat(" of ", res.pids_limit()) : " (no limit)"));
      parts.push_back(res.has_cpu_quota_cores() ? absl::StrFormat("CPU quota %.4g", res.cpu_quota_cores())
                                                : absl::StrCat("no CPU quota (", res.effective_cpus(), " CPUs)"));
      bool near_memory = res.has_memory_limit_bytes() && res.memory_limit_bytes() > 0 &&
                         res.memory_usage_bytes() >= kMemoryPressureRatio * res.memory_limit_bytes();
      bool recent_oom = now_ - r.view->last_oom_increase < kOomWindow;
      bool pids_full = res.has_pids_limit() && res.pids_limit() > 0 && res.pids_current() >= res.pids_limit();
      if (near_memory || recent_oom || pids_full) {
        confirmed = true;
        h.add_instances(r.name());
      }
      h.add_evidence(absl::StrCat(r.name(), ": ", absl::StrJoin(parts, ", ")));
    }
    if (confirmed) {
      h.set_verdict(kConfirmed);
      h.set_fix(
          "raise the limit in deploy.resources.limits (memory, pids) or lower workers/threads; each sync worker is "
          "one process with the application's full memory");
    } else if (!any_read) {
      h.set_verdict(kCannotTell);
      h.set_what_would_tell(
          "the container's cgroup, which the agent reads through /proc/PID/cgroup and /sys/fs/cgroup");
    } else {
      h.set_verdict(kRuledOut);
    }
    return h;
  }

  Hypothesis ConflictingSources() {
    Hypothesis h = Make("conflicting_sources", "conflicting configuration sources");
    if (expected_.empty()) {
      h.set_verdict(kCannotTell);
      h.set_what_would_tell("what the service should run: corral expect import or corral expect set");
      return h;
    }
    bool confirmed = false, unknown = false;
    for (const Replica& r : replicas_) {
      std::vector<std::string> deviations;
      std::vector<std::string> conflicts;
      std::vector<const corral::v1::Expectation*> keys = expected_.Settings();
      if (const corral::v1::Expectation* w = expected_.Find("workers")) keys.push_back(w);
      for (const corral::v1::Expectation* e : keys) {
        auto it = r.configured->config().find(e->key());
        if (it == r.configured->config().end()) continue;
        if (!IsKnown(it->second)) {
          unknown = true;
          continue;
        }
        if (it->second.value() == e->value()) continue;
        std::string line = absl::StrCat(e->key(), " ", SettingValueText(it->second.value()), " (",
                                        SettingSourceText(it->second), ", expected ", e->value(), ")");
        const std::string& source = it->second.source();
        if (source == kSourceConfigFile || source == kSourceCmdArgs || source == kSourceEnv) {
          conflicts.push_back(line);
        } else {
          deviations.push_back(line);
        }
      }
      const corral::v1::ConfigInputs& in = r.configured->inputs();
      std::string inputs = absl::StrCat(
          "config file ", in.config_file().empty() ? "none" : in.config_file(), ", GUNICORN_CMD_ARGS ",
          in.loader_environment().count("GUNICORN_CMD_ARGS") ? "set" : (in.environ_erased() ? "unknown" : "unset"));
      if (!conflicts.empty()) {
        confirmed = true;
        h.add_instances(r.name());
        h.add_evidence(absl::StrCat(
            r.name(), ": won by another source than the command: ", absl::StrJoin(conflicts, ", "), " [", inputs, "]"));
      }
      if (!deviations.empty()) {
        h.add_evidence(absl::StrCat(r.name(), ": ", absl::StrJoin(deviations, ", "),
                                    ": from its own command line or Gunicorn's defaults, no competing source [", inputs,
                                    "]"));
      } else if (conflicts.empty()) {
        h.add_evidence(absl::StrCat(r.name(), ": every known setting as expected [", inputs, "]"));
      }
    }
    if (confirmed) {
      h.set_verdict(kConfirmed);
      h.set_fix(
          "set each setting in one place: Gunicorn applies defaults < WEB_CONCURRENCY/PORT < the config file < "
          "GUNICORN_CMD_ARGS < the command line");
    } else if (replicas_.empty() || unknown) {
      h.set_verdict(kCannotTell);
      h.set_what_would_tell(
          "settings setproctitle erased: set SPT_NOENV=1 and pass flags through GUNICORN_CMD_ARGS or a config file");
    } else {
      h.set_verdict(kRuledOut);
    }
    return h;
  }

  Hypothesis StaleImage() {
    Hypothesis h = Make("stale_image", "stale Docker image");
    for (const Finding* f : Of(rule::kStaleImage)) {
      h.add_instances(f->instance());
      h.add_evidence(f->message());
    }
    const corral::v1::Expectation* command = expected_.Find("command");
    const corral::v1::Expectation* revision = expected_.Find("build_revision");
    if (h.instances_size() > 0) {
      h.set_verdict(kConfirmed);
      h.set_fix(absl::StrCat("docker compose build --no-cache ", service_, " && docker compose up -d ", service_));
      return h;
    }
    bool compared = false, unknown = false;
    for (const Replica& r : replicas_) {
      const std::string& running_revision = r.configured->inputs().build_revision();
      if (revision != nullptr && !running_revision.empty()) {
        compared = true;
        h.add_evidence(absl::StrCat(r.name(), ": built from ", running_revision, " as expected"));
        continue;
      }
      if (command == nullptr || command->declared_by() != "dockerfile") continue;
      std::vector<std::string> argv(r.configured->master().argv().begin(), r.configured->master().argv().end());
      CommandComparison c = CompareGunicornCommands(argv, r.configured->gunicorn_version(), command->value());
      if (!c.comparable) {
        unknown = true;
        h.add_evidence(absl::StrCat(r.name(), ": ", c.why_not));
        continue;
      }
      compared = true;
      h.add_evidence(absl::StrCat(r.name(), ": runs `", c.running_text, "`, as the Dockerfile declares (",
                                  command->origin(), ")"));
    }
    if (command != nullptr && command->declared_by() == "compose" && revision == nullptr) {
      h.set_verdict(kRuledOut);
      h.add_evidence(absl::StrCat("compose sets the command (", command->origin(),
                                  "), so the image's CMD does not decide what runs"));
      return h;
    }
    if (compared && !unknown) {
      h.set_verdict(kRuledOut);
      return h;
    }
    h.set_verdict(kCannotTell);
    h.set_what_would_tell(
        command == nullptr && revision == nullptr
            ? "the declared image command: corral expect import docker-compose.yml (reads the Dockerfile compose "
              "builds), or a build revision: bake ENV CORRAL_BUILD_REVISION into the image and corral expect set "
              "SERVICE build_revision=REV"
            : "the master's command line, erased by setproctitle: set SPT_NOENV=1 and pass flags through "
              "GUNICORN_CMD_ARGS, or bake ENV CORRAL_BUILD_REVISION into the image and expect build_revision");
    return h;
  }

  Hypothesis Permissions() {
    Hypothesis h = Make("permissions", "user permissions");
    bool confirmed = false;
    for (const Replica& r : replicas_) {
      std::vector<std::string> errors;
      auto collect = [&](const corral::v1::ProcessFacts& p, const char* role) {
        for (const std::string& e : p.read_errors()) errors.push_back(absl::StrCat(role, " ", p.pid(), " ", e));
      };
      collect(r.observed->master(), "master");
      for (const corral::v1::ProcessFacts& w : r.observed->workers()) collect(w, "worker");
      const corral::v1::ConfigInputs& in = r.configured->inputs();
      if (!in.argv_error().empty()) errors.push_back(absl::StrCat("argv: ", in.argv_error()));
      if (!in.environ_error().empty()) errors.push_back(absl::StrCat("environ: ", in.environ_error()));
      if (!in.config_file_error().empty()) errors.push_back(absl::StrCat("config file: ", in.config_file_error()));
      std::set<std::string> worker_uids;
      for (const corral::v1::ProcessFacts& w : r.observed->workers()) {
        worker_uids.insert(w.has_uid() ? absl::StrCat(w.uid()) : "unknown");
      }
      std::string uids = absl::StrCat(
          "master uid ", r.observed->master().has_uid() ? absl::StrCat(r.observed->master().uid()) : "unknown",
          ", workers uid ", worker_uids.empty() ? "-" : absl::StrJoin(worker_uids, ","));
      if (errors.empty()) {
        h.add_evidence(absl::StrCat(r.name(), ": ", uids, "; every /proc entry the agent needs is readable"));
        continue;
      }
      bool denied = false;
      for (const std::string& e : errors) denied |= absl::StrContains(absl::AsciiStrToLower(e), "permission");
      if (denied) {
        confirmed = true;
        h.add_instances(r.name());
      }
      h.add_evidence(absl::StrCat(r.name(), ": ", uids, "; unreadable: ", absl::StrJoin(errors, "; ")));
    }
    if (confirmed) {
      h.set_verdict(kConfirmed);
      h.set_fix(
          "let the agent read the Gunicorn processes: run it as the same user, or add cap_add: [SYS_PTRACE] to "
          "its container (with pid: \"service:APP\"); until then the other verdicts rest on partial evidence");
    } else if (replicas_.empty()) {
      h.set_verdict(kCannotTell);
      h.set_what_would_tell("an online replica with a Gunicorn master");
    } else {
      h.set_verdict(kRuledOut);
    }
    return h;
  }

  const std::string& service_;
  absl::Span<const InstanceView> views_;
  const Expectations& expected_;
  const std::vector<Finding>& findings_;
  absl::Time now_;
  std::vector<Replica> replicas_;
  std::map<std::string, std::vector<const Finding*>> by_rule_;
};

}  // namespace

corral::v1::Diagnosis Diagnose(const std::string& service, absl::Span<const InstanceView> views,
                               const Expectations& expected, const std::vector<corral::v1::Finding>& findings,
                               absl::Time now) {
  return DiagnosisBuilder(service, views, expected, findings, now).Run();
}

}  // namespace corral::server
