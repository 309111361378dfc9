#include "agent/agent_options.h"

#include <map>

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

auto Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ParseAgentOptions, ComposeStyleEnvironment) {
  absl::StatusOr<AgentOptions> o = ParseAgentOptions(
      {}, Env({{"CORRAL_SERVER", "corral:7400,backup:7400"}, {"CORRAL_SERVICE", "api"}, {"CORRAL_INTERVAL", "500ms"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->servers, (std::vector<std::string>{"corral:7400", "backup:7400"}));
  EXPECT_EQ(o->service, "api");
  EXPECT_EQ(o->interval, absl::Milliseconds(500));
  EXPECT_EQ(o->rediscover, absl::Seconds(60));
  EXPECT_EQ(o->proc_root, "/proc");
  EXPECT_FALSE(o->once);
}

TEST(ParseAgentOptions, RequiredFlagsAndBadValues) {
  EXPECT_EQ(ParseAgentOptions({"--service", "api"}, Env({})).status().message(),
            "--server (or CORRAL_SERVER) is required");
  EXPECT_EQ(ParseAgentOptions({"--server", "a:1"}, Env({})).status().message(),
            "--service (or CORRAL_SERVICE) is required");
  EXPECT_EQ(ParseAgentOptions({"--server", "a:1", "--service", "s", "--interval", "10ms"}, Env({})).status().message(),
            "--interval must be at least 100ms");
  EXPECT_TRUE(ParseAgentOptions({"--help"}, Env({}))->help);
}

TEST(ParseAgentOptions, StatsdAndHookFromTheEnvironment) {
  absl::StatusOr<AgentOptions> o =
      ParseAgentOptions({"--statsd-forward", "datadog:8125"},
                        Env({{"CORRAL_SERVER", "c:7400"},
                             {"CORRAL_SERVICE", "api"},
                             {"CORRAL_STATSD_LISTEN", "127.0.0.1:8125,unix:/run/corral/statsd.sock"},
                             {"CORRAL_HOOK_DIR", "/run/corral"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->statsd_listen, (std::vector<std::string>{"127.0.0.1:8125", "unix:/run/corral/statsd.sock"}));
  EXPECT_EQ(o->statsd_forward, "datadog:8125");
  EXPECT_EQ(o->hook_dir, "/run/corral");
  EXPECT_EQ(
      ParseAgentOptions({"--server", "a:1", "--service", "s", "--statsd-forward", "x:1"}, Env({})).status().message(),
      "--statsd-forward relays what --statsd-listen receives; give --statsd-listen");
}

TEST(ParseAgentOptions, ControlSocketOnByDefaultAndSwitchable) {
  auto base = Env({{"CORRAL_SERVER", "c:7400"}, {"CORRAL_SERVICE", "api"}});
  absl::StatusOr<AgentOptions> on = ParseAgentOptions({}, base);
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->control_socket);
  EXPECT_EQ(on->control_socket_timeout, absl::Milliseconds(500));
  absl::StatusOr<AgentOptions> off = ParseAgentOptions(
      {"--control-socket-timeout", "2s"},
      Env({{"CORRAL_SERVER", "c:7400"}, {"CORRAL_SERVICE", "api"}, {"CORRAL_CONTROL_SOCKET", "off"}}));
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->control_socket);
  EXPECT_EQ(off->control_socket_timeout, absl::Seconds(2));
  EXPECT_EQ(ParseAgentOptions({"--control-socket", "sometimes"}, base).status().message(),
            "--control-socket: expected on or off, got 'sometimes'");
  EXPECT_EQ(ParseAgentOptions({"--control-socket-timeout", "1m"}, base).status().message(),
            "--control-socket-timeout must be a duration above 0 and at most 10s");
}

TEST(ParseAgentOptions, SidecarOnKubernetesTakesItsIdentityFromTheDownwardApi) {
  absl::StatusOr<AgentOptions> o = ParseAgentOptions({}, Env({{"CORRAL_SERVER", "corral:7400"},
                                                              {"CORRAL_POD_NAME", "api-7d9f8b6c5d-x2x9k"},
                                                              {"CORRAL_POD_NAMESPACE", "prod"},
                                                              {"CORRAL_NODE_NAME", "node-1"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->service, "api");
  EXPECT_EQ(o->instance, "api-7d9f8b6c5d-x2x9k");
  EXPECT_EQ(o->pod_namespace, "prod");
  EXPECT_EQ(o->node_name, "node-1");
  EXPECT_FALSE(o->per_pod);

  // The label the manifests pass as CORRAL_SERVICE, and an explicit
  // instance, win over the pod's name.
  o = ParseAgentOptions({"--instance", "api-a"}, Env({{"CORRAL_SERVER", "corral:7400"},
                                                      {"CORRAL_SERVICE", "api-backend"},
                                                      {"CORRAL_POD_NAME", "api-7d9f8b6c5d-x2x9k"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->service, "api-backend");
  EXPECT_EQ(o->instance, "api-a");

  // Outside Kubernetes nothing changes: the instance stays for the agent
  // to choose (container id, else host name).
  o = ParseAgentOptions({"--server", "a:1", "--service", "api"}, Env({}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->instance, "");
  EXPECT_EQ(o->pod_namespace, "");
  EXPECT_EQ(o->node_name, "");
}

TEST(ParseAgentOptions, NodeFormReportsPerPod) {
  absl::StatusOr<AgentOptions> o = ParseAgentOptions({}, Env({{"CORRAL_SERVER", "corral:7400"},
                                                              {"CORRAL_PER_POD", "1"},
                                                              {"CORRAL_POD_NAME", "corral-node-b7c4z"},
                                                              {"CORRAL_NODE_NAME", "node-1"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->per_pod);
  EXPECT_EQ(o->service, "corral-node");
  EXPECT_EQ(o->instance, "corral-node-b7c4z");
  EXPECT_TRUE(ParseAgentOptions({"--server", "a:1", "--service", "s", "--per-pod"}, Env({}))->per_pod);
  // A DaemonSet need not name itself: the agent takes its own pod's name
  // from its host name at start.
  o = ParseAgentOptions({"--per-pod"}, Env({{"CORRAL_SERVER", "corral:7400"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->service, "");
  EXPECT_EQ(o->instance, "");
  // Gunicorn's statsd does not say which pod sent it.
  EXPECT_EQ(ParseAgentOptions({"--server", "a:1", "--service", "s", "--per-pod", "--statsd-listen", "127.0.0.1:8125"},
                              Env({}))
                .status()
                .message(),
            "--statsd-listen cannot tell pods apart with --per-pod; run a sidecar agent beside the app to receive its "
            "statsd");
}

TEST(AgentHelp, TeachesBothKubernetesForms) {
  std::string help = AgentHelp();
  for (const char* taught :
       {"Sidecar (shareProcessNamespace: true", "CORRAL_SERVICE from the label app.kubernetes.io/name",
        "api-7d9f8b6c5d-x2x9k -> api", "Node (a DaemonSet with hostPID: true): --per-pod",
        "HOSTNAME in its environment", "SPT_NOENV=1", "--pod-name NAME", "CORRAL_POD_NAMESPACE", "CORRAL_NODE_NAME",
        "CORRAL_PER_POD"}) {
    EXPECT_NE(help.find(taught), std::string::npos) << taught << "\n" << help;
  }
}

}  // namespace
}  // namespace corral::agent
