#include "server/registry.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/snapshot_builder.h"

namespace corral::server {
namespace {

using corral::testing::SnapshotBuilder;

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest() {
    RegistryOptions options;
    options.expire = absl::Minutes(10);
    options.now = [this] { return now_; };
    registry_ = std::make_unique<Registry>(options);
  }
  InstanceState StateOf(const std::string& instance) {
    for (const InstanceView& v : registry_->Instances()) {
      if (v.instance() == instance) return v.state;
    }
    ADD_FAILURE() << instance << " not found";
    return InstanceState::kOffline;
  }
  absl::Time now_ = absl::FromUnixSeconds(1000);
  std::unique_ptr<Registry> registry_;
};

TEST_F(RegistryTest, StreamedInstanceIsOnlineThenDisconnectedAtOnceThenOffline) {
  EXPECT_TRUE(registry_->Record(SnapshotBuilder("api", "r1", 5000).Master(10, 3, 3).Report()));
  registry_->StreamOpened("api", "r1");
  EXPECT_EQ(StateOf("r1"), InstanceState::kOnline);
  registry_->StreamClosed("api", "r1");
  EXPECT_EQ(StateOf("r1"), InstanceState::kDisconnected);
  now_ += absl::Seconds(14);
  EXPECT_EQ(StateOf("r1"), InstanceState::kDisconnected);
  now_ += absl::Seconds(1);  // 3 intervals of 5 s
  EXPECT_EQ(StateOf("r1"), InstanceState::kOffline);
}

TEST_F(RegistryTest, OpenStreamWithoutReportsStillGoesOffline) {
  registry_->Record(SnapshotBuilder("api", "r1", 1000).Master(10, 3, 3).Report());
  registry_->StreamOpened("api", "r1");
  now_ += absl::Milliseconds(2999);
  EXPECT_EQ(StateOf("r1"), InstanceState::kOnline);
  now_ += absl::Milliseconds(1);
  EXPECT_EQ(StateOf("r1"), InstanceState::kOffline);
}

TEST_F(RegistryTest, UnaryReporterIsOnlineUntilThreeIntervalsPass) {
  registry_->Record(SnapshotBuilder("api", "once", 2000).Master(10, 1, 1).Report());
  EXPECT_EQ(StateOf("once"), InstanceState::kOnline);
  now_ += absl::Seconds(6);
  EXPECT_EQ(StateOf("once"), InstanceState::kOffline);
}

TEST_F(RegistryTest, AReportBringsAnInstanceBack) {
  registry_->Record(SnapshotBuilder("api", "r1", 1000).Master(10, 3, 3).Report());
  now_ += absl::Seconds(10);
  EXPECT_EQ(StateOf("r1"), InstanceState::kOffline);
  EXPECT_FALSE(registry_->Record(SnapshotBuilder("api", "r1", 1000).Master(10, 3, 3).Report()));
  EXPECT_EQ(StateOf("r1"), InstanceState::kOnline);
}

TEST_F(RegistryTest, SweepReportsEachChangeOnceAndForgetsAfterExpire) {
  registry_->Record(SnapshotBuilder("api", "r1", 1000).Master(10, 3, 3).Report());
  registry_->Record(SnapshotBuilder("api", "r2", 1000).Master(20, 3, 3).Report());
  EXPECT_TRUE(registry_->Sweep().empty());
  now_ += absl::Seconds(3);
  registry_->Record(SnapshotBuilder("api", "r2", 1000).Master(20, 3, 3).Report());
  std::vector<StateChange> changes = registry_->Sweep();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].instance, "r1");
  EXPECT_EQ(changes[0].state, InstanceState::kOffline);
  EXPECT_TRUE(registry_->Sweep().empty());  // said once
  now_ += absl::Minutes(10);
  changes = registry_->Sweep();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_TRUE(changes[0].forgotten);
  EXPECT_TRUE(changes[1].forgotten);
  EXPECT_EQ(registry_->size(), 0u);
}

