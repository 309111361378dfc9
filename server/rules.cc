#include "server/rules.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/duration.h"
#include "common/setting_source.h"
#include "common/snapshot_facts.h"
#include "common/units.h"
#include "server/command_compare.h"
#include "server/rule_names.h"

namespace corral::server {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

std::optional<Severity> ParseSeverity(const std::string& name) {
  if (name == "info") return Severity::kInfo;
  if (name == "warning") return Severity::kWarning;
  if (name == "critical") return Severity::kCritical;
  return std::nullopt;
}

namespace {

// One run of every rule over one service's instances: collects the findings
// and the settings that differ between replicas.
class ServiceRuleRun {
 public:
  ServiceRuleRun(const std::string& service, absl::Span<const InstanceView> instances, absl::Time now,
                 const Expectations& expected)
      : service_(service), instances_(instances), now_(now), expected_(expected) {}

  ServiceEvaluation Run() {
    for (const InstanceView& view : instances_) {
      if (view.state == InstanceState::kOffline) {
        Offline(view);
        continue;
      }
      if (view.state != InstanceState::kOnline) continue;
      if (view.digest->masters == 0) {
        Add(rule::kNoGunicorn, Severity::kCritical, view.instance(),
            absl::StrCat(
                Name(view), ": the agent reports no Gunicorn master (",
                view.snapshot().scan_errors().empty() ? "none running in its view" : view.snapshot().scan_errors(0),
                ")"));
        continue;
      }
      for (const MasterDigest& master : view.digest->master_digests) WorkerCount(view, master);
      DirtyWorkers(view);
      const corral::v1::GunicornInstance& observed = view.snapshot().instances(view.digest->primary);
      const corral::v1::GunicornInstance& configured = view.report->ConfigOf(view.digest->primary);
      ExpectedWorkers(view);
      ConfigDrift(view, configured);
      ExpectedRelease(view, configured);
      StaleImage(view, configured);
      Churn(view, configured);
      Stuck(view, observed, configured);
      Memory(view, observed);
      WorkersVsCpus(view, observed);
      RequestHealth(view);
      const ConfigDigest& config = *view.digest->config;
      if (!config.dev_settings.empty()) {
        Add(rule::kDevSetting, Severity::kWarning, view.instance(),
            absl::StrCat(Name(view), ": development settings in use: ", absl::StrJoin(config.dev_settings, ", ")));
      }
      if (config.settings_unknowable) {
        Add(rule::kSettingsUnknowable, Severity::kInfo, view.instance(),
            absl::StrCat(Name(view), ": setproctitle erased the master's ", config.erased,
                         "; settings from there are unknown (set SPT_NOENV=1 and pass flags through "
                         "GUNICORN_CMD_ARGS or a config file)"));
      }
    }
    ReplicasDisagree();
    ExpectedReplicas();
    // Most severe first, in the order found within a severity.
    std::vector<size_t> order(out_.findings.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranks_[a] > ranks_[b]; });
    std::vector<corral::v1::Finding> sorted;
    sorted.reserve(order.size());
    for (size_t i : order) sorted.push_back(std::move(out_.findings[i]));
    out_.findings = std::move(sorted);
    int worst = ranks_.empty() ? 0 : *std::max_element(ranks_.begin(), ranks_.end());
    out_.status = worst >= static_cast<int>(Severity::kCritical)  ? "critical"
                  : worst >= static_cast<int>(Severity::kWarning) ? "degraded"
                                                                  : "ok";
    return std::move(out_);
  }

 private:
  std::string Name(const InstanceView& v) const { return absl::StrCat(service_, "/", v.instance()); }

  corral::v1::Finding& Add(const char* rule, Severity severity, const std::string& instance, std::string message) {
    ranks_.push_back(static_cast<int>(severity));
    corral::v1::Finding& f = out_.findings.emplace_back();
    f.set_rule(rule);
    f.set_severity(SeverityName(severity));
    f.set_service(service_);
    f.set_instance(instance);
    f.set_message(std::move(message));
    return f;
  }

