#include "agent/agent_runner.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

corral::v1::AgentIdentity Own() {
  corral::v1::AgentIdentity own;
  own.set_service("corral-node");
  own.set_instance("corral-node-b7c4z");
  own.set_namespace_("corral");
  own.set_node("node-1");
  own.set_hostname("node-1");
  own.set_interval_ms(5000);
  own.set_container_id(std::string(64, 'a'));
  return own;
}

corral::v1::Snapshot Sample(const std::vector<int>& masters) {
  corral::v1::Snapshot sample;
  sample.set_sampled_at_unix_ms(1000);
  sample.set_sequence(7);
  sample.set_scan_kind(corral::v1::STEADY_STATE);
  sample.set_scan_duration_us(250);
  sample.add_scan_errors("proc root: something");
  for (int pid : masters) {
    corral::v1::GunicornInstance* master = sample.add_instances();
    master->mutable_master()->set_pid(pid);
    master->mutable_resources()->set_cgroup_path("/sys/fs/cgroup/kubepods.slice/cri-containerd-" +
                                                 std::string(63, 'c') + std::to_string(pid % 10) + ".scope");
  }
  return sample;
}

PodIdentity Pod(const std::string& name, const std::string& ns, const std::string& service) {
  return PodIdentity{name, ns, service};
}

TEST(SplitByPod, EachPodGetsItsMastersUnderItsOwnIdentity) {
  PodsOfMasters pods;
  pods.emplace(10, Pod("api-7d9f8b6c5d-x2x9k", "prod", "api"));
  pods.emplace(20, Pod("billing-0", "prod", "billing"));
  pods.emplace(30, Pod("api-7d9f8b6c5d-q4w7z", "prod", "api"));

  std::vector<corral::v1::Snapshot> split = SplitByPod(Sample({10, 20, 30}), pods, Own());

  ASSERT_EQ(split.size(), 3u);
  // In PodKey order: prod/api/...-q4w7z, prod/api/...-x2x9k, prod/billing/billing-0.
  EXPECT_EQ(split[0].agent().instance(), "api-7d9f8b6c5d-q4w7z");
  EXPECT_EQ(split[1].agent().instance(), "api-7d9f8b6c5d-x2x9k");
  EXPECT_EQ(split[2].agent().instance(), "billing-0");
  const corral::v1::Snapshot& api = split[1];
  EXPECT_EQ(api.agent().service(), "api");
  EXPECT_EQ(api.agent().namespace_(), "prod");
  ASSERT_EQ(api.instances_size(), 1);
  EXPECT_EQ(api.instances(0).master().pid(), 10);
  EXPECT_EQ(api.instances(0).warnings_size(), 0);
  // The pod's own container, and the agent's node and interval.
  EXPECT_EQ(api.agent().container_id(), std::string(63, 'c') + "0");
  EXPECT_EQ(api.agent().node(), "node-1");
  EXPECT_EQ(api.agent().interval_ms(), 5000);
  // The sample's moment.
  EXPECT_EQ(api.sampled_at_unix_ms(), 1000);
  EXPECT_EQ(api.sequence(), 7u);
  EXPECT_EQ(api.scan_kind(), corral::v1::STEADY_STATE);
  EXPECT_EQ(api.scan_duration_us(), 250);
  EXPECT_EQ(api.scan_errors_size(), 1);
  EXPECT_FALSE(api.has_request_stats());
}

// A pod's names come from its master's environment, the agent's own from
// flags and the host: bytes that are not UTF-8 would make the server
// refuse the whole message, so they become U+FFFD like the probe's.
TEST(SplitByPod, NamesThatAreNotUtf8AreMadeValid) {
  PodsOfMasters pods;
  pods.emplace(10, Pod("api-\xe9", "prod", "api"));
  std::vector<corral::v1::Snapshot> split = SplitByPod(Sample({10}), pods, Own());
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].agent().instance(), "api-\uFFFD");
}

TEST(AgentRunner, ItsOwnIdentityIsMadeValidUtf8) {
  AgentOptions options;
  options.proc_root = std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/proc-fleet";
  corral::v1::AgentIdentity identity = Own();
  identity.set_proc_root(
      "/host/pr\xf4"
      "c");
  identity.set_hostname("h\xf4te");
  AgentRunner runner(options, identity);
  corral::v1::Snapshot snapshot = runner.SampleOnce();
  EXPECT_EQ(snapshot.agent().proc_root(), "/host/pr\uFFFDc");
  EXPECT_EQ(snapshot.agent().hostname(), "h\uFFFDte");
  corral::v1::Snapshot parsed;
  EXPECT_TRUE(parsed.ParseFromString(snapshot.SerializeAsString()));
}

TEST(SplitByPod, MastersOfOnePodShareItsSnapshot) {
  PodsOfMasters pods;
  pods.emplace(10, Pod("api-0", "", "api"));
  pods.emplace(11, Pod("api-0", "", "api"));
  std::vector<corral::v1::Snapshot> split = SplitByPod(Sample({10, 11}), pods, Own());
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].instances_size(), 2);
  // The pod's namespace is unknown: it is not the agent's.
  EXPECT_EQ(split[0].agent().namespace_(), "");
}

TEST(SplitByPod, MastersWithoutAPodStayWithTheAgentAndSayWhy) {
  PodsOfMasters pods;
  pods.emplace(10, Pod("api-0", "prod", "api"));
  pods.emplace(20, absl::NotFoundError("setproctitle erased the environment of master 20"));
  corral::v1::Snapshot sample = Sample({10, 20});
  sample.mutable_request_stats()->set_requests_total(5);

  std::vector<corral::v1::Snapshot> split = SplitByPod(sample, pods, Own());

  ASSERT_EQ(split.size(), 2u);
  const corral::v1::Snapshot& own = split[1];
  EXPECT_EQ(own.agent().service(), "corral-node");
  EXPECT_EQ(own.agent().instance(), "corral-node-b7c4z");
  EXPECT_EQ(own.agent().namespace_(), "corral");
  EXPECT_EQ(own.agent().container_id(), std::string(64, 'a'));
  ASSERT_EQ(own.instances_size(), 1);
  ASSERT_EQ(own.instances(0).warnings_size(), 1);
  EXPECT_EQ(own.instances(0).warnings(0).code(), "POD_UNKNOWN");
  EXPECT_EQ(own.instances(0).warnings(0).message(),
            "setproctitle erased the environment of master 20; reported as corral-node/corral-node-b7c4z");
  EXPECT_EQ(own.request_stats().requests_total(), 5);
  EXPECT_FALSE(split[0].has_request_stats());
}

TEST(SplitByPod, TheAgentsOwnSnapshotOnlyWhenAMasterIsLeftToIt) {
  PodsOfMasters pods;
  pods.emplace(10, Pod("api-0", "prod", "api"));
  std::vector<corral::v1::Snapshot> split = SplitByPod(Sample({10}), pods, Own());
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].agent().service(), "api");
  EXPECT_TRUE(SplitByPod(Sample({}), {}, Own()).empty());
}

}  // namespace
}  // namespace corral::agent
