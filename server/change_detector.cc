#include "server/change_detector.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/setting_source.h"
#include "common/snapshot_facts.h"
#include "server/rule_names.h"
#include "server/rules.h"

namespace corral::server {
namespace {

class Detector {
 public:
  Detector(const std::string& service, absl::Time now, corral::v1::ServiceMemory* memory)
      : service_(service), now_(now), memory_(memory) {}

  corral::v1::Event& Emit(const char* kind, const std::string& instance) {
    corral::v1::Event& e = events_.emplace_back();
    e.set_time_unix_ms(absl::ToUnixMillis(now_));
    e.set_kind(kind);
    e.set_service(service_);
    e.set_instance(instance);
    e.set_namespace_(NamespaceOf(instance));
    return e;
  }

  void Instance(const InstanceView& view) {
    const std::string& name = view.instance();
    auto [it, fresh] = memory_->mutable_instances()->try_emplace(name);
    corral::v1::InstanceMemory& m = it->second;
    m.set_namespace_(view.snapshot().agent().namespace_());
    std::string state = StateName(view.state);
    if (fresh || m.state() != state) {
      corral::v1::Event& e = Emit(absl::StrCat("instance_", state).c_str(), name);
      e.set_before(fresh ? "" : m.state());
      e.set_after(state);
      e.set_message(
          absl::StrCat(service_, "/", name, " is ", state,
                       view.state == InstanceState::kOnline ? ""
                       : view.state == InstanceState::kDisconnected
                           ? " (its agent's stream closed)"
                           : absl::StrCat(" (no report since ",
                                          absl::FormatTime("%H:%M:%S", view.last_report, absl::LocalTimeZone()), ")")));
      m.set_state(state);
    }
    m.set_last_seen_unix_ms(absl::ToUnixMillis(view.last_report));
    m.set_interval_ms(absl::ToInt64Milliseconds(view.interval));
    if (view.state == InstanceState::kOffline) return;  // its last report says nothing about now
    int live =
        view.digest->primary < 0 ? -1 : view.digest->master_digests[static_cast<size_t>(view.digest->primary)].live;
    if (!fresh && m.live_workers() != live) {
      corral::v1::Event& e = Emit("workers_changed", name);
      e.set_before(absl::StrCat(m.live_workers()));
      e.set_after(absl::StrCat(live));
      e.set_message(absl::StrCat(service_, "/", name, ": live workers ", Count(m.live_workers()), " -> ", Count(live)));
    }
    m.set_live_workers(live);
    if (view.digest->primary < 0) return;
    uint64_t fingerprint = view.digest->config->settings_fingerprint;
    if (!fresh && m.settings_fingerprint() == fingerprint) return;
    const auto& config = view.report->ConfigOf(view.digest->primary).config();
    std::map<std::string, std::pair<std::string, std::string>> now_known;
    for (const auto& [setting, s] : config) {
      if (!IsKnown(s)) continue;
      now_known[setting] = {s.value(), SettingSourceText(s)};
    }
    if (!fresh) {
      std::set<std::string> names;
      for (const auto& [setting, value] : m.settings()) names.insert(setting);
      for (const auto& [setting, value] : now_known) names.insert(setting);
      for (const std::string& setting : names) {
        auto before = m.settings().find(setting);
        auto after = now_known.find(setting);
        bool had = before != m.settings().end();
        bool has = after != now_known.end();
        if (had && has && before->second == after->second.first) continue;
        corral::v1::Event& e = Emit("setting_changed", name);
        e.set_setting(setting);
        e.set_before(had ? before->second : "");
        e.set_after(has ? after->second.first : "");
        e.set_message(absl::StrCat(
            service_, "/", name, ": ", setting, " ", had ? SettingValueText(before->second) : "unknown", " -> ",
            has ? absl::StrCat(SettingValueText(after->second.first), " (", after->second.second, ")") : "unknown"));
      }
    }
    m.set_settings_fingerprint(fingerprint);
    m.mutable_settings()->clear();
    for (auto& [setting, value] : now_known) (*m.mutable_settings())[setting] = std::move(value.first);
  }

