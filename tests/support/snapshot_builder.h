// Builds snapshots for server tests: one Gunicorn master per instance with
// the workers and settings a test needs.
#ifndef CORRAL_TESTS_SUPPORT_SNAPSHOT_BUILDER_H_
#define CORRAL_TESTS_SUPPORT_SNAPSHOT_BUILDER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/config_delta.h"
#include "corral/v1/snapshot.pb.h"
#include "server/instance_digest.h"
#include "server/registry.h"
#include "server/report.h"

namespace corral::testing {

class SnapshotBuilder {
 public:
  SnapshotBuilder(const std::string& service, const std::string& instance, int64_t interval_ms = 1000) {
    snapshot_.mutable_agent()->set_service(service);
    snapshot_.mutable_agent()->set_instance(instance);
    snapshot_.mutable_agent()->set_interval_ms(interval_ms);
    snapshot_.mutable_agent()->set_hostname("host-" + instance);
    snapshot_.mutable_agent()->set_agent_version("test");
  }

  // On Kubernetes: the pod's namespace and the agent's node.
  SnapshotBuilder& Pod(const std::string& pod_namespace, const std::string& node = "") {
    snapshot_.mutable_agent()->set_namespace_(pod_namespace);
    snapshot_.mutable_agent()->set_node(node);
    return *this;
  }

  // Adds a master with `live` workers and sets workers=`configured`.
  SnapshotBuilder& Master(int pid, int live, int configured, const std::string& source = "cmdline") {
    corral::v1::GunicornInstance* inst = snapshot_.add_instances();
    inst->mutable_master()->set_pid(pid);
    inst->mutable_master()->set_age_seconds(600);
    inst->set_observed_seconds(600);
    for (int i = 0; i < live; ++i) {
      corral::v1::ProcessFacts* w = inst->add_workers();
      w->set_pid(pid + 1 + i);
      w->set_ppid(pid);
      w->set_state("S");
    }
    Set("workers", std::to_string(configured), source);
    Set("timeout", "30", "default");
    Set("reload", "false", "default");
    Set("loglevel", "info", "default");
    inst->set_app_uri("wsgi:application");
    Set("app_uri", "wsgi:application", "cmdline");
    return *this;
  }

  SnapshotBuilder& Set(const std::string& name, const std::string& value, const std::string& source) {
    corral::v1::Setting& s = (*last()->mutable_config())[name];
    s.set_value(value);
    s.set_source(source);
    if (name == "app_uri") last()->set_app_uri(value);
    return *this;
  }

  SnapshotBuilder& Churn(double per_minute, double observed_seconds) {
    last()->set_worker_restarts_per_minute(per_minute);
    last()->set_observed_seconds(observed_seconds);
    return *this;
  }

  // The master's argv, as /proc/PID/cmdline shows it.
  SnapshotBuilder& Argv(const std::vector<std::string>& argv) {
    last()->mutable_master()->clear_argv();
    for (const std::string& a : argv) last()->mutable_master()->add_argv(a);
    return *this;
  }

  SnapshotBuilder& Revision(const std::string& revision) {
    last()->mutable_inputs()->set_build_revision(revision);
    last()->mutable_inputs()->set_build_revision_variable("CORRAL_BUILD_REVISION");
    return *this;
  }

  // The cgroup: memory use and limit (0: none), OOM kills, CPU quota (0: none).
  SnapshotBuilder& Cgroup(int64_t usage, int64_t limit, int64_t oom_kills = 0, double cpu_quota = 0) {
    corral::v1::ContainerResources* r = last()->mutable_resources();
    r->set_cgroup_version("v2");
    r->set_memory_usage_bytes(usage);
    if (limit > 0) r->set_memory_limit_bytes(limit);
    r->set_oom_kills(oom_kills);
    if (cpu_quota > 0) r->set_cpu_quota_cores(cpu_quota);
    r->set_effective_cpus(2);
    r->set_pids_current(last()->workers_size() + 1);
    return *this;
  }

  // Sets every worker's heartbeat age.
  SnapshotBuilder& Heartbeat(double age_seconds) {
    for (corral::v1::ProcessFacts& w : *last()->mutable_workers()) w.set_heartbeat_age_seconds(age_seconds);
    return *this;
  }

