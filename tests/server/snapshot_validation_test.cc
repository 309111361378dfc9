#include "server/snapshot_validation.h"

#include "gtest/gtest.h"
#include "tests/support/snapshot_builder.h"

namespace corral::server {
namespace {

using corral::testing::SnapshotBuilder;

std::string Why(const corral::v1::Snapshot& s) { return std::string(ValidateSnapshot(s).message()); }

TEST(ValidateSnapshot, AcceptsAnOrdinarySnapshot) {
  EXPECT_TRUE(ValidateSnapshot(SnapshotBuilder("api", "r1").Master(10, 3, 3).Build()).ok());
}

TEST(ValidateSnapshot, RefusesAbsurdValues) {
  SnapshotBuilder negative("api", "r1");
  negative.Master(10, 1, 1).last()->mutable_master()->set_pid(-5);
  EXPECT_EQ(Why(negative.Build()), "instances[0].master: pid -5 is out of range");

  SnapshotBuilder crowd("api", "r1");
  crowd.Master(10, 0, 1);
  for (int i = 0; i < 5000; ++i) {
    corral::v1::ProcessFacts* w = crowd.last()->add_workers();
    w->set_pid(100 + i);
  }
  EXPECT_EQ(Why(crowd.Build()), "instances[0]: 5000 workers exceed 4096");

  SnapshotBuilder huge("api", "r1");
  huge.Master(10, 1, 1).last()->mutable_master()->add_argv(std::string(1 << 17, 'x'));
  EXPECT_EQ(Why(huge.Build()), "instances[0].master.argv: string of 131072 bytes exceeds 16384");

  SnapshotBuilder nan("api", "r1");
  nan.Master(10, 1, 1).last()->mutable_master()->set_age_seconds(std::nan(""));
  EXPECT_NE(Why(nan.Build()).find("bad value"), std::string::npos);
}

TEST(ValidateSnapshot, RefusesAbsurdContainerResources) {
  // 2.4e29 cores once reached an int conversion in the rules.
  SnapshotBuilder quota("api", "r1");
  quota.Master(10, 1, 1).Cgroup(100, 0, 0, 2.4e29);
  EXPECT_EQ(Why(quota.Build()), "instances[0].resources: cpu_quota_cores 2.4e+29 is out of range");
  SnapshotBuilder nan("api", "r1");
  nan.Master(10, 1, 1).Cgroup(100, 0, 0, 1).last()->mutable_resources()->set_cpu_quota_cores(std::nan(""));
  EXPECT_EQ(Why(nan.Build()), "instances[0].resources: cpu_quota_cores nan is out of range");
  SnapshotBuilder cpus("api", "r1");
  cpus.Master(10, 1, 1).Cgroup(100, 0).last()->mutable_resources()->set_effective_cpus(-2);
  EXPECT_EQ(Why(cpus.Build()), "instances[0].resources: effective_cpus -2 is out of range");
  SnapshotBuilder memory("api", "r1");
  memory.Master(10, 1, 1).Cgroup(-1, 0);
  EXPECT_EQ(Why(memory.Build()), "instances[0].resources: negative memory, OOM kill or pid count");
  SnapshotBuilder fine("api", "r1");
  fine.Master(10, 1, 1).Cgroup(100, 1 << 30, 2, 1.5);
  EXPECT_TRUE(ValidateSnapshot(fine.Build()).ok());
}

TEST(ValidateSnapshot, RefusesMissingIdentityAndBadIntervals) {
  EXPECT_EQ(Why(SnapshotBuilder("", "r1").Build()), "agent.service is empty");
  EXPECT_NE(Why(SnapshotBuilder("api", "has space").Build()).find("printable ASCII without spaces"), std::string::npos);
  EXPECT_EQ(Why(SnapshotBuilder("api", "r1", 0).Build()), "agent.interval_ms 0 is outside [50, 3600000]");
  EXPECT_EQ(Why(SnapshotBuilder("api", std::string(300, 'i')).Build()), "agent.instance is longer than 253 bytes");
}

TEST(ValidateSnapshot, KubernetesNamesAreOptionalButNamesWhenGiven) {
  EXPECT_TRUE(ValidateSnapshot(SnapshotBuilder("api", "api-0").Pod("prod", "node-1").Build()).ok());
  EXPECT_TRUE(ValidateSnapshot(SnapshotBuilder("api", "api-0").Pod("", "").Build()).ok());
  EXPECT_NE(Why(SnapshotBuilder("api", "api-0").Pod("my prod").Build()).find("agent.namespace 'my prod' must be"),
            std::string::npos);
  EXPECT_EQ(Why(SnapshotBuilder("api", "api-0").Pod("prod/eu").Build()),
            "agent.namespace 'prod/eu' must not contain '/'");
  EXPECT_EQ(Why(SnapshotBuilder("api", "api-0").Pod("prod", std::string(300, 'n')).Build()),
            "agent.node is longer than 253 bytes");
}

TEST(ValidateWireSize, RefusesMessagesOverAMegabyte) {
  EXPECT_TRUE(ValidateWireSize(4096).ok());
  EXPECT_TRUE(ValidateWireSize(kMaxSnapshotBytes).ok());
  EXPECT_EQ(ValidateWireSize(kMaxSnapshotBytes + 1).message(), "message of 1048577 bytes exceeds 1048576");
}

}  // namespace
}  // namespace corral::server