  void Offline(const InstanceView& view) {
    Add(rule::kAgentOffline, Severity::kCritical, view.instance(),
        absl::StrCat(Name(view), ": no report for ", FormatDurationShort(now_ - view.last_report), " (its interval is ",
                     FormatDurationShort(view.interval), ")"));
  }

  void WorkerCount(const InstanceView& view, const MasterDigest& master) {
    if (!master.configured || master.live == *master.configured) return;
    int live = master.live;
    int64_t configured = *master.configured;
    std::string where = absl::StrCat("master ", master.pid, " runs ", live, " worker(s), its workers setting is ",
                                     configured, " (", master.workers_source, ")");
    bool churning = master.restarts_per_minute > 0;
    bool settled = master.observed_seconds >= 2 * absl::ToDoubleSeconds(view.interval);
    if (live < configured && (churning || !settled)) {
      std::string why = churning ? absl::StrFormat("workers are restarting (%.1f/min)", master.restarts_per_minute)
                                 : std::string("just seen; no restart history yet");
      Add(rule::kWorkersBelowConfig, Severity::kCritical, view.instance(),
          absl::StrCat(Name(view), ": ", where, "; ", why));
      return;
    }
    Add(rule::kRuntimeScaled, Severity::kInfo, view.instance(),
        absl::StrCat(Name(view), ": ", where, "; no worker restarts, so it was scaled at runtime (",
                     live > configured ? "TTIN" : "TTOU", ")"));
  }

  // Gunicorn 25+ dirty pool, for every master. Only when the settings tell
  // how many dirty workers to expect: the count is 0 without dirty apps
  // (no arbiter then), unknown when a setting is. A warning, not critical:
  // an app class can lower its own count with a `workers` attribute that no
  // setting shows, so fewer can be intended.
  void DirtyWorkers(const InstanceView& view) {
    const corral::v1::Snapshot& snapshot = view.snapshot();
    for (int i = 0; i < snapshot.instances_size(); ++i) {
      const corral::v1::GunicornInstance& configured = view.report->ConfigOf(i);
      std::optional<int64_t> wanted = ConfiguredDirtyWorkers(configured);
      if (!wanted || *wanted <= 0) continue;
      const corral::v1::GunicornInstance& observed = snapshot.instances(i);
      int live = LiveDirtyWorkers(observed);
      if (live >= *wanted) continue;
      std::vector<std::string> settings;
      for (const char* name : {"dirty_workers", "dirty_apps"}) {
        auto it = configured.config().find(name);
        if (it == configured.config().end()) continue;
        settings.push_back(absl::StrCat(name, "=", it->second.value(), " (", SettingSourceText(it->second), ")"));
      }
      Add(rule::kDirtyWorkersBelowConfig, Severity::kWarning, view.instance(),
          absl::StrCat(Name(view), ": master ", observed.master().pid(), " runs ", live,
                       " dirty worker(s), its settings ask for ", *wanted, " (", absl::StrJoin(settings, ", "), ")",
                       observed.has_dirty_arbiter() ? "" : "; no dirty arbiter is running",
                       "; an app class can also limit its workers with a `workers` attribute, which no setting "
                       "shows"));
    }
  }

  int PrimaryLive(const InstanceView& view) const {
    return view.digest->master_digests[static_cast<size_t>(view.digest->primary)].live;
  }

  void ExpectedWorkers(const InstanceView& view) {
    int live = PrimaryLive(view);
    std::optional<int64_t> exact = expected_.Int("workers");
    std::optional<int64_t> minimum = expected_.Int("min_workers");
    const corral::v1::Expectation* e = expected_.Find(exact ? "workers" : "min_workers");
    if (e == nullptr) return;
    std::string configured =
        view.digest->config->configured_workers
            ? absl::StrCat(*view.digest->config->configured_workers, " (", view.digest->config->workers_source, ")")
            : std::string("unknown");
    std::string tail = absl::StrCat("; its workers setting is ", configured, "; expected by ", OriginText(*e));
    if (exact && live < *exact) {
      Add(rule::kWorkersBelowExpected, Severity::kCritical, view.instance(),
          absl::StrCat(Name(view), ": ", live, " live worker(s), expected ", *exact, tail));
    } else if (exact && live > *exact) {
      Add(rule::kWorkersAboveExpected, Severity::kWarning, view.instance(),
          absl::StrCat(Name(view), ": ", live, " live worker(s), expected ", *exact, tail));
    } else if (minimum && live < *minimum) {
      Add(rule::kWorkersBelowExpected, Severity::kCritical, view.instance(),
          absl::StrCat(Name(view), ": ", live, " live worker(s), expected at least ", *minimum, tail));
    }
  }