  // What Gunicorn's statsd told the agent.
  SnapshotBuilder& Requests(const corral::v1::RequestStats& stats) {
    *snapshot_.mutable_request_stats() = stats;
    return *this;
  }

  // The Gunicorn release the master runs and the file the agent read it
  // from ("" for an unknown release).
  SnapshotBuilder& Version(const std::string& version,
                           const std::string& source = "/usr/lib/python3/dist-packages/gunicorn/__init__.py") {
    last()->set_gunicorn_version(version);
    last()->set_gunicorn_version_source(version.empty() ? "" : source);
    return *this;
  }

  // A Gunicorn 25+ dirty pool: a dirty arbiter (pid master + 100) with
  // `live` dirty workers, and settings dirty_apps=`apps`,
  // dirty_workers=`configured`.
  SnapshotBuilder& Dirty(int live, int configured, const std::string& apps = "app.ml:Model") {
    corral::v1::GunicornInstance* inst = last();
    int arbiter_pid = inst->master().pid() + 100;
    corral::v1::ProcessFacts* arbiter = inst->mutable_dirty_arbiter();
    arbiter->set_pid(arbiter_pid);
    arbiter->set_ppid(inst->master().pid());
    arbiter->set_state("S");
    for (int i = 0; i < live; ++i) {
      corral::v1::ProcessFacts* w = inst->add_dirty_workers();
      w->set_pid(arbiter_pid + 1 + i);
      w->set_ppid(arbiter_pid);
      w->set_state("S");
    }
    Set("dirty_apps", apps, "cmdline");
    Set("dirty_workers", std::to_string(configured), "cmdline");
    return *this;
  }

  SnapshotBuilder& Erased() {
    last()->mutable_inputs()->set_argv_erased(true);
    last()->mutable_inputs()->set_environ_erased(true);
    return *this;
  }

  corral::v1::GunicornInstance* last() { return snapshot_.mutable_instances(snapshot_.instances_size() - 1); }
  corral::v1::Snapshot Build() const { return snapshot_; }
  std::shared_ptr<const corral::v1::Snapshot> Shared() const {
    return std::make_shared<const corral::v1::Snapshot>(snapshot_);
  }
  // A complete report (every master carries its configuration).
  corral::server::Report Report() const { return corral::server::Report::Complete(Shared()).value(); }
  // The report the server holds after the second message of a stream: the
  // agent's ConfigDelta left the unchanged configuration out of it (config,
  // argv, gunicorn_version, ...), so only the first message carries it.
  corral::server::Report StreamReport() const {
    corral::agent::ConfigDelta delta;
    corral::server::ConfigCarriers carriers;
    corral::v1::Snapshot first = snapshot_, second = snapshot_;
    delta.Apply(first);
    delta.Apply(second);
    carriers.Resolve(std::make_shared<const corral::v1::Snapshot>(std::move(first))).value();
    return carriers.Resolve(std::make_shared<const corral::v1::Snapshot>(std::move(second))).value();
  }

 private:
  corral::v1::Snapshot snapshot_;
};

// The registry's view of an instance whose latest report is `report` (one
// resolved on a stream, say), last reported at `last_report`.
inline corral::server::InstanceView MakeView(
    corral::server::Report report, absl::Time last_report,
    corral::server::InstanceState state = corral::server::InstanceState::kOnline) {
  corral::server::InstanceView v;
  v.report = std::make_shared<const corral::server::Report>(std::move(report));
  v.state = state;
  v.last_report = last_report;
  v.interval = absl::Milliseconds(v.snapshot().agent().interval_ms());
  v.digest = std::make_shared<const corral::server::InstanceDigest>(corral::server::Digest(*v.report));
  return v;
}

// The registry's view of `b`'s instance, last reported at `last_report`.
inline corral::server::InstanceView MakeView(
    const SnapshotBuilder& b, absl::Time last_report,
    corral::server::InstanceState state = corral::server::InstanceState::kOnline) {
  return MakeView(b.Report(), last_report, state);
}

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_SNAPSHOT_BUILDER_H_