TEST_F(RegistryTest, InstancesAreOrderedAndFilteredByService) {
  registry_->Record(SnapshotBuilder("web", "b", 1000).Master(1, 1, 1).Report());
  registry_->Record(SnapshotBuilder("api", "z", 1000).Master(1, 1, 1).Report());
  registry_->Record(SnapshotBuilder("api", "a", 1000).Master(1, 1, 1).Report());
  std::vector<InstanceView> all = registry_->Instances();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].instance(), "a");
  EXPECT_EQ(all[1].instance(), "z");
  EXPECT_EQ(all[2].service(), "web");
  std::vector<InstanceView> api = registry_->Instances(std::string("api"));
  ASSERT_EQ(api.size(), 2u);
  EXPECT_EQ(registry_->Instances(std::string("nope")).size(), 0u);

  // Many replicas, recorded in a scrambled order, come back in name order.
  for (int i = 0; i < 200; ++i) {
    registry_->Record(SnapshotBuilder("many", absl::StrCat("r", (i * 37) % 200 + 1000), 1000).Master(1, 1, 1).Report());
  }
  std::vector<InstanceView> many = registry_->ServiceSnapshot("many").first;
  ASSERT_EQ(many.size(), 200u);
  for (size_t i = 0; i < many.size(); ++i) EXPECT_EQ(many[i].instance(), absl::StrCat("r", 1000 + i));
}

TEST_F(RegistryTest, OnlyWhatCanChangeAJudgementAtOnceMovesTheMaterialVersion) {
  auto versions = [&] { return registry_->ServiceVersions().front(); };
  registry_->Record(SnapshotBuilder("api", "a").Master(10, 3, 3).Report());
  ServiceVersion first = versions();
  EXPECT_EQ(first.material, first.version);  // a new instance
  // The same facts but for measurements: the version moves, not material.
  registry_->Record(SnapshotBuilder("api", "a").Master(10, 3, 3).Churn(12, 300).Report());
  ServiceVersion measured = versions();
  EXPECT_GT(measured.version, first.version);
  EXPECT_EQ(measured.material, first.material);
  // Workers, masters, configuration, streams and new instances do.
  registry_->Record(SnapshotBuilder("api", "a").Master(10, 2, 3).Report());
  EXPECT_EQ(versions().material, versions().version);
  uint64_t before = versions().material;
  registry_->Record(SnapshotBuilder("api", "a").Master(10, 2, 3).Set("timeout", "120", "cmdline").Report());
  EXPECT_GT(versions().material, before);
  before = versions().material;
  registry_->StreamOpened("api", "a");
  EXPECT_GT(versions().material, before);
  before = versions().material;
  registry_->Record(SnapshotBuilder("api", "b").Master(10, 3, 3).Report());
  EXPECT_GT(versions().material, before);
}

TEST_F(RegistryTest, AnOomKillIsKeptWithWhenItHappened) {
  registry_->Record(SnapshotBuilder("api", "a").Master(10, 3, 3).Cgroup(100, 200, 1).Report());
  EXPECT_EQ(registry_->Instances()[0].last_oom_increase, absl::InfinitePast());  // counted before it appeared
  uint64_t before = registry_->ServiceVersions().front().material;
  now_ += absl::Seconds(1);
  registry_->Record(SnapshotBuilder("api", "a").Master(10, 3, 3).Cgroup(100, 200, 3).Report());
  InstanceView v = registry_->Instances()[0];
  EXPECT_EQ(v.last_oom_increase, now_);
  EXPECT_EQ(v.oom_increase, 2);
  EXPECT_GT(registry_->ServiceVersions().front().material, before);
  // Memory use alone is a measurement.
  before = registry_->ServiceVersions().front().material;
  registry_->Record(SnapshotBuilder("api", "a").Master(10, 3, 3).Cgroup(150, 200, 3).Report());
  EXPECT_EQ(registry_->ServiceVersions().front().material, before);
  EXPECT_EQ(registry_->Instances()[0].last_oom_increase, v.last_oom_increase);
}

TEST_F(RegistryTest, AnInstanceThatLeavesIsGoneAtOnce) {
  registry_->Record(SnapshotBuilder("api", "a").Master(10, 2, 2).Report());
  registry_->StreamOpened("api", "a");
  registry_->Record(SnapshotBuilder("api", "b").Master(10, 2, 2).Report());
  uint64_t before = registry_->ServiceVersions().front().version;
  EXPECT_TRUE(registry_->Leave("api", "a"));
  EXPECT_EQ(registry_->Instances().size(), 1u);
  EXPECT_EQ(registry_->Instances()[0].instance(), "b");
  EXPECT_GT(registry_->ServiceVersions().front().version, before);
  EXPECT_FALSE(registry_->Leave("api", "a"));
  EXPECT_FALSE(registry_->Leave("web", "a"));
  registry_->StreamClosed("api", "a");  // the stream's end after the leave changes nothing
  EXPECT_TRUE(registry_->Leave("api", "b"));
  EXPECT_TRUE(registry_->ServiceVersions().empty());
  EXPECT_TRUE(registry_->Sweep().empty());
}

}  // namespace
}  // namespace corral::server
