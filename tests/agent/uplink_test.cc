// The uplink against a real in-process corral-server: offers never block,
// only the latest snapshot waits while the server is away, and it is
// delivered once the server comes.
#include "agent/uplink.h"

#include <random>
#include <vector>

#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/call_auth.h"
#include "server/collector_service.h"
#include "server/registry.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

// The server shuts down, then the collector's streams end, before either is
// destroyed, even when a test stops early (server/collector_service.h).
class StopsInOrder {
 public:
  StopsInOrder(grpc::Server* server, server::CollectorService* collector) : server_(server), collector_(collector) {}
  ~StopsInOrder() {
    server_->Shutdown(std::chrono::system_clock::now());
    collector_->Stop();
  }

 private:
  grpc::Server* server_;
  server::CollectorService* collector_;
};

std::shared_ptr<const corral::v1::Snapshot> Snapshot(uint64_t sequence) {
  auto s = std::make_shared<corral::v1::Snapshot>();
  s->mutable_agent()->set_service("api");
  s->mutable_agent()->set_instance("u1");
  s->mutable_agent()->set_interval_ms(1000);
  s->set_sequence(sequence);
  s->add_instances()->mutable_master()->set_pid(10);
  return s;
}

TEST(Uplink, OnlyTheLatestSnapshotWaitsForAServerThatIsAwayAndItArrivesLater) {
  int port = corral::testing::FreePort();
  std::string address = "127.0.0.1:" + std::to_string(port);
  UplinkOptions options;
  options.address = address;
  options.credentials = grpc::InsecureChannelCredentials();
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(200);
  Uplink uplink(options);
  uplink.Start();
  for (uint64_t i = 1; i <= 1000; ++i) uplink.Offer(Snapshot(i));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(uplink.sent(), 0u);
  EXPECT_GE(uplink.replaced(), 999u);  // one pending snapshot at most
  EXPECT_FALSE(uplink.connected());

  server::Registry registry(server::RegistryOptions{});
  server::CallAuth auth(std::nullopt);
  server::CollectorService collector(&registry, &auth, {});
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  collector.AddTo(&builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  collector.Start();
  StopsInOrder stops_in_order(server.get(), &collector);
  ASSERT_TRUE(corral::testing::WaitFor([&] { return registry.size() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(registry.Instances()[0].snapshot().sequence(), 1000u);
  // The server can hold the snapshot before the agent's Write returns and
  // counts it as sent.
  EXPECT_TRUE(corral::testing::WaitFor([&] { return uplink.connected(); }, absl::Seconds(5)));
  EXPECT_EQ(uplink.sent(), 1u);

  uplink.Offer(Snapshot(1001));
  ASSERT_TRUE(corral::testing::WaitFor([&] { return registry.Instances()[0].snapshot().sequence() == 1001u; },
                                       absl::Seconds(5)));
  uplink.Stop();
  server->Shutdown(std::chrono::system_clock::now());
}

TEST(Uplink, LeavingTakesTheInstanceOutOfTheFleetAtOnce) {
  std::string address = "127.0.0.1:" + std::to_string(corral::testing::FreePort());
  server::Registry registry(server::RegistryOptions{});
  server::CallAuth auth(std::nullopt);
  std::vector<std::string> left;
  server::CollectorOptions collector_options;
  collector_options.on_leave = [&](const std::string& service, const std::string& instance) {
    left.push_back(service + "/" + instance);
  };
  server::CollectorService collector(&registry, &auth, collector_options);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  collector.AddTo(&builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  collector.Start();
  StopsInOrder stops_in_order(server.get(), &collector);

  UplinkOptions options;
  options.address = address;
  options.credentials = grpc::InsecureChannelCredentials();
  Uplink uplink(options);
  uplink.Start();
  uplink.Offer(Snapshot(1));
  ASSERT_TRUE(corral::testing::WaitFor([&] { return registry.size() == 1; }, absl::Seconds(10)));

  uplink.Leave();
  uplink.Stop(absl::Now() + absl::Seconds(5));
  EXPECT_EQ(registry.size(), 0u);
  EXPECT_EQ(left, std::vector<std::string>{"api/u1"});
  server->Shutdown(std::chrono::system_clock::now());
}

TEST(Uplink, StoppingWithoutLeavingOnlyDisconnects) {
  std::string address = "127.0.0.1:" + std::to_string(corral::testing::FreePort());
  server::Registry registry(server::RegistryOptions{});
  server::CallAuth auth(std::nullopt);
  server::CollectorService collector(&registry, &auth, {});
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  collector.AddTo(&builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  collector.Start();
  StopsInOrder stops_in_order(server.get(), &collector);
  UplinkOptions options;
  options.address = address;
  options.credentials = grpc::InsecureChannelCredentials();
  Uplink uplink(options);
  uplink.Start();
  uplink.Offer(Snapshot(1));
  ASSERT_TRUE(corral::testing::WaitFor([&] { return registry.size() == 1; }, absl::Seconds(10)));
  uplink.Stop();
  ASSERT_TRUE(corral::testing::WaitFor(
      [&] { return registry.Instances()[0].state == server::InstanceState::kDisconnected; }, absl::Seconds(5)));
  EXPECT_EQ(registry.size(), 1u);
  server->Shutdown(std::chrono::system_clock::now());
}

std::shared_ptr<const corral::v1::Snapshot> PodSnapshot(const std::string& service, const std::string& pod,
                                                        uint64_t sequence) {
  auto s = std::make_shared<corral::v1::Snapshot>();
  s->mutable_agent()->set_service(service);
  s->mutable_agent()->set_instance(pod);
  s->mutable_agent()->set_namespace_("prod");
  s->mutable_agent()->set_interval_ms(1000);
  s->set_sequence(sequence);
  s->add_instances()->mutable_master()->set_pid(10);
  return s;
}

server::InstanceState StateOf(const server::Registry& registry, const std::string& instance) {
  for (const server::InstanceView& v : registry.Instances()) {
    if (v.instance() == instance) return v.state;
  }
  return server::InstanceState::kOffline;
}

TEST(PodUplinks, EachPodHasItsOwnStreamClosedWhenThePodGoesAndLeftWhenTheAgentStops) {
  std::string address = "127.0.0.1:" + std::to_string(corral::testing::FreePort());
  server::Registry registry(server::RegistryOptions{});
  server::CallAuth auth(std::nullopt);
  absl::Mutex mu;
  std::vector<std::string> left;
  server::CollectorOptions collector_options;
  collector_options.on_leave = [&](const std::string& service, const std::string& instance) {
    absl::MutexLock lock(&mu);
    left.push_back(service + "/" + instance);
  };
  server::CollectorService collector(&registry, &auth, collector_options);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  collector.AddTo(&builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  collector.Start();
  StopsInOrder stops_in_order(server.get(), &collector);

  std::vector<std::string> opened;
  PodUplinks pods([&](const corral::v1::AgentIdentity& agent) {
    opened.push_back(PodKey(agent));
    UplinkOptions options;
    options.address = address;
    options.credentials = grpc::InsecureChannelCredentials();
    options.label = PodKey(agent);
    std::vector<std::unique_ptr<Uplink>> uplinks;
    uplinks.push_back(std::make_unique<Uplink>(options));
    uplinks.back()->Start();
    return uplinks;
  });
  pods.Offer({PodSnapshot("api", "api-0", 1), PodSnapshot("billing", "billing-0", 1)});
  ASSERT_TRUE(corral::testing::WaitFor([&] { return registry.size() == 2; }, absl::Seconds(10)));
  EXPECT_EQ(pods.pods(), (std::vector<std::string>{"prod/api/api-0", "prod/billing/billing-0"}));

  // billing-0's Gunicorn is gone: its stream closes, api-0's carries on.
  pods.Offer({PodSnapshot("api", "api-0", 2)});
  ASSERT_TRUE(corral::testing::WaitFor(
      [&] { return StateOf(registry, "billing-0") == server::InstanceState::kDisconnected; }, absl::Seconds(5)));
  EXPECT_EQ(StateOf(registry, "api-0"), server::InstanceState::kOnline);
  EXPECT_EQ(pods.pods(), std::vector<std::string>{"prod/api/api-0"});
  // It comes back on a new stream.
  pods.Offer({PodSnapshot("api", "api-0", 3), PodSnapshot("billing", "billing-0", 3)});
  ASSERT_TRUE(corral::testing::WaitFor([&] { return StateOf(registry, "billing-0") == server::InstanceState::kOnline; },
                                       absl::Seconds(5)));
  EXPECT_EQ(opened, (std::vector<std::string>{"prod/api/api-0", "prod/billing/billing-0", "prod/billing/billing-0"}));

  // The agent stops on purpose: every pod it reports leaves.
  pods.Offer({PodSnapshot("api", "api-0", 4)});
  ASSERT_TRUE(corral::testing::WaitFor(
      [&] { return StateOf(registry, "billing-0") == server::InstanceState::kDisconnected; }, absl::Seconds(5)));
  pods.Leave();
  pods.Stop(absl::Now() + absl::Seconds(5));
  ASSERT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.Instances()[0].instance(), "billing-0");
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(left, std::vector<std::string>{"api/api-0"});
  }
  EXPECT_TRUE(pods.pods().empty());
  server->Shutdown(std::chrono::system_clock::now());
}

TEST(UplinkBackoff, WaitsBetweenHalfAndAllOfTheDelayAndDoublesUpToTheCap) {
  const absl::Duration max = absl::Seconds(1);
  BackoffStep low = NextBackoff(absl::Milliseconds(250), max, 0.0);
  EXPECT_EQ(low.wait, absl::Milliseconds(125));
  EXPECT_EQ(low.next_delay, absl::Milliseconds(500));
  BackoffStep mid = NextBackoff(absl::Milliseconds(500), max, 0.5);
  EXPECT_EQ(mid.wait, absl::Milliseconds(375));
  EXPECT_EQ(mid.next_delay, absl::Seconds(1));
  BackoffStep capped = NextBackoff(absl::Seconds(1), max, 1.0);
  EXPECT_EQ(capped.wait, absl::Seconds(1));
  EXPECT_EQ(capped.next_delay, absl::Seconds(1));
  // A draw outside [0, 1) is clamped rather than waiting forever or not at all.
  EXPECT_EQ(NextBackoff(absl::Seconds(1), max, 7.0).wait, absl::Seconds(1));
  EXPECT_EQ(NextBackoff(absl::Seconds(1), max, -3.0).wait, absl::Milliseconds(500));
}

TEST(UplinkBackoff, AgentsThatLostTheServerTogetherComeBackSpreadOverHalfTheirDelay) {
  // 1,000 agents at their cap of 1 s: their waits fill every 50 ms slice of
  // [500 ms, 1 s), so no slice holds more than a few times its share.
  std::mt19937 rng(12);
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  std::vector<int> slices(10, 0);
  for (int i = 0; i < 1000; ++i) {
    absl::Duration wait = NextBackoff(absl::Seconds(1), absl::Seconds(1), draw(rng)).wait;
    ASSERT_GE(wait, absl::Milliseconds(500));
    ASSERT_LE(wait, absl::Seconds(1));
    ++slices[std::min(9, static_cast<int>((absl::ToDoubleMilliseconds(wait) - 500) / 50))];
  }
  for (int count : slices) {
    EXPECT_GT(count, 50);
    EXPECT_LT(count, 200);
  }
}

}  // namespace
}  // namespace corral::agent
