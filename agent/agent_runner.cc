#include "agent/agent_runner.h"

#include "absl/strings/str_cat.h"
#include "common/duration.h"
#include "common/message_utf8.h"
#include "common/snapshot_facts.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

// A snapshot of `sample`'s moment for `agent`, without masters.
corral::v1::Snapshot Frame(const corral::v1::Snapshot& sample, const corral::v1::AgentIdentity& agent) {
  corral::v1::Snapshot s;
  *s.mutable_agent() = agent;
  s.set_sampled_at_unix_ms(sample.sampled_at_unix_ms());
  *s.mutable_scan_errors() = sample.scan_errors();
  s.set_sequence(sample.sequence());
  s.set_scan_kind(sample.scan_kind());
  s.set_scan_duration_us(sample.scan_duration_us());
  return s;
}

}  // namespace

std::vector<corral::v1::Snapshot> SplitByPod(const corral::v1::Snapshot& sample, const PodsOfMasters& pods,
                                             const corral::v1::AgentIdentity& own) {
  std::map<std::string, corral::v1::Snapshot> by_pod;
  corral::v1::Snapshot unknown = Frame(sample, own);
  if (sample.has_request_stats()) *unknown.mutable_request_stats() = sample.request_stats();
  for (const corral::v1::GunicornInstance& instance : sample.instances()) {
    auto found = pods.find(instance.master().pid());
    if (found != pods.end() && found->second.ok()) {
      const PodIdentity& pod = *found->second;
      corral::v1::AgentIdentity agent = own;
      agent.set_service(pod.service);
      agent.set_instance(pod.name);
      agent.set_namespace_(pod.pod_namespace);
      MakeStringsUtf8(&agent);  // read from the master's environment
      agent.clear_container_id();
      if (std::optional<std::string> id =
              ContainerIdFromCgroup(absl::StrCat("0::", instance.resources().cgroup_path())))
        agent.set_container_id(*id);
      auto [slot, fresh] = by_pod.try_emplace(PodKey(agent));
      if (fresh) slot->second = Frame(sample, agent);
      *slot->second.add_instances() = instance;
      continue;
    }
    corral::v1::GunicornInstance* kept = unknown.add_instances();
    *kept = instance;
    if (found != pods.end()) {
      corral::v1::Warning* warning = kept->add_warnings();
      warning->set_code("POD_UNKNOWN");
      warning->set_message(
          absl::StrCat(found->second.status().message(), "; reported as ", own.service(), "/", own.instance()));
    }
  }
  std::vector<corral::v1::Snapshot> out;
  for (auto& [key, snapshot] : by_pod) out.push_back(std::move(snapshot));
  if (unknown.instances_size() > 0) out.push_back(std::move(unknown));
  return out;
}

AgentRunner::AgentRunner(const AgentOptions& options, corral::v1::AgentIdentity identity)
    : probe_([&] {
        ProbeOptions p;
        p.proc_root = options.proc_root;
        p.rediscover_every = options.rediscover;
        p.hook_dir = options.hook_dir;
        p.control_socket = options.control_socket;
        p.control_socket_deadline = options.control_socket_timeout;
        return p;
      }()),
      reader_(options.proc_root),
      identity_(std::move(identity)),
      interval_ms_(absl::ToInt64Milliseconds(options.interval)) {
  // The probe cleans what it read; the identity (--proc-root, the host
  // name) joins the snapshot after it.
  MakeStringsUtf8(&identity_);
}

void AgentRunner::SetInterval(absl::Duration interval) {
  int64_t ms = absl::ToInt64Milliseconds(interval);
  if (ms < 100 || ms > 3600 * 1000) {
    spdlog::warn("ignoring interval {} asked by a server (outside 100ms..1h)", FormatDurationShort(interval));
    return;
  }
  if (interval_ms_.exchange(ms) != ms)
    spdlog::info("sampling interval is now {} (asked by the server)", FormatDurationShort(interval));
}

