#include "server/change_detector.h"

#include "gtest/gtest.h"
#include "server/rules.h"
#include "tests/support/snapshot_builder.h"

namespace corral::server {
namespace {

using corral::testing::MakeView;
using corral::testing::SnapshotBuilder;

const absl::Time kT0 = absl::FromUnixSeconds(10000);

std::vector<std::string> Kinds(const std::vector<corral::v1::Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    out.push_back(e.kind() + "/" + e.instance() + (e.rule().empty() ? "" : "/" + e.rule()) +
                  (e.setting().empty() ? "" : "/" + e.setting()));
  return out;
}

// Evaluates and detects in one step, as the evaluator does.
std::vector<corral::v1::Event> Step(const std::vector<InstanceView>& views, absl::Time now,
                                    corral::v1::ServiceMemory* memory) {
  ServiceEvaluation e = EvaluateService("api", views, now);
  return DetectChanges("api", views, e.findings, now, absl::Hours(1), memory);
}

TEST(DetectChanges, FirstSightingThenWorkerAndSettingChangesThenResolution) {
  corral::v1::ServiceMemory memory;
  SnapshotBuilder healthy("api", "r1");
  healthy.Master(10, 3, 3);
  EXPECT_EQ(Kinds(Step({MakeView(healthy, kT0)}, kT0, &memory)), std::vector<std::string>{"instance_online/r1"});
  EXPECT_TRUE(Step({MakeView(healthy, kT0)}, kT0 + absl::Seconds(1), &memory).empty());

  SnapshotBuilder degraded("api", "r1");
  degraded.Master(10, 1, 3).Set("timeout", "60", "cmdline").Churn(3.0, 600);
  std::vector<corral::v1::Event> events = Step({MakeView(degraded, kT0)}, kT0 + absl::Seconds(2), &memory);
  EXPECT_EQ(Kinds(events),
            (std::vector<std::string>{"workers_changed/r1", "setting_changed/r1/timeout",
                                      "finding_opened/r1/WORKERS_BELOW_CONFIG", "finding_opened/r1/WORKER_CHURN"}));
  EXPECT_EQ(events[0].before(), "3");
  EXPECT_EQ(events[0].after(), "1");
  EXPECT_EQ(events[0].message(), "api/r1: live workers 3 -> 1");
  EXPECT_EQ(events[1].message(), "api/r1: timeout 30 -> 60 (cmdline)");
  EXPECT_EQ(events[2].severity(), "critical");
  EXPECT_EQ(events[2].time_unix_ms(), absl::ToUnixMillis(kT0 + absl::Seconds(2)));

  // The same state again: nothing new.
  EXPECT_TRUE(Step({MakeView(degraded, kT0)}, kT0 + absl::Seconds(3), &memory).empty());

  events = Step({MakeView(healthy, kT0)}, kT0 + absl::Seconds(4), &memory);
  EXPECT_EQ(Kinds(events),
            (std::vector<std::string>{"workers_changed/r1", "setting_changed/r1/timeout",
                                      "finding_resolved/r1/WORKERS_BELOW_CONFIG", "finding_resolved/r1/WORKER_CHURN"}));
}

TEST(DetectChanges, StateChangesAndForgetting) {
  corral::v1::ServiceMemory memory;
  SnapshotBuilder b("api", "r1");
  b.Master(10, 2, 2);
  Step({MakeView(b, kT0)}, kT0, &memory);
  EXPECT_EQ(Kinds(Step({MakeView(b, kT0, InstanceState::kDisconnected)}, kT0 + absl::Seconds(1), &memory)),
            std::vector<std::string>{"instance_disconnected/r1"});
  std::vector<corral::v1::Event> offline =
      Step({MakeView(b, kT0, InstanceState::kOffline)}, kT0 + absl::Seconds(10), &memory);
  EXPECT_EQ(Kinds(offline), (std::vector<std::string>{"instance_offline/r1", "finding_opened/r1/AGENT_OFFLINE"}));
  EXPECT_EQ(offline[0].before(), "disconnected");
  // The registry forgets it: still remembered (findings open) until the
  // forget time passes, then forgotten with its findings resolved.
  EXPECT_TRUE(Step({}, kT0 + absl::Minutes(30), &memory).empty());
  EXPECT_EQ(Kinds(Step({}, kT0 + absl::Hours(1), &memory)),
            (std::vector<std::string>{"instance_forgotten/r1", "finding_resolved/r1/AGENT_OFFLINE"}));
  EXPECT_TRUE(memory.instances().empty());
  EXPECT_TRUE(memory.open_findings().empty());
}

TEST(DetectChanges, APodsEventsCarryItsNamespaceUntilItIsForgotten) {
  corral::v1::ServiceMemory memory;
  SnapshotBuilder pod("api", "api-0");
  pod.Pod("prod", "node-1").Master(10, 2, 2);
  std::vector<corral::v1::Event> online = Step({MakeView(pod, kT0)}, kT0, &memory);
  ASSERT_EQ(Kinds(online), std::vector<std::string>{"instance_online/api-0"});
  EXPECT_EQ(online[0].namespace_(), "prod");
  EXPECT_EQ(memory.instances().at("api-0").namespace_(), "prod");
  std::vector<corral::v1::Event> offline =
      Step({MakeView(pod, kT0, InstanceState::kOffline)}, kT0 + absl::Seconds(10), &memory);
  ASSERT_EQ(Kinds(offline), (std::vector<std::string>{"instance_offline/api-0", "finding_opened/api-0/AGENT_OFFLINE"}));
  EXPECT_EQ(offline[0].namespace_(), "prod");
  EXPECT_EQ(offline[1].namespace_(), "prod");
  std::vector<corral::v1::Event> forgotten = Step({}, kT0 + absl::Hours(1), &memory);
  ASSERT_EQ(Kinds(forgotten),
            (std::vector<std::string>{"instance_forgotten/api-0", "finding_resolved/api-0/AGENT_OFFLINE"}));
  EXPECT_EQ(forgotten[0].namespace_(), "prod");
  EXPECT_EQ(forgotten[1].namespace_(), "prod");

  // Outside Kubernetes, none.
  corral::v1::ServiceMemory plain;
  SnapshotBuilder r1("api", "r1");
  r1.Master(10, 2, 2);
  EXPECT_EQ(Step({MakeView(r1, kT0)}, kT0, &plain)[0].namespace_(), "");
}

TEST(DetectChanges, ARestartedServerMissingAnInstanceKeepsItsFindingsOpen) {
  corral::v1::ServiceMemory memory;
  SnapshotBuilder r1("api", "r1"), r2("api", "r2"), r3("api", "r3");
  r1.Master(10, 3, 3);
  r2.Master(20, 3, 3);
  r3.Master(30, 1, 1);
  Step({MakeView(r1, kT0), MakeView(r2, kT0), MakeView(r3, kT0)}, kT0, &memory);
  ASSERT_EQ(memory.open_findings().size(), 1u);  // REPLICAS_DISAGREE on r3
  // After a restart only r1 and r2 have reconnected so far.
  std::vector<corral::v1::Event> events = Step(
      {MakeView(r1, kT0 + absl::Seconds(30)), MakeView(r2, kT0 + absl::Seconds(30))}, kT0 + absl::Seconds(30), &memory);
  EXPECT_EQ(Kinds(events), std::vector<std::string>{"instance_offline/r3"});
  EXPECT_EQ(memory.open_findings().size(), 1u);
}

}  // namespace
}  // namespace corral::server