  void ExpectedReplicas() {
    std::optional<int64_t> replicas = expected_.Int("replicas");
    if (!replicas) return;
    std::vector<std::string> up;
    for (const InstanceView& v : instances_) {
      if (v.state != InstanceState::kOffline) up.push_back(v.instance());
    }
    int64_t n = static_cast<int64_t>(up.size());
    if (n == *replicas) return;
    std::string message = absl::StrCat(service_, ": ", n, " replica(s) reporting (", absl::StrJoin(up, ", "),
                                       "), expected ", *replicas, " by ", OriginText(*expected_.Find("replicas")));
    if (n < *replicas) {
      Add(rule::kReplicasBelowExpected, Severity::kCritical, "", std::move(message));
    } else {
      Add(rule::kReplicasAboveExpected, Severity::kWarning, "", std::move(message));
    }
  }

  void ConfigDrift(const InstanceView& view, const corral::v1::GunicornInstance& configured) {
    for (const corral::v1::Expectation* e : expected_.Settings()) {
      auto it = configured.config().find(e->key());
      if (it == configured.config().end() || !IsKnown(it->second)) continue;
      if (it->second.value() == e->value()) continue;
      corral::v1::Finding& f =
          Add(rule::kConfigDrift, Severity::kWarning, view.instance(),
              absl::StrCat(Name(view), ": ", e->key(), " is ", SettingValueText(it->second.value()), " (set by ",
                           SettingSourceText(it->second), "), expected ", SettingValueText(e->value()), " (",
                           OriginText(*e), ")"));
      corral::v1::SettingComparison* c = f.add_differences();
      c->set_setting(e->key());
      corral::v1::ReplicaValue* running = c->add_values();
      running->set_instance(view.instance());
      running->set_value(it->second.value());
      running->set_source(SettingSourceText(it->second));
      corral::v1::ReplicaValue* wanted = c->add_values();
      wanted->set_instance("expected");
      wanted->set_value(e->value());
      wanted->set_source(OriginText(*e));
    }
  }

  // The release is read from the configuration carrier: on a stream it is
  // left out with the rest of the configuration while unchanged.
  void ExpectedRelease(const InstanceView& view, const corral::v1::GunicornInstance& configured) {
    const corral::v1::Expectation* e = expected_.Find("gunicorn_version");
    if (e == nullptr) return;
    const std::string& running = configured.gunicorn_version();
    std::optional<bool> matches = ReleaseMatches(e->value(), running);
    if (!matches || *matches) return;  // an unknown release is never called drift
    std::string read_from = VersionSource(configured);
    std::string message =
        absl::StrCat(Name(view), ": runs Gunicorn ", running, " (read from ", read_from, "), expected ", e->value(),
                     std::count(e->value().begin(), e->value().end(), '.') == 1 ? ".x" : "", " (", OriginText(*e), ")");
    if (!configured.gunicorn_version_note().empty()) {
      absl::StrAppend(&message, "; ", configured.gunicorn_version_note());
    }
    corral::v1::Finding& f = Add(rule::kConfigDrift, Severity::kWarning, view.instance(), std::move(message));
    corral::v1::SettingComparison* c = f.add_differences();
    c->set_setting("gunicorn_version");
    corral::v1::ReplicaValue* have = c->add_values();
    have->set_instance(view.instance());
    have->set_value(running);
    have->set_source(read_from);
    corral::v1::ReplicaValue* wanted = c->add_values();
    wanted->set_instance("expected");
    wanted->set_value(e->value());
    wanted->set_source(OriginText(*e));
  }

