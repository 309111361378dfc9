#include "agent/agent_main.h"

#include <signal.h>

#include <algorithm>
#include <iostream>
#include <thread>

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
    corral::v1::Snapshot snapshot = runner.SampleOnce();
    int failures = 0;
    for (const std::string& server : options->servers) {
      absl::Status status = corral::agent::ReportOnce(server, *credentials, *token, snapshot, absl::Seconds(10));
      if (status.ok()) {
        spdlog::info("reported {} master(s) to {}", snapshot.instances_size(), server);
      } else {
        spdlog::error("{}", std::string(status.message()));
        ++failures;
      }
    }
    return failures == 0 ? 0 : 1;
  }

  spdlog::info("corral-agent {} for {}/{} reporting to {} every {}", corral::kCorralVersion, identity.service(),
               identity.instance(), absl::StrJoin(options->servers, ", "), absl::FormatDuration(options->interval));
  std::vector<std::unique_ptr<corral::agent::Uplink>> uplinks;
  std::vector<corral::agent::Uplink*> raw;
  for (const std::string& server : options->servers) {
    corral::agent::UplinkOptions u;
    u.address = server;
    u.credentials = *credentials;
    u.token = *token;
    u.on_interval = [&runner](absl::Duration d) { runner.SetInterval(d); };
    // Retrying at most once per interval brings the fleet back within two
    // intervals of a server restart; jitter keeps the reconnections spread.
    u.max_backoff = std::clamp(options->interval, absl::Milliseconds(250), absl::Seconds(30));
    uplinks.push_back(std::make_unique<corral::agent::Uplink>(u));
    raw.push_back(uplinks.back().get());
    uplinks.back()->Start();
  }
  absl::Notification stop;
  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("received {}, stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    stop.Notify();
  });
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