corral::v1::Snapshot AgentRunner::SampleOnce() {
  corral::v1::Snapshot snapshot = probe_.Sample();
  corral::v1::AgentIdentity* agent = snapshot.mutable_agent();
  *agent = identity_;
  agent->set_interval_ms(interval_ms_.load());
  snapshot.set_sequence(++sequence_);
  if (request_stats_) *snapshot.mutable_request_stats() = request_stats_();
  churn_.Update(absl::FromUnixMillis(snapshot.sampled_at_unix_ms()), snapshot);
  LogChanges(snapshot);
  return snapshot;
}

void AgentRunner::LogChanges(const corral::v1::Snapshot& snapshot) {
  std::map<int, int> now;
  for (const corral::v1::GunicornInstance& inst : snapshot.instances()) {
    int pid = inst.master().pid();
    int live = LiveWorkers(inst);
    now[pid] = live;
    auto before = last_workers_.find(pid);
    if (before == last_workers_.end()) {
      spdlog::info("master {} ({}) {}: {} worker(s)", pid, inst.app_uri().empty() ? "app unknown" : inst.app_uri(),
                   first_sample_ ? "found" : "appeared", live);
    } else if (before->second != live) {
      spdlog::info("master {}: workers {} -> {}", pid, before->second, live);
    }
  }
  for (const auto& [pid, live] : last_workers_) {
    if (!now.count(pid)) spdlog::info("master {} disappeared", pid);
  }
  if (first_sample_ && now.empty()) spdlog::warn("no Gunicorn master in {}", identity_.proc_root());
  last_workers_ = std::move(now);
  first_sample_ = false;
}

absl::StatusOr<PodIdentity> AgentRunner::PodOf(const corral::v1::GunicornInstance& instance) {
  int pid = instance.master().pid();
  MasterKey key{pid, instance.master().start_time_unix_ms()};
  if (auto known = pods_.find(key); known != pods_.end()) return known->second;
  EnvironmentRead read = ReadEnvironment(reader_, pid);
  // The probe also knows an environment erased when only a title is left.
  if (instance.inputs().environ_erased()) read = EnvironmentRead{std::nullopt, true, ""};
  absl::StatusOr<PodIdentity> pod = PodOfMaster(pid, read);
  if (pod.ok()) {
    pods_.emplace(key, *pod);
  } else if (warned_.insert(key).second) {
    spdlog::warn("{}; reporting it as {}/{}", std::string(pod.status().message()), identity_.service(),
                 identity_.instance());
  }
  return pod;
}

std::vector<corral::v1::Snapshot> AgentRunner::SampleByPod() {
  corral::v1::Snapshot sample = SampleOnce();
  PodsOfMasters pods;
  std::set<MasterKey> present;
  for (const corral::v1::GunicornInstance& instance : sample.instances()) {
    present.insert({instance.master().pid(), instance.master().start_time_unix_ms()});
    pods.emplace(instance.master().pid(), PodOf(instance));
  }
  // Forget masters that are gone: their pids will be reused.
  for (auto it = pods_.begin(); it != pods_.end();) it = present.count(it->first) ? std::next(it) : pods_.erase(it);
  for (auto it = warned_.begin(); it != warned_.end();) it = present.count(*it) ? std::next(it) : warned_.erase(it);
  return SplitByPod(sample, pods, sample.agent());
}

void AgentRunner::Run(const std::vector<Uplink*>& uplinks, absl::Notification* stop) {
  Every(stop, [&] {
    auto snapshot = std::make_shared<const corral::v1::Snapshot>(SampleOnce());
    for (Uplink* uplink : uplinks) uplink->Offer(snapshot);
  });
}

void AgentRunner::RunByPod(PodUplinks* pods, absl::Notification* stop) {
  Every(stop, [&] {
    std::vector<std::shared_ptr<const corral::v1::Snapshot>> snapshots;
    for (corral::v1::Snapshot& s : SampleByPod())
      snapshots.push_back(std::make_shared<corral::v1::Snapshot>(std::move(s)));
    pods->Offer(snapshots);
  });
}

void AgentRunner::Every(absl::Notification* stop, const std::function<void()>& sample) {
  absl::Time next = absl::Now();
  while (!stop->HasBeenNotified()) {
    sample();
    next += absl::Milliseconds(interval_ms_.load());
    absl::Time now = absl::Now();
    if (next < now) next = now;  // a slow sample does not cause a burst
    stop->WaitForNotificationWithTimeout(next - now);
  }
}

}  // namespace corral::agent