  // Instances in memory that the registry no longer lists.
  void Absent(const std::set<std::string>& present, absl::Duration forget_after, std::set<std::string>* forgotten) {
    auto* instances = memory_->mutable_instances();
    std::set<std::string> absent;  // in name order, so events are stable
    for (const auto& [name, m] : *instances) {
      if (!present.count(name)) absent.insert(name);
    }
    for (const std::string& name : absent) {
      corral::v1::InstanceMemory& m = instances->at(name);
      absl::Time last_seen = absl::FromUnixMillis(m.last_seen_unix_ms());
      if (now_ - last_seen >= forget_after) {
        corral::v1::Event& e = Emit("instance_forgotten", name);
        e.set_before(m.state());
        e.set_message(absl::StrCat(service_, "/", name, " forgotten: no report for ",
                                   absl::FormatDuration(absl::Trunc(now_ - last_seen, absl::Seconds(1)))));
        forgotten->insert(name);
        forgotten_namespaces_[name] = m.namespace_();
        instances->erase(name);
        continue;
      }
      if (m.state() != "offline") {
        corral::v1::Event& e = Emit("instance_offline", name);
        e.set_before(m.state());
        e.set_after("offline");
        e.set_message(absl::StrCat(service_, "/", name, " is offline (not reporting to this server)"));
        m.set_state("offline");
      }
    }
  }

  void Findings(const std::vector<corral::v1::Finding>& findings, const std::set<std::string>& present,
                const std::set<std::string>& forgotten, Coverage coverage) {
    bool partial = coverage == Coverage::kSettling;
    std::map<std::string, const corral::v1::Finding*> current;
    for (const corral::v1::Finding& f : findings) {
      if (!partial || !ComparesReplicas(f)) current.emplace(FindingKey(f), &f);
    }
    auto* open = memory_->mutable_open_findings();
    // Proto maps have no order: resolve in key order, so events are stable.
    std::set<std::string> resolved;
    for (const auto& [key, f] : *open) {
      bool judged = f.instance().empty() ? !present.empty() : present.count(f.instance()) > 0;
      if (partial && ComparesReplicas(f)) judged = false;
      if (!current.count(key) && (judged || forgotten.count(f.instance()))) resolved.insert(key);
    }
    for (const std::string& key : resolved) {
      const corral::v1::Finding& f = open->at(key);
      corral::v1::Event& e = Emit("finding_resolved", f.instance());
      e.set_rule(f.rule());
      e.set_severity(f.severity());
      if (f.differences_size() > 0 && f.rule() == rule::kConfigDrift) e.set_setting(f.differences(0).setting());
      e.set_message(absl::StrCat("resolved: ", f.message()));
      open->erase(key);
    }
    for (const auto& [key, f] : current) {
      if (open->count(key)) continue;
      corral::v1::Event& e = Emit("finding_opened", f->instance());
      e.set_rule(f->rule());
      e.set_severity(f->severity());
      if (f->differences_size() > 0 && f->rule() == rule::kConfigDrift) e.set_setting(f->differences(0).setting());
      e.set_message(f->message());
      (*open)[key] = *f;
    }
  }

  std::vector<corral::v1::Event> Take() { return std::move(events_); }

 private:
  static std::string Count(int live) { return live < 0 ? "none (no master)" : absl::StrCat(live); }

  // The namespace of an instance the memory knows; for an event about the
  // whole service, the one namespace of all its instances, if they share
  // one.
  std::string NamespaceOf(const std::string& instance) const {
    const auto& instances = memory_->instances();
    if (!instance.empty()) {
      if (auto it = instances.find(instance); it != instances.end()) return it->second.namespace_();
      auto gone = forgotten_namespaces_.find(instance);
      return gone == forgotten_namespaces_.end() ? "" : gone->second;
    }
    std::string shared;
    for (const auto& [name, m] : instances) {
      if (m.namespace_().empty() || (!shared.empty() && shared != m.namespace_())) return "";
      shared = m.namespace_();
    }
    return shared;
  }

  const std::string& service_;
  absl::Time now_;
  corral::v1::ServiceMemory* memory_;
  // Instances forgotten in this comparison, for their findings' events.
  std::map<std::string, std::string> forgotten_namespaces_;
  std::vector<corral::v1::Event> events_;
};

}  // namespace

std::vector<corral::v1::Event> DetectChanges(const std::string& service, absl::Span<const InstanceView> views,
                                             const std::vector<corral::v1::Finding>& findings, absl::Time now,
                                             absl::Duration forget_after, corral::v1::ServiceMemory* memory,
                                             Coverage coverage) {
  Detector detector(service, now, memory);
  std::set<std::string> present;
  for (const InstanceView& view : views) {
    present.insert(view.instance());
    detector.Instance(view);
  }
  std::set<std::string> forgotten;
  if (coverage == Coverage::kComplete) detector.Absent(present, forget_after, &forgotten);
  detector.Findings(findings, present, forgotten, coverage);
  return detector.Take();
}

}  // namespace corral::server
