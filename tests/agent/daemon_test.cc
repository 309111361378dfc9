#include <map>

#include "agent/agent_options.h"
#include "agent/identity.h"
#include "agent/worker_churn.h"
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

TEST(ContainerId, FromCgroupPaths) {
  const std::string id(64, 'a');
  EXPECT_EQ(ContainerIdFromCgroup("0::/system.slice/docker-" + id + ".scope\n"), id);
  EXPECT_EQ(ContainerIdFromCgroup("12:pids:/docker/" + id + "\n"), id);
  EXPECT_EQ(ContainerIdFromCgroup("0::/kubepods/burstable/pod1/cri-containerd-" + id + ".scope\n"), id);
  EXPECT_FALSE(ContainerIdFromCgroup("0::/\n").has_value());
  EXPECT_FALSE(ContainerIdFromCgroup("4:memory:/process_api/e926df41d94504a6bd0b8f83c15cbe36\n").has_value());
}

TEST(ContainerId, FromMountInfo) {
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_EQ(ContainerIdFromMountInfo("612 600 254:1 /var/lib/docker/containers/" + id +
                                     "/hostname /etc/hostname rw - ext4 /dev/vda1 rw\n"),
            id);
  EXPECT_FALSE(ContainerIdFromMountInfo("1 0 0:1 / / rw - overlay overlay rw\n").has_value());
}

corral::v1::Snapshot WithWorkers(int master, int64_t start_ms, std::vector<int> workers) {
  corral::v1::Snapshot s;
  corral::v1::GunicornInstance* inst = s.add_instances();
  inst->mutable_master()->set_pid(master);
  inst->mutable_master()->set_start_time_unix_ms(start_ms);
  for (int w : workers) inst->add_workers()->set_pid(w);
  return s;
}

TEST(WorkerChurn, CountsReplacementsNotScaling) {
  WorkerChurn churn;
  absl::Time t = absl::FromUnixSeconds(1000);
  corral::v1::Snapshot s = WithWorkers(10, 5000, {11, 12});
  churn.Update(t, s);
  EXPECT_EQ(s.instances(0).worker_restarts(), 0);
  EXPECT_DOUBLE_EQ(s.instances(0).observed_seconds(), 0);

  s = WithWorkers(10, 5000, {11, 12, 13});  // TTIN: no restart
  churn.Update(t + absl::Seconds(30), s);
  EXPECT_EQ(s.instances(0).worker_restarts(), 0);

  s = WithWorkers(10, 5000, {11, 14, 15});  // 12 and 13 replaced
  churn.Update(t + absl::Seconds(60), s);
  EXPECT_EQ(s.instances(0).worker_restarts(), 2);
  EXPECT_DOUBLE_EQ(s.instances(0).worker_restarts_per_minute(), 2.0);
  EXPECT_DOUBLE_EQ(s.instances(0).observed_seconds(), 60);

  s = WithWorkers(10, 5000, {11});  // TTOU twice: no restart
  churn.Update(t + absl::Seconds(120), s);
  EXPECT_EQ(s.instances(0).worker_restarts(), 2);

  s = WithWorkers(10, 5000, {11});  // restarts age out of the 5-minute window
  churn.Update(t + absl::Minutes(8), s);
  EXPECT_EQ(s.instances(0).worker_restarts(), 2);
  EXPECT_DOUBLE_EQ(s.instances(0).worker_restarts_per_minute(), 0);
}

TEST(WorkerChurn, AReusedPidIsANewMaster) {
  WorkerChurn churn;
  absl::Time t = absl::FromUnixSeconds(1000);
  corral::v1::Snapshot s = WithWorkers(10, 5000, {11});
  churn.Update(t, s);
  s = WithWorkers(10, 5000, {12});
  churn.Update(t + absl::Seconds(5), s);
  EXPECT_EQ(s.instances(0).worker_restarts(), 1);
  s = WithWorkers(10, 900000, {13});  // started much later: another process
  churn.Update(t + absl::Seconds(10), s);
  EXPECT_EQ(s.instances(0).worker_restarts(), 0);
  EXPECT_DOUBLE_EQ(s.instances(0).observed_seconds(), 0);
}

}  // namespace
}  // namespace corral::agent
