#include "agent/identity.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

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

TEST(ServiceFromPodName, DeploymentPodsLoseTheirTemplateHashAndSuffix) {
  EXPECT_EQ(ServiceFromPodName("api-7d9f8b6c5d-x2x9k"), "api");
  EXPECT_EQ(ServiceFromPodName("api-backend-5d8f9c7b4-q4w7z"), "api-backend");
  // A workload name that ends like a generated word keeps it: only one
  // hash and one suffix go.
  EXPECT_EQ(ServiceFromPodName("web-v2-7d9f8b6c5d-x2x9k"), "web-v2");
}

TEST(ServiceFromPodName, ReplicaSetDaemonSetAndJobPodsLoseTheirSuffix) {
  EXPECT_EQ(ServiceFromPodName("web-x2x9k"), "web");
  EXPECT_EQ(ServiceFromPodName("node-agent-b7c4z"), "node-agent");
}

TEST(ServiceFromPodName, StatefulSetPodsLoseTheirOrdinal) {
  EXPECT_EQ(ServiceFromPodName("db-0"), "db");
  EXPECT_EQ(ServiceFromPodName("api-backend-12"), "api-backend");
}

TEST(ServiceFromPodName, NamesThatFitNoControllerComeBackWhole) {
  EXPECT_EQ(ServiceFromPodName("api"), "api");
  // Vowels, 0, 1 and 3 never appear in generated suffixes; "07" is no
  // ordinal.
  EXPECT_EQ(ServiceFromPodName("api-redis"), "api-redis");
  EXPECT_EQ(ServiceFromPodName("api-backend"), "api-backend");
  EXPECT_EQ(ServiceFromPodName("api-x2x91"), "api-x2x91");
  EXPECT_EQ(ServiceFromPodName("batch-07"), "batch-07");
  EXPECT_EQ(ServiceFromPodName("api-x2x9"), "api-x2x9");
  // A hash too short for a pod-template-hash is part of the name.
  EXPECT_EQ(ServiceFromPodName("api-7d9f-x2x9k"), "api-7d9f");
  // Nothing is left of a name that is only a suffix.
  EXPECT_EQ(ServiceFromPodName("-x2x9k"), "-x2x9k");
  EXPECT_EQ(ServiceFromPodName("0"), "0");
  EXPECT_EQ(ServiceFromPodName(""), "");
}

EnvironmentRead Readable(gunicorn::Environ environ) {
  EnvironmentRead read;
  read.environ = std::move(environ);
  return read;
}

TEST(PodOfMaster, HostnameIsThePodAndItsServiceComesFromItsName) {
  absl::StatusOr<PodIdentity> pod =
      PodOfMaster(42, Readable({{"PATH", "/usr/bin"}, {"HOSTNAME", "api-backend-7d9f8b6c5d-x2x9k"}}));
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->name, "api-backend-7d9f8b6c5d-x2x9k");
  EXPECT_EQ(pod->service, "api-backend");
  EXPECT_EQ(pod->pod_namespace, "");
}

TEST(PodOfMaster, TheAppContainersCorralVariablesWin) {
  absl::StatusOr<PodIdentity> pod = PodOfMaster(42, Readable({{"HOSTNAME", "node-1"},
                                                              {"CORRAL_POD_NAME", "shop-0"},
                                                              {"CORRAL_POD_NAMESPACE", "prod"},
                                                              {"CORRAL_SERVICE", "storefront"}}));
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->name, "shop-0");
  EXPECT_EQ(pod->pod_namespace, "prod");
  EXPECT_EQ(pod->service, "storefront");
  // Empty variables count as absent.
  pod = PodOfMaster(42, Readable({{"HOSTNAME", "shop-1"}, {"CORRAL_POD_NAME", ""}, {"CORRAL_SERVICE", ""}}));
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->name, "shop-1");
  EXPECT_EQ(pod->service, "shop");
}

TEST(PodOfMaster, AnUnknownPodSaysWhyAndHowToMakeItVisible) {
  EnvironmentRead erased;
  erased.erased = true;
  absl::StatusOr<PodIdentity> pod = PodOfMaster(42, erased);
  EXPECT_EQ(pod.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(pod.status().message(),
            "setproctitle erased the environment of master 42, so its pod is unknown: set SPT_NOENV=1 in the app "
            "container's environment to keep it visible, or run the agent as a sidecar in the pod");

  EnvironmentRead unreadable;
  unreadable.error = "environ: permission denied";
  EXPECT_EQ(PodOfMaster(42, unreadable).status().message(),
            "the environment of master 42 is unreadable (environ: permission denied), so its pod is unknown: give "
            "the agent the SYS_PTRACE and DAC_READ_SEARCH capabilities");

  EXPECT_EQ(PodOfMaster(42, Readable({{"PATH", "/usr/bin"}})).status().message(),
            "master 42 has neither CORRAL_POD_NAME nor HOSTNAME in its environment, so it does not seem to run in a "
            "pod: set CORRAL_POD_NAME (Downward API metadata.name) in its container to report it under its pod");
}

TEST(ReadEnvironment, ReadableZeroedAndMissing) {
  std::string root = corral::testing::MakeTempDir("environ");
  corral::testing::WriteFile(root + "/10/environ", std::string("HOSTNAME=api-0\0CORRAL_SERVICE=api\0", 34));
  corral::testing::WriteFile(root + "/11/environ", std::string(40, '\0'));
  ProcReader reader(root);

  EnvironmentRead readable = ReadEnvironment(reader, 10);
  ASSERT_TRUE(readable.environ.has_value());
  EXPECT_EQ(*readable.environ, (gunicorn::Environ{{"HOSTNAME", "api-0"}, {"CORRAL_SERVICE", "api"}}));
  EXPECT_FALSE(readable.erased);

  EnvironmentRead zeroed = ReadEnvironment(reader, 11);
  EXPECT_FALSE(zeroed.environ.has_value());
  EXPECT_TRUE(zeroed.erased);

  EnvironmentRead missing = ReadEnvironment(reader, 12);
  EXPECT_FALSE(missing.environ.has_value());
  EXPECT_FALSE(missing.erased);
  EXPECT_EQ(missing.error, "environ: vanished");
}

}  // namespace
}  // namespace corral::agent