namespace corral::server {
namespace {

TEST(DetectChanges, SettlingComparesOnlyWhatIsBackAndLeavesReplicaComparisonsAlone) {
  corral::v1::ServiceMemory memory;
  SnapshotBuilder r1("api", "r1"), r2("api", "r2"), r3("api", "r3");
  r1.Master(10, 3, 3);
  r2.Master(20, 3, 3);
  r3.Master(30, 1, 1);
  Step({MakeView(r1, kT0), MakeView(r2, kT0), MakeView(r3, kT0)}, kT0, &memory);
  ASSERT_EQ(memory.open_findings().size(), 1u);  // REPLICAS_DISAGREE on r3
  // Only r3 is back, now with a stuck master: its own change is recorded;
  // alone it disagrees with nobody, which says nothing yet.
  SnapshotBuilder r3_churning("api", "r3");
  r3_churning.Master(30, 1, 1).Churn(8, 600);
  std::vector<InstanceView> views = {MakeView(r3_churning, kT0 + absl::Seconds(30))};
  absl::Time now = kT0 + absl::Seconds(30);
  std::vector<corral::v1::Event> events = DetectChanges("api", views, EvaluateService("api", views, now).findings, now,
                                                        absl::Hours(1), &memory, Coverage::kSettling);
  EXPECT_EQ(Kinds(events), std::vector<std::string>{"finding_opened/r3/WORKER_CHURN"});
  EXPECT_EQ(memory.instances().at("r1").state(), "online");
  EXPECT_EQ(memory.open_findings().size(), 2u);
  EXPECT_EQ(memory.instances().at("r3").interval_ms(), 1000);
}

}  // namespace
}  // namespace corral::server
