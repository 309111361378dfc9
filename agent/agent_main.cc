#include "agent/agent_main.h"

#include <signal.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "agent/agent_options.h"
#include "agent/agent_runner.h"
#include "agent/identity.h"
#include "agent/statsd_receiver.h"
#include "agent/uplink.h"
#include "common/daemon.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "common/grpc_security.h"
#include "common/version.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace corral::agent {

int AgentMain(int argc, char** argv) {
  absl::StatusOr<corral::agent::AgentOptions> options =
      corral::agent::ParseAgentOptions(std::vector<std::string>(argv + 1, argv + argc), corral::GetEnv);
  if (!options.ok()) {
    std::cerr << "corral-agent: " << options.status().message() << "\n(see 'corral-agent --help')\n";
    return 2;
  }
  if (options->help) {
    std::cout << corral::agent::AgentHelp();
    return 0;
  }
  corral::SetUpLogging("agent", options->log_level);

  // Signals are taken by one thread with sigwait; block them everywhere else.
  sigset_t signals = corral::BlockTerminationSignals();

  absl::StatusOr<std::optional<std::string>> token = corral::ReadOptionalToken(options->token_file);
  if (!token.ok()) {
    std::cerr << "corral-agent: " << token.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = corral::MakeChannelCredentials(options->tls);
  if (!credentials.ok()) {
    std::cerr << "corral-agent: " << credentials.status().message() << "\n";
    return 2;
  }

  corral::v1::AgentIdentity identity;
  identity.set_service(options->service);
  identity.set_instance(options->instance.empty() ? corral::agent::DefaultInstanceName() : options->instance);
  if (options->service.empty()) {
    // --per-pod without a service: a pod's host name is the pod's name, so
    // a DaemonSet's agent is reported as its own pod.
    std::string pod = corral::agent::HostName();
    identity.set_service(corral::agent::ServiceFromPodName(pod));
    if (options->instance.empty()) identity.set_instance(pod);
  }
  identity.set_namespace_(options->pod_namespace);
  identity.set_node(options->node_name);
  identity.set_hostname(corral::agent::HostName());
  identity.set_agent_version(corral::kCorralVersion);
  identity.set_agent_started_at_unix_ms(absl::ToUnixMillis(absl::Now()));
  identity.set_proc_root(options->proc_root);
  if (std::optional<std::string> id = [] {
        absl::StatusOr<std::string> cgroup = corral::ReadFileToString("/proc/self/cgroup");
        return cgroup.ok() ? corral::agent::ContainerIdFromCgroup(*cgroup) : std::nullopt;
      }()) {
    identity.set_container_id(*id);
  }
  corral::agent::AgentRunner runner(*options, identity);
  std::unique_ptr<corral::agent::StatsdReceiver> statsd;
  if (!options->statsd_listen.empty()) {
    corral::agent::StatsdOptions statsd_options;
    statsd_options.listen = options->statsd_listen;
    statsd_options.forward = options->statsd_forward;
    absl::StatusOr<std::unique_ptr<corral::agent::StatsdReceiver>> started =
        corral::agent::StatsdReceiver::Start(statsd_options);
    if (!started.ok()) {
      std::cerr << "corral-agent: " << started.status().message() << "\n";
      return 2;
    }
    statsd = *std::move(started);
    spdlog::info("receiving Gunicorn's statsd on {}{}", absl::StrJoin(options->statsd_listen, ", "),
                 options->statsd_forward.empty() ? "" : absl::StrCat(", relaying to ", options->statsd_forward));
    runner.SetRequestStats([raw = statsd.get()] { return raw->Summarize(); });
  }

  if (options->once) {
    std::vector<corral::v1::Snapshot> snapshots;
    if (options->per_pod) {
      snapshots = runner.SampleByPod();
    } else {
      snapshots.push_back(runner.SampleOnce());
    }
    int failures = 0;
    for (const corral::v1::Snapshot& snapshot : snapshots) {
      std::string of = options->per_pod ? absl::StrCat(" of ", corral::agent::PodKey(snapshot.agent())) : "";
      for (const std::string& server : options->servers) {
        absl::Status status = corral::agent::ReportOnce(server, *credentials, *token, snapshot, absl::Seconds(10));
        if (status.ok()) {
          spdlog::info("reported {} master(s){} to {}", snapshot.instances_size(), of, server);
        } else {
          spdlog::error("{}", std::string(status.message()));
          ++failures;
        }
      }
    }
    return failures == 0 ? 0 : 1;
  }

  // One started uplink per server, for the instance `label` names (empty:
  // the agent's only one).
  auto open_uplinks = [&](const std::string& label) {
    std::vector<std::unique_ptr<corral::agent::Uplink>> uplinks;
    for (const std::string& server : options->servers) {
      corral::agent::UplinkOptions u;
      u.address = server;
      u.credentials = *credentials;
      u.token = *token;
      u.on_interval = [&runner](absl::Duration d) { runner.SetInterval(d); };
      // Retrying at most once per interval brings the fleet back within two
      // intervals of a server restart; jitter keeps the reconnections spread.
      u.max_backoff = std::clamp(options->interval, absl::Milliseconds(250), absl::Seconds(30));
      u.label = label;
      uplinks.push_back(std::make_unique<corral::agent::Uplink>(u));
      uplinks.back()->Start();
    }
    return uplinks;
  };
  absl::Notification stop;
  auto wait_for_signal = [&] {
    return std::thread([&] {
      int signal = 0;
      sigwait(&signals, &signal);
      spdlog::info("received {}, stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      stop.Notify();
    });
  };
  if (options->per_pod) {
    spdlog::info(
        "corral-agent {} on node {} reporting every pod's Gunicorn to {} every {} (masters whose pod is "
        "unknown as {}/{})",
        corral::kCorralVersion, identity.node().empty() ? identity.hostname() : identity.node(),
        absl::StrJoin(options->servers, ", "), absl::FormatDuration(options->interval), identity.service(),
        identity.instance());
    corral::agent::PodUplinks pods(
        [&](const corral::v1::AgentIdentity& agent) { return open_uplinks(corral::agent::PodKey(agent)); });
    std::thread signal_waiter = wait_for_signal();
    runner.RunByPod(&pods, &stop);
    // Every pod still reported leaves on purpose, as a single instance does.
    pods.Leave();
    pods.Stop(absl::Now() + absl::Seconds(1));
    signal_waiter.join();
    return 0;
  }
  spdlog::info("corral-agent {} for {}/{} reporting to {} every {}", corral::kCorralVersion, identity.service(),
               identity.instance(), absl::StrJoin(options->servers, ", "), absl::FormatDuration(options->interval));
  std::vector<std::unique_ptr<corral::agent::Uplink>> uplinks = open_uplinks("");
  std::vector<corral::agent::Uplink*> raw;
  for (auto& uplink : uplinks) raw.push_back(uplink.get());
  std::thread signal_waiter = wait_for_signal();
  runner.Run(raw, &stop);
  // Leaving on purpose: the servers drop this instance at once instead of
  // waiting for it to go offline (a container recreated by compose).
  for (auto& uplink : uplinks) uplink->Leave();
  absl::Time deadline = absl::Now() + absl::Seconds(1);
  for (auto& uplink : uplinks) uplink->Stop(deadline);
  signal_waiter.join();
  return 0;
}

}  // namespace corral::agent