  void StaleImage(const InstanceView& view, const corral::v1::GunicornInstance& configured) {
    const corral::v1::Expectation* revision = expected_.Find("build_revision");
    const std::string& running_revision = configured.inputs().build_revision();
    if (revision != nullptr && !running_revision.empty() && running_revision != revision->value()) {
      Add(rule::kStaleImage, Severity::kCritical, view.instance(),
          absl::StrCat(Name(view), ": built from revision ", running_revision, " (",
                       configured.inputs().build_revision_variable(), "), expected ", revision->value(), " (",
                       OriginText(*revision), ")"));
      return;
    }
    const corral::v1::Expectation* command = expected_.Find("command");
    if (command == nullptr || command->declared_by() != "dockerfile") return;
    std::vector<std::string> argv(configured.master().argv().begin(), configured.master().argv().end());
    CommandComparison comparison = CompareGunicornCommands(argv, configured.gunicorn_version(), command->value());
    if (!comparison.comparable || comparison.differences.empty()) return;
    Add(rule::kStaleImage, Severity::kCritical, view.instance(),
        absl::StrCat(Name(view), ": runs `", comparison.running_text, "` but the image's command is declared as `",
                     command->value(), "` (", OriginText(*command),
                     ") and compose does not override it, so the image predates the Dockerfile (",
                     DescribeDifferences(comparison.differences), ")"));
  }

  void Churn(const InstanceView& view, const corral::v1::GunicornInstance& configured) {
    double rate = view.digest->worker_restarts_per_minute;
    if (rate <= kChurnPerMinute) return;
    auto max_requests = configured.config().find("max_requests");
    if (max_requests != configured.config().end() && IsKnown(max_requests->second) &&
        max_requests->second.value() != "0") {
      return;  // workers are recycled after max_requests by design
    }
    Add(rule::kWorkerChurn, Severity::kWarning, view.instance(),
        absl::StrFormat("%s: workers restarting at %.1f/min (%d restart(s) in %s; threshold %.0f/min): crash loop, "
                        "timeouts or OOM kills",
                        Name(view), rate, view.digest->worker_restarts,
                        FormatDurationShort(absl::Seconds(view.digest->observed_seconds)), kChurnPerMinute));
  }

  void Stuck(const InstanceView& view, const corral::v1::GunicornInstance& observed,
             const corral::v1::GunicornInstance& configured) {
    auto timeout = configured.config().find("timeout");
    if (timeout == configured.config().end() || !IsKnown(timeout->second)) return;
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(timeout->second.value(), &seconds) || seconds <= 0) return;
    absl::Duration limit = absl::Seconds(seconds) / 2 + kHeartbeatSlack;
    std::vector<std::string> stuck;
    for (const corral::v1::ProcessFacts& w : observed.workers()) {
      if (!w.has_heartbeat_age_seconds() || w.state() == "Z") continue;
      if (absl::Seconds(w.heartbeat_age_seconds()) > limit) {
        stuck.push_back(absl::StrFormat("pid %d (%.0fs)", w.pid(), w.heartbeat_age_seconds()));
      }
    }
    if (stuck.empty()) return;
    Add(rule::kWorkerStuck, Severity::kWarning, view.instance(),
        absl::StrCat(Name(view), ": worker heartbeat older than half the timeout of ", seconds,
                     "s: ", absl::StrJoin(stuck, ", "), "; Gunicorn kills a worker at the full timeout"));
  }

  void Memory(const InstanceView& view, const corral::v1::GunicornInstance& observed) {
    const corral::v1::ContainerResources& r = observed.resources();
    std::vector<std::string> why;
    if (r.has_memory_limit_bytes() && r.memory_limit_bytes() > 0 &&
        static_cast<double>(r.memory_usage_bytes()) >= kMemoryPressureRatio * r.memory_limit_bytes()) {
      why.push_back(absl::StrFormat("cgroup memory %s of %s (%.0f%%)", FormatBytes(r.memory_usage_bytes()),
                                    FormatBytes(r.memory_limit_bytes()),
                                    100.0 * r.memory_usage_bytes() / r.memory_limit_bytes()));
    }
    if (now_ - view.last_oom_increase < kOomWindow) {
      why.push_back(absl::StrCat(view.oom_increase, " OOM kill(s) ", FormatDurationShort(now_ - view.last_oom_increase),
                                 " ago (", r.oom_kills(), " since the cgroup started)"));
    }
    if (why.empty()) return;
    Add(rule::kMemoryPressure, Severity::kWarning, view.instance(),
        absl::StrCat(Name(view), ": ", absl::StrJoin(why, "; ")));
  }

