// Builds snapshots for server tests: one Gunicorn master per instance with
// the workers and settings a test needs.
#ifndef CORRAL_TESTS_SERVER_SNAPSHOT_BUILDER_H_
#define CORRAL_TESTS_SERVER_SNAPSHOT_BUILDER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "corral/v1/snapshot.pb.h"
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

 private:
  corral::v1::Snapshot snapshot_;
};

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SERVER_SNAPSHOT_BUILDER_H_
