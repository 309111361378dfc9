#include "server/snapshot_validation.h"

#include <cmath>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"

namespace corral::server {
namespace {

absl::Status Invalid(const std::string& where, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", why));
}

// Where a problem is, built only when there is one: validation runs on
// every report and must not allocate on the good path.
using Where = absl::FunctionRef<std::string()>;

absl::Status CheckString(Where where, const std::string& s) {
  if (s.size() > kMaxStringBytes) {
    return Invalid(where(), absl::StrCat("string of ", s.size(), " bytes exceeds ", kMaxStringBytes));
  }
  return absl::OkStatus();
}

absl::Status CheckNumber(Where where, double value) {
  if (!std::isfinite(value) || value < 0) return Invalid(where(), absl::StrCat("bad value ", value));
  return absl::OkStatus();
}

absl::Status CheckProcess(Where where, const corral::v1::ProcessFacts& p) {
  if (p.pid() <= 0 || p.pid() > kMaxPid) return Invalid(where(), absl::StrCat("pid ", p.pid(), " is out of range"));
  if (p.ppid() < 0 || p.ppid() > kMaxPid) {
    return Invalid(where(), absl::StrCat("ppid ", p.ppid(), " is out of range"));
  }
  if (p.rss_bytes() < 0) return Invalid(where(), "negative rss_bytes");
  for (double v : {p.age_seconds(), p.cpu_seconds()}) {
    absl::Status s = CheckNumber(where, v);
    if (!s.ok()) return s;
  }
  if (p.has_heartbeat_age_seconds()) {
    absl::Status s = CheckNumber([&] { return where() + ".heartbeat_age_seconds"; }, p.heartbeat_age_seconds());
    if (!s.ok()) return s;
  }
  if (p.argv_size() > kMaxArgs) return Invalid(where(), absl::StrCat(p.argv_size(), " argv entries"));
  for (const std::string& a : p.argv()) {
    absl::Status s = CheckString([&] { return where() + ".argv"; }, a);
    if (!s.ok()) return s;
  }
  for (const std::string* s : {&p.state(), &p.comm(), &p.cwd()}) {
    absl::Status st = CheckString(where, *s);
    if (!st.ok()) return st;
  }
  if (p.read_errors_size() > 64) return Invalid(where(), "too many read_errors");
  for (const std::string& e : p.read_errors()) {
    absl::Status s = CheckString([&] { return where() + ".read_errors"; }, e);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckResources(Where where, const corral::v1::ContainerResources& r) {
  if (r.has_cpu_quota_cores() &&
      (!std::isfinite(r.cpu_quota_cores()) || r.cpu_quota_cores() <= 0 || r.cpu_quota_cores() > kMaxCpus)) {
    return Invalid(where(), absl::StrCat("cpu_quota_cores ", r.cpu_quota_cores(), " is out of range"));
  }
  if (r.effective_cpus() < 0 || r.effective_cpus() > kMaxCpus) {
    return Invalid(where(), absl::StrCat("effective_cpus ", r.effective_cpus(), " is out of range"));
  }
  if ((r.has_memory_limit_bytes() && r.memory_limit_bytes() < 0) || r.memory_usage_bytes() < 0 || r.oom_kills() < 0 ||
      (r.has_pids_limit() && r.pids_limit() < 0) || r.pids_current() < 0) {
    return Invalid(where(), "negative memory, OOM kill or pid count");
  }
  for (const std::string* s : {&r.cgroup_version(), &r.cgroup_path()}) {
    absl::Status st = CheckString(where, *s);
    if (!st.ok()) return st;
  }
  if (r.read_errors_size() > 64) return Invalid(where(), "too many read_errors");
  for (const std::string& e : r.read_errors()) {
    absl::Status s = CheckString(where, e);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateName(const std::string& what, const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  if (name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is longer than ", kMaxNameBytes, " bytes"));
  }
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " '", name.substr(0, 64), "' must be printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateWireSize(size_t bytes) {
  if (bytes > kMaxSnapshotBytes) {
    return absl::InvalidArgumentError(absl::StrCat("message of ", bytes, " bytes exceeds ", kMaxSnapshotBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateSnapshot(const corral::v1::Snapshot& snapshot) {
  const corral::v1::AgentIdentity& agent = snapshot.agent();
  absl::Status s = ValidateName("agent.service", agent.service());
  if (!s.ok()) return s;
  s = ValidateName("agent.instance", agent.instance());
  if (!s.ok()) return s;
  // Optional (Kubernetes only), but names when given: the CLI shows
  // "namespace/service", so a namespace holds no '/'.
  if (!agent.namespace_().empty()) {
    s = ValidateName("agent.namespace", agent.namespace_());
    if (!s.ok()) return s;
    if (agent.namespace_().find('/') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("agent.namespace '", agent.namespace_().substr(0, 64), "' must not contain '/'"));
    }
  }
  if (!agent.node().empty()) {
    s = ValidateName("agent.node", agent.node());
    if (!s.ok()) return s;
  }
  for (const std::string* field :
       {&agent.hostname(), &agent.agent_version(), &agent.container_id(), &agent.proc_root()}) {
    s = CheckString([] { return std::string("agent"); }, *field);
    if (!s.ok()) return s;
  }
  if (agent.interval_ms() < kMinIntervalMs || agent.interval_ms() > kMaxIntervalMs) {
    return absl::InvalidArgumentError(absl::StrCat("agent.interval_ms ", agent.interval_ms(), " is outside [",
                                                   kMinIntervalMs, ", ", kMaxIntervalMs, "]"));
  }
  if (snapshot.instances_size() > kMaxMasters) {
    return absl::InvalidArgumentError(absl::StrCat(snapshot.instances_size(), " masters exceed ", kMaxMasters));
  }
  if (snapshot.scan_errors_size() > 64) return absl::InvalidArgumentError("too many scan_errors");
  for (int i = 0; i < snapshot.instances_size(); ++i) {
    const corral::v1::GunicornInstance& inst = snapshot.instances(i);
    auto where = [i] { return absl::StrCat("instances[", i, "]"); };
    if (inst.workers_size() > kMaxWorkersPerMaster) {
      return Invalid(where(), absl::StrCat(inst.workers_size(), " workers exceed ", kMaxWorkersPerMaster));
    }
    if (inst.other_children_size() > kMaxOtherChildren) return Invalid(where(), "too many other_children");
    if (inst.config_size() > kMaxSettings) return Invalid(where(), absl::StrCat(inst.config_size(), " settings"));
    s = CheckProcess([&] { return where() + ".master"; }, inst.master());
    if (!s.ok()) return s;
    for (int w = 0; w < inst.workers_size(); ++w) {
      s = CheckProcess([&] { return absl::StrCat(where(), ".workers[", w, "]"); }, inst.workers(w));
      if (!s.ok()) return s;
    }
    for (const auto& child : inst.other_children()) {
      s = CheckProcess([&] { return where() + ".other_children"; }, child);
      if (!s.ok()) return s;
    }
    for (const auto& entry : inst.config()) {
      // A named variable, not a structured binding: C++17 lambdas cannot
      // capture those (clang refuses; gcc accepts as an extension).
      const std::string& name = entry.first;
      const corral::v1::Setting& setting = entry.second;
      if (name.size() > 128) return Invalid(where(), "setting name too long");
      for (const std::string* f : {&setting.value(), &setting.source(), &setting.file(), &setting.expression(),
                                   &setting.note(), &setting.default_value()}) {
        s = CheckString([&] { return absl::StrCat(where(), ".config[", name.substr(0, 64), "]"); }, *f);
        if (!s.ok()) return s;
      }
    }
    for (double v : {inst.worker_restarts_per_minute(), inst.observed_seconds()}) {
      s = CheckNumber(where, v);
      if (!s.ok()) return s;
    }
    if (inst.worker_restarts() < 0) return Invalid(where(), "negative worker_restarts");
    s = CheckResources([&] { return where() + ".resources"; }, inst.resources());
    if (!s.ok()) return s;
    if (inst.warnings_size() > 256) return Invalid(where(), "too many warnings");
  }
  if (snapshot.has_request_stats()) {
    const corral::v1::RequestStats& r = snapshot.request_stats();
    auto where = [] { return std::string("request_stats"); };
    for (double v : {r.window_seconds(), r.requests_per_second(), r.latency_mean_ms(), r.latency_p50_ms(),
                     r.latency_p95_ms(), r.latency_p99_ms(), r.error_rate(), r.request_duration_seconds_total()}) {
      s = CheckNumber(where, v);
      if (!s.ok()) return s;
    }
    if (r.error_rate() > 1) return Invalid(where(), "error_rate above 1");
    // Status codes are three digits: at most 900 of them.
    if (r.responses_total_size() > 900) return Invalid(where(), "too many status codes");
    for (const auto& [code, n] : r.responses_total()) {
      if (code.size() != 3 || n < 0)
        return Invalid(where(), "responses_total holds something else than counts by status");
    }
    for (int64_t n : {r.requests_total(), r.critical_logs_total(), r.datagrams_total(), r.malformed_total(),
                      r.forward_errors_total()}) {
      if (n < 0) return Invalid(where(), "negative total");
    }
  }
  return absl::OkStatus();
}

}  // namespace corral::server
