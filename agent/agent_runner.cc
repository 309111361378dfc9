#include "agent/agent_runner.h"

#include "common/duration.h"
#include "common/snapshot_facts.h"
#include "spdlog/spdlog.h"

namespace corral::agent {

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
      identity_(std::move(identity)),
      interval_ms_(absl::ToInt64Milliseconds(options.interval)) {}

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

void AgentRunner::Run(const std::vector<Uplink*>& uplinks, absl::Notification* stop) {
  absl::Time next = absl::Now();
  while (!stop->HasBeenNotified()) {
    auto snapshot = std::make_shared<const corral::v1::Snapshot>(SampleOnce());
    for (Uplink* uplink : uplinks) uplink->Offer(snapshot);
    next += absl::Milliseconds(interval_ms_.load());
    absl::Time now = absl::Now();
    if (next < now) next = now;  // a slow sample does not cause a burst
    stop->WaitForNotificationWithTimeout(next - now);
  }
}

}  // namespace corral::agent
