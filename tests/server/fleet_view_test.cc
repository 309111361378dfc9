#include "server/fleet_view.h"

#include "gtest/gtest.h"
#include "server/fleet_evaluator.h"
#include "tests/support/snapshot_builder.h"

namespace corral::server {
namespace {

using corral::testing::SnapshotBuilder;

class FleetViewTest : public ::testing::Test {
 protected:
  FleetViewTest() {
    RegistryOptions options;
    options.now = [this] { return now_; };
    registry_ = std::make_unique<Registry>(options);
    for (const auto& [instance, live, configured] :
         std::vector<std::tuple<std::string, int, int>>{{"r1", 3, 3}, {"r2", 3, 3}, {"r3", 1, 1}}) {
      SnapshotBuilder b("api-backend", instance);
      b.Master(10, live, configured);
      registry_->Record(b.Report());
    }
    registry_->Record(SnapshotBuilder("billing", "b1").Master(10, 2, 2).Report());
  }
  absl::Time now_ = absl::FromUnixSeconds(1000);
  std::unique_ptr<Registry> registry_;
};

TEST_F(FleetViewTest, StatusHasOneRowPerService) {
  corral::v1::FleetStatus status = FleetEvaluator(registry_.get()).Status();
  ASSERT_EQ(status.services_size(), 2);
  const corral::v1::ServiceSummary& api = status.services(0);
  EXPECT_EQ(api.service(), "api-backend");
  EXPECT_EQ(api.replicas_online(), 3);
  EXPECT_EQ(api.replicas_total(), 3);
  EXPECT_EQ(std::vector<int>(api.live_workers().begin(), api.live_workers().end()), (std::vector<int>{3, 3, 1}));
  EXPECT_EQ(std::vector<int64_t>(api.configured_workers().begin(), api.configured_workers().end()),
            (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(api.status(), "critical");
  EXPECT_EQ(api.top_finding().rule(), "REPLICAS_DISAGREE");
  EXPECT_EQ(api.top_finding().instance(), "r3");
  EXPECT_EQ(status.services(1).status(), "ok");
  EXPECT_FALSE(status.services(1).has_top_finding());
  EXPECT_EQ(status.generated_at_unix_ms(), 1000000);
}

TEST_F(FleetViewTest, OfflineReplicasShowAsDash) {
  now_ += absl::Seconds(2);
  registry_->Record(SnapshotBuilder("billing", "b1").Master(10, 2, 2).Report());
  now_ += absl::Seconds(2);  // api-backend's replicas are 4 s old: offline at 1 s intervals
  corral::v1::FleetStatus status = FleetEvaluator(registry_.get()).Status();
  const corral::v1::ServiceSummary& api = status.services(0);
  EXPECT_EQ(api.replicas_online(), 0);
  EXPECT_EQ(std::vector<int>(api.live_workers().begin(), api.live_workers().end()), (std::vector<int>{-1, -1, -1}));
  EXPECT_TRUE(api.configured_workers().empty());  // unknown: no online replica
  EXPECT_EQ(api.top_finding().rule(), "AGENT_OFFLINE");
}

TEST_F(FleetViewTest, ServiceDetailAndUnknownService) {
  absl::StatusOr<corral::v1::ServiceDetail> detail =
      BuildServiceDetail("api-backend", registry_->Instances(std::string("api-backend")), now_);
  ASSERT_TRUE(detail.ok());
  ASSERT_EQ(detail->replicas_size(), 3);
  EXPECT_EQ(detail->replicas(2).instance(), "r3");
  ASSERT_TRUE(detail->replicas(2).has_configured_workers());
  EXPECT_EQ(detail->replicas(2).configured_workers(), 1);
  EXPECT_EQ(detail->replicas(2).workers_source(), "cmdline");
  EXPECT_EQ(detail->replicas(2).state(), "online");
  ASSERT_EQ(detail->differing_settings_size(), 1);
  EXPECT_EQ(detail->differing_settings(0).setting(), "workers");
  absl::StatusOr<corral::v1::ServiceDetail> missing = BuildServiceDetail("nope", {}, now_);
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_EQ(missing.status().message(), "no instance of service 'nope' has reported");
}

TEST_F(FleetViewTest, ReplicasAndInstancesShowTheGunicornReleaseOfTheConfigurationCarrier) {
  SnapshotBuilder b("api-backend", "r1");
  b.Master(10, 3, 3).Version("23.0.0");
  // On a stream the second message leaves the release out with the rest of
  // the configuration; the summary still shows it.
  registry_->Record(b.StreamReport());
  absl::StatusOr<corral::v1::ServiceDetail> detail =
      BuildServiceDetail("api-backend", registry_->Instances(std::string("api-backend")), now_);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->replicas(0).gunicorn_version(), "23.0.0");
  EXPECT_EQ(detail->replicas(1).gunicorn_version(), "");  // unknown
  corral::v1::InstanceList list = BuildInstanceList(registry_->Instances(), now_);
  EXPECT_EQ(list.instances(0).instance(), "r1");
  EXPECT_EQ(list.instances(0).gunicorn_version(), "23.0.0");
}

TEST_F(FleetViewTest, CheckCoversEveryService) {
  corral::v1::CheckResponse check = FleetEvaluator(registry_.get()).Check(std::nullopt);
  EXPECT_EQ(check.services_size(), 2);
  ASSERT_EQ(check.findings_size(), 1);
  EXPECT_EQ(check.findings(0).instance(), "r3");
  corral::v1::InstanceList list = BuildInstanceList(registry_->Instances(), now_);
  ASSERT_EQ(list.instances_size(), 4);
  EXPECT_EQ(list.instances(3).hostname(), "host-b1");
  EXPECT_EQ(list.instances(3).interval_ms(), 1000);
}

TEST_F(FleetViewTest, PodsCarryTheirNamespaceAndNode) {
  registry_->Record(SnapshotBuilder("shop", "shop-7d9f8b6c5d-x2x9k").Pod("prod", "node-1").Master(10, 2, 2).Report());
  registry_->Record(SnapshotBuilder("shop", "shop-0").Pod("staging", "node-2").Master(10, 2, 2).Report());
  registry_->Record(SnapshotBuilder("shop", "shop-1").Pod("prod", "node-2").Master(10, 2, 2).Report());

  corral::v1::FleetStatus status = FleetEvaluator(registry_.get()).Status();
  ASSERT_EQ(status.services_size(), 3);
  const corral::v1::ServiceSummary& shop = status.services(2);
  EXPECT_EQ(shop.service(), "shop");
  EXPECT_EQ(std::vector<std::string>(shop.namespaces().begin(), shop.namespaces().end()),
            (std::vector<std::string>{"prod", "staging"}));
  // Outside Kubernetes: none.
  EXPECT_TRUE(status.services(0).namespaces().empty());

  corral::v1::InstanceList list = BuildInstanceList(registry_->Instances(std::string("shop")), now_);
  ASSERT_EQ(list.instances_size(), 3);
  EXPECT_EQ(list.instances(2).instance(), "shop-7d9f8b6c5d-x2x9k");
  EXPECT_EQ(list.instances(2).namespace_(), "prod");
  EXPECT_EQ(list.instances(2).node(), "node-1");
  EXPECT_EQ(list.instances(0).namespace_(), "staging");
  EXPECT_EQ(BuildInstanceList(registry_->Instances(std::string("billing")), now_).instances(0).namespace_(), "");
}

}  // namespace
}  // namespace corral::server