  // Against the CPUs the container may use: its quota, else its cpuset.
  // "Fewer workers than CPUs" needs a quota: a cpuset without one is usually
  // the whole host, which says nothing about what the service was given.
  void WorkersVsCpus(const InstanceView& view, const corral::v1::GunicornInstance& observed) {
    const corral::v1::ContainerResources& r = observed.resources();
    bool quota = r.has_cpu_quota_cores();
    double cpus = quota ? r.cpu_quota_cores() : r.effective_cpus();
    if (cpus <= 0) return;
    int live = PrimaryLive(view);
    int suggested = static_cast<int>(2 * std::ceil(cpus)) + 1;
    std::string cpu_text =
        absl::StrFormat("%.4g CPU%s (%s)", cpus, cpus == 1 ? "" : "s", quota ? "cgroup quota" : "cpuset");
    if (live > suggested) {
      Add(rule::kWorkersVsCpus, Severity::kInfo, view.instance(),
          absl::StrCat(Name(view), ": ", live, " workers on ", cpu_text,
                       "; Gunicorn suggests 2 x CPUs + 1 = ", suggested, ", more workers compete for the same CPUs"));
    } else if (quota && live > 0 && live < std::floor(cpus)) {
      Add(rule::kWorkersVsCpus, Severity::kInfo, view.instance(),
          absl::StrCat(Name(view), ": ", live, " worker(s) on ", cpu_text, "; sync workers use one CPU each, so ",
                       "some CPUs stay idle"));
    }
  }

  // Gunicorn's own request metrics, when the agent receives its statsd.
  void RequestHealth(const InstanceView& view) {
    if (!view.snapshot().has_request_stats()) return;
    const corral::v1::RequestStats& r = view.snapshot().request_stats();
    double responses = r.requests_per_second() * r.window_seconds();
    if (responses < kMinResponses) return;  // too few to judge
    absl::Duration max_latency = kDefaultMaxLatency;
    if (const corral::v1::Expectation* e = expected_.Find("max_latency")) {
      absl::StatusOr<absl::Duration> d = ParseDuration(e->value());
      if (d.ok()) max_latency = *d;
    }
    double max_error_rate = kDefaultMaxErrorRate;
    if (const corral::v1::Expectation* e = expected_.Find("max_error_rate")) {
      double percent = 0;
      if (absl::SimpleAtod(absl::StripSuffix(e->value(), "%"), &percent)) max_error_rate = percent / 100;
    }
    std::string window = absl::StrFormat("%.0fs", r.window_seconds());
    if (r.has_latency_mean_ms() && absl::Milliseconds(r.latency_mean_ms()) > max_latency) {
      Add(rule::kLatencyHigh, Severity::kWarning, view.instance(),
          absl::StrFormat("%s: mean request latency %.0f ms over the last %s (p99 %.0f ms, %.1f req/s), above %s",
                          Name(view), r.latency_mean_ms(), window, r.latency_p99_ms(), r.requests_per_second(),
                          absl::FormatDuration(max_latency)));
    }
    if (r.has_error_rate() && r.error_rate() > max_error_rate) {
      Add(rule::kErrorRateHigh, Severity::kCritical, view.instance(),
          absl::StrFormat("%s: %.1f%% of responses were 5xx over the last %s (%.1f req/s), above %.4g%%", Name(view),
                          100 * r.error_rate(), window, r.requests_per_second(), 100 * max_error_rate));
    }
  }

  // Where a master's release was read, as comparisons show a source.
  static std::string VersionSource(const corral::v1::GunicornInstance& carrier) {
    if (carrier.gunicorn_version().empty()) return "unknown";
    return carrier.gunicorn_version_source().empty() ? "source not reported" : carrier.gunicorn_version_source();
  }

