// corral-agent's flags (each also from the CORRAL_* variable of the same
// name, so a compose file configures the agent with its environment).
#ifndef CORRAL_AGENT_AGENT_OPTIONS_H_
#define CORRAL_AGENT_AGENT_OPTIONS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_security.h"

namespace corral::agent {

struct AgentOptions {
  std::vector<std::string> servers;
  // --service, else derived from --pod-name (ServiceFromPodName); may stay
  // empty with --per-pod: the agent then derives it from its host name.
  std::string service;
  // --instance, else --pod-name; empty: container id, else host name.
  std::string instance;
  // On Kubernetes, from the Downward API: the agent's own pod, its
  // namespace, and the node it runs on.
  std::string pod_name;
  std::string pod_namespace;
  std::string node_name;
  // The node form (a DaemonSet with hostPID): every Gunicorn master is
  // reported under the pod found in its environment, one snapshot per pod;
  // masters whose pod is unknown under the agent's own identity.
  bool per_pod = false;
  absl::Duration interval = absl::Seconds(5);
  absl::Duration rediscover = absl::Seconds(60);
  std::string proc_root = "/proc";
  std::string token_file;
  TlsFiles tls;
  bool once = false;
  // Gunicorn's statsd sink: "HOST:PORT" (UDP) or "unix:PATH"; and where to
  // relay every datagram unchanged.
  std::vector<std::string> statsd_listen;
  std::string statsd_forward;
  // Directory where Corral's Gunicorn hook writes its reports.
  std::string hook_dir;
  // Query Gunicorn 25.1+ control sockets, and how long to wait for one.
  bool control_socket = true;
  absl::Duration control_socket_timeout = absl::Milliseconds(500);
  std::string log_level = "info";
  bool help = false;
};

absl::StatusOr<AgentOptions> ParseAgentOptions(
    const std::vector<std::string>& args, const std::function<std::optional<std::string>(const std::string&)>& getenv);

std::string AgentHelp();

}  // namespace corral::agent

#endif  // CORRAL_AGENT_AGENT_OPTIONS_H_
