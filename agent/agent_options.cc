#include "agent/agent_options.h"

#include "absl/strings/str_cat.h"
#include "agent/identity.h"
#include "common/daemon.h"
#include "common/duration.h"
#include "common/flags.h"

namespace corral::agent {
namespace {

const std::vector<FlagSpec>& Specs() {
  static const auto* specs = new std::vector<FlagSpec>{
      {"server", "HOST:PORT", "corral-server to report to (HOST:PORT or unix:PATH); comma-separated in the variable",
       "", "CORRAL_SERVER", true},
      {"service", "NAME",
       "Service this instance belongs to (default: derived from --pod-name, or with --per-pod from the host name; "
       "else required)",
       "", "CORRAL_SERVICE"},
      {"instance", "NAME", "Instance name (default: --pod-name, else the container id, else the host name)", "",
       "CORRAL_INSTANCE"},
      {"pod-name", "NAME", "Kubernetes: this agent's pod (Downward API metadata.name)", "", "CORRAL_POD_NAME"},
      {"pod-namespace", "NS", "Kubernetes: this agent's namespace (Downward API metadata.namespace)", "",
       "CORRAL_POD_NAMESPACE"},
      {"node-name", "NODE", "Kubernetes: the node it runs on (Downward API spec.nodeName)", "", "CORRAL_NODE_NAME"},
      {"per-pod", "",
       "Node form: report each Gunicorn master under its own pod, read from the master's environment "
       "(HOSTNAME, CORRAL_SERVICE, CORRAL_POD_NAMESPACE)",
       "", "CORRAL_PER_POD"},
      {"interval", "DURATION", "Sampling interval", "5s", "CORRAL_INTERVAL"},
      {"rediscover", "DURATION", "Full process scan at least this often", "60s", "CORRAL_REDISCOVER"},
      {"proc-root", "DIR", "Proc root to read (a host /proc mounted elsewhere)", "/proc", "CORRAL_PROC_ROOT"},
      {"token-file", "FILE", "Send this bearer token to the servers", "", "CORRAL_TOKEN_FILE"},
      {"tls-ca", "FILE", "Use TLS and verify servers against this CA (PEM)", "", "CORRAL_TLS_CA"},
      {"tls-cert", "FILE", "Client certificate for mutual TLS (PEM)", "", "CORRAL_TLS_CERT"},
      {"tls-key", "FILE", "Private key of --tls-cert (PEM)", "", "CORRAL_TLS_KEY"},
      {"statsd-listen", "ADDR",
       "Receive Gunicorn's statsd (its --statsd-host) on HOST:PORT (UDP) or unix:PATH; repeatable", "",
       "CORRAL_STATSD_LISTEN", true},
      {"statsd-forward", "ADDR", "Relay every statsd datagram unchanged to HOST:PORT (UDP) or unix:PATH", "",
       "CORRAL_STATSD_FORWARD"},
      {"hook-dir", "DIR", "Read the reports of Corral's Gunicorn hook (agent/gunicorn/corral_hook.py) here", "",
       "CORRAL_HOOK_DIR"},
      {"control-socket", "on|off",
       "Ask Gunicorn 25.1+ masters their exact settings and workers on their control socket (show commands only)", "on",
       "CORRAL_CONTROL_SOCKET"},
      {"control-socket-timeout", "DURATION", "Give up on a control socket that has not answered within this", "500ms",
       "CORRAL_CONTROL_SOCKET_TIMEOUT"},
      {"once", "", "Sample once, send it with a unary call to every server, and exit", "", "CORRAL_ONCE"},
      {"log-level", "LEVEL", "debug, info, warn or error", "info", "CORRAL_LOG_LEVEL"},
  };
  return *specs;
}

}  // namespace

std::string AgentHelp() {
  return absl::StrCat(
      "Usage: corral-agent --server HOST:PORT --service NAME [FLAGS]\n\n"
      "Watches every Gunicorn in its view of /proc and reports snapshots to corral-server on a\n"
      "long-lived stream per server, re-opened with backoff when it breaks. Run it inside the\n"
      "container, or as a sidecar sharing the app's PID namespace (pid: \"service:APP\", plus\n"
      "cap_add: [SYS_PTRACE] when the app runs as another user).\n\n"
      "On Kubernetes, two forms:\n"
      "  Sidecar (shareProcessNamespace: true, or a native sidecar): set CORRAL_POD_NAME and\n"
      "  CORRAL_POD_NAMESPACE from the Downward API (metadata.name, metadata.namespace) and\n"
      "  CORRAL_SERVICE from the label app.kubernetes.io/name. The instance is the pod's name;\n"
      "  without CORRAL_SERVICE the service comes from the pod's name (api-7d9f8b6c5d-x2x9k -> api,\n"
      "  db-0 -> db).\n"
      "  Node (a DaemonSet with hostPID: true): --per-pod, plus CORRAL_NODE_NAME (spec.nodeName).\n"
      "  Each master is reported under its own pod: HOSTNAME in its environment is the pod's name,\n"
      "  CORRAL_SERVICE and CORRAL_POD_NAMESPACE there (when the app container sets them) its\n"
      "  service and namespace, else the service comes from the pod's name. A master whose\n"
      "  environment setproctitle erased (set SPT_NOENV=1 in the app) or the agent cannot read\n"
      "  (give it SYS_PTRACE and DAC_READ_SEARCH) is reported under the agent's own identity, with a\n"
      "  warning: by default"
      " its own pod, named by its host name (corral-agent-b7c4z, service corral-agent).\n"
      "  With capabilities dropped (drop: [ALL]), reading another user's Gunicorn needs SYS_PTRACE\n"
      "  and DAC_READ_SEARCH (its /proc files are that user's), or the agent run as that user.\n\n"
      "Flags:\n",
      FlagsHelp(Specs()),
      "\nExit status: 0 on SIGTERM/SIGINT (or after --once delivered everywhere), 2 on bad usage,\n"
      "1 when --once could not deliver to every server.\n");
}

absl::StatusOr<AgentOptions> ParseAgentOptions(
    const std::vector<std::string>& args, const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  absl::StatusOr<Flags> flags = ParseFlags(Specs(), args, getenv);
  if (!flags.ok()) return flags.status();
  AgentOptions options;
  options.help = flags->help_requested();
  if (options.help) return options;
  if (!flags->positionals().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", flags->positionals()[0], "'"));
  }
  options.servers = flags->GetAll("server");
  if (options.servers.empty()) return absl::InvalidArgumentError("--server (or CORRAL_SERVER) is required");
  options.pod_name = flags->Get("pod-name");
  options.pod_namespace = flags->Get("pod-namespace");
  options.node_name = flags->Get("node-name");
  options.per_pod = flags->GetBool("per-pod");
  options.service = flags->Get("service");
  if (options.service.empty() && !options.pod_name.empty()) options.service = ServiceFromPodName(options.pod_name);
  // --per-pod reports other pods' masters; its own identity (for masters
  // whose pod is unknown) may come from its host name at start.
  if (options.service.empty() && !options.per_pod) {
    return absl::InvalidArgumentError("--service (or CORRAL_SERVICE) is required");
  }
  options.instance = flags->Get("instance");
  if (options.instance.empty()) options.instance = options.pod_name;
  for (const char* name : {"interval", "rediscover"}) {
    absl::StatusOr<absl::Duration> d = ParseDuration(flags->Get(name));
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", d.status().message()));
    (std::string(name) == "interval" ? options.interval : options.rediscover) = *d;
  }
  if (options.interval < absl::Milliseconds(100))
    return absl::InvalidArgumentError("--interval must be at least 100ms");
  options.proc_root = flags->Get("proc-root");
  options.token_file = flags->Get("token-file");
  options.tls = {flags->Get("tls-ca"), flags->Get("tls-cert"), flags->Get("tls-key")};
  options.once = flags->GetBool("once");
  options.statsd_listen = flags->GetAll("statsd-listen");
  options.statsd_forward = flags->Get("statsd-forward");
  if (!options.statsd_forward.empty() && options.statsd_listen.empty()) {
    return absl::InvalidArgumentError("--statsd-forward relays what --statsd-listen receives; give --statsd-listen");
  }
  if (options.per_pod && !options.statsd_listen.empty()) {
    // Datagrams do not say which pod's Gunicorn sent them.
    return absl::InvalidArgumentError(
        "--statsd-listen cannot tell pods apart with --per-pod; run a sidecar agent beside the app to receive its "
        "statsd");
  }
  options.hook_dir = flags->Get("hook-dir");
  absl::StatusOr<bool> control = ParseOnOff(flags->Get("control-socket"));
  if (!control.ok()) return absl::InvalidArgumentError(absl::StrCat("--control-socket: ", control.status().message()));
  options.control_socket = *control;
  absl::StatusOr<absl::Duration> control_timeout = ParseDuration(flags->Get("control-socket-timeout"));
  if (!control_timeout.ok() || *control_timeout <= absl::ZeroDuration() || *control_timeout > absl::Seconds(10)) {
    return absl::InvalidArgumentError("--control-socket-timeout must be a duration above 0 and at most 10s");
  }
  options.control_socket_timeout = *control_timeout;
  options.log_level = flags->Get("log-level");
  if (absl::Status level = CheckLogLevel(options.log_level); !level.ok()) return level;
  return options;
}

}  // namespace corral::agent