  // Replicas are grouped by (live workers, settings fingerprint, Gunicorn
  // release); replicas outside the largest group are the minority. With no
  // single largest group, nobody can be called the odd one out. Groups also
  // split on what is unknown (an erased setting, an unknown release), which
  // is no disagreement: Minority() and the no-majority check below only
  // report what differs in known values.
  void ReplicasDisagree() {
    std::vector<const InstanceView*> online;
    for (const InstanceView& v : instances_) {
      if (v.state == InstanceState::kOnline && v.digest->primary >= 0) online.push_back(&v);
    }
    if (online.size() < 2) return;
    CollectDifferingSettings(online);
    std::map<std::tuple<int, uint64_t, std::string>, std::vector<const InstanceView*>> groups;
    for (const InstanceView* v : online) {
      groups[{v->digest->live_workers, v->digest->config->settings_fingerprint, v->digest->config->gunicorn_version}]
          .push_back(v);
    }
    if (groups.size() < 2) return;
    size_t largest = 0;
    int largest_count = 0;
    for (const auto& [key, members] : groups) {
      if (members.size() > largest) {
        largest = members.size();
        largest_count = 1;
      } else if (members.size() == largest) {
        ++largest_count;
      }
    }
    if (largest_count > 1) {
      std::set<int> live_counts;
      for (const InstanceView* v : online) live_counts.insert(v->digest->live_workers);
      if (live_counts.size() < 2 && out_.differing_settings.empty()) return;  // differ only in what is unknown
      std::vector<std::string> sides;
      for (const auto& [key, members] : groups) {
        std::vector<std::string> names;
        for (const InstanceView* v : members) names.push_back(v->instance());
        sides.push_back(absl::StrCat(absl::StrJoin(names, ","), " (", std::get<0>(key), " live workers)"));
      }
      corral::v1::Finding& f =
          Add(rule::kReplicasDisagree, Severity::kCritical, "",
              absl::StrCat(service_, ": replicas disagree with no majority: ", absl::StrJoin(sides, " vs ")));
      for (const auto& c : out_.differing_settings) *f.add_differences() = c;
      return;
    }
    const std::vector<const InstanceView*>* majority = nullptr;
    for (const auto& [key, members] : groups) {
      if (members.size() == largest) majority = &members;
    }
    const InstanceView& reference = *majority->front();
    for (const auto& [key, members] : groups) {
      if (&members == majority) continue;
      for (const InstanceView* v : members) Minority(*v, reference, majority->size());
    }
  }

  void Minority(const InstanceView& odd, const InstanceView& reference, size_t majority_size) {
    const corral::v1::GunicornInstance& a = odd.report->ConfigOf(odd.digest->primary);
    const corral::v1::GunicornInstance& b = reference.report->ConfigOf(reference.digest->primary);
    std::vector<std::string> parts;
    if (odd.digest->live_workers != reference.digest->live_workers) {
      parts.push_back(absl::StrCat("live workers ", odd.digest->live_workers, " vs ", reference.digest->live_workers));
    }
    std::vector<corral::v1::SettingComparison> differences;
    // Different releases read the same settings differently and have
    // different defaults; an unknown release on either side says nothing.
    if (!a.gunicorn_version().empty() && !b.gunicorn_version().empty() &&
        a.gunicorn_version() != b.gunicorn_version()) {
      parts.push_back(absl::StrCat("gunicorn_version ", a.gunicorn_version(), " (", VersionSource(a), ") vs ",
                                   b.gunicorn_version(), " (", VersionSource(b), ")"));
      corral::v1::SettingComparison& c = differences.emplace_back();
      c.set_setting("gunicorn_version");
      for (const auto& [view, carrier] : {std::pair{&odd, &a}, std::pair{&reference, &b}}) {
        corral::v1::ReplicaValue* rv = c.add_values();
        rv->set_instance(view->instance());
        rv->set_value(carrier->gunicorn_version());
        rv->set_source(VersionSource(*carrier));
      }
    }
    std::set<std::string> names;
    for (const auto& [name, s] : a.config()) names.insert(name);
    for (const auto& [name, s] : b.config()) names.insert(name);
    for (const std::string& name : names) {
      if (IsPerReplicaSetting(name)) continue;
      auto x = a.config().find(name);
      auto y = b.config().find(name);
      if (x == a.config().end() || y == b.config().end()) continue;
      if (!IsKnown(x->second) || !IsKnown(y->second)) continue;
      if (x->second.value() == y->second.value()) continue;
      parts.push_back(absl::StrCat(name, " ", SettingValueText(x->second.value()), " (", SettingSourceText(x->second),
                                   ") vs ", SettingValueText(y->second.value()), " (", SettingSourceText(y->second),
                                   ")"));
      corral::v1::SettingComparison& c = differences.emplace_back();
      c.set_setting(name);
      for (const auto& [view, setting] : {std::pair{&odd, &x->second}, std::pair{&reference, &y->second}}) {
        corral::v1::ReplicaValue* rv = c.add_values();
        rv->set_instance(view->instance());
        rv->set_value(setting->value());
        rv->set_source(SettingSourceText(*setting));
      }
    }
    if (parts.empty()) return;  // differed only in what is unknown
    corral::v1::Finding& f = Add(rule::kReplicasDisagree, Severity::kCritical, odd.instance(),
                                 absl::StrCat(Name(odd), " differs from ", majority_size, " other replica(s) (as ",
                                              reference.instance(), "): ", absl::StrJoin(parts, "; ")));
    for (auto& c : differences) *f.add_differences() = std::move(c);
  }

  void CollectDifferingSettings(const std::vector<const InstanceView*>& online) {
    // The release first: it decides how every setting below was read.
    std::set<std::string> releases;
    corral::v1::SettingComparison release;
    release.set_setting("gunicorn_version");
    for (const InstanceView* v : online) {
      const corral::v1::GunicornInstance& carrier = v->report->ConfigOf(v->digest->primary);
      corral::v1::ReplicaValue* rv = release.add_values();
      rv->set_instance(v->instance());
      rv->set_value(carrier.gunicorn_version());
      rv->set_source(VersionSource(carrier));
      if (!carrier.gunicorn_version().empty()) releases.insert(carrier.gunicorn_version());
    }
    if (releases.size() > 1) out_.differing_settings.push_back(std::move(release));
    std::set<uint64_t> fingerprints;
    for (const InstanceView* v : online) fingerprints.insert(v->digest->config->settings_fingerprint);
    if (fingerprints.size() < 2) return;
    std::set<std::string> names;
    for (const InstanceView* v : online) {
      for (const auto& [name, s] : v->report->ConfigOf(v->digest->primary).config()) names.insert(name);
    }
    for (const std::string& name : names) {
      if (IsPerReplicaSetting(name)) continue;
      std::set<std::string> values;
      corral::v1::SettingComparison c;
      c.set_setting(name);
      for (const InstanceView* v : online) {
        const auto& config = v->report->ConfigOf(v->digest->primary).config();
        auto it = config.find(name);
        if (it == config.end()) continue;
        corral::v1::ReplicaValue* rv = c.add_values();
        rv->set_instance(v->instance());
        rv->set_value(it->second.value());
        rv->set_source(SettingSourceText(it->second));
        if (IsKnown(it->second)) values.insert(it->second.value());
      }
      if (values.size() > 1) out_.differing_settings.push_back(std::move(c));
    }
  }

  const std::string& service_;
  absl::Span<const InstanceView> instances_;
  absl::Time now_;
  const Expectations& expected_;
  ServiceEvaluation out_;
  std::vector<int> ranks_;  // parallel to out_.findings
};

}  // namespace

ServiceEvaluation EvaluateService(const std::string& service, absl::Span<const InstanceView> instances, absl::Time now,
                                  const Expectations& expected) {
  return ServiceRuleRun(service, instances, now, expected).Run();
}

std::string FindingKey(const corral::v1::Finding& finding) {
  std::string key = absl::StrCat(finding.rule(), "|", finding.instance());
  if (finding.rule() == rule::kConfigDrift && finding.differences_size() > 0) {
    absl::StrAppend(&key, "|", finding.differences(0).setting());
  }
  return key;
}

bool ComparesReplicas(const corral::v1::Finding& finding) {
  return finding.instance().empty() || finding.rule() == rule::kReplicasDisagree;
}

}  // namespace corral::server
