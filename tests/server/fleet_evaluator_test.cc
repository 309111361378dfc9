#include "server/fleet_evaluator.h"

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/fleet_view.h"
#include "tests/support/snapshot_builder.h"
#include "tests/support/subprocess.h"

namespace corral::server {
namespace {

using corral::testing::SnapshotBuilder;

class FleetEvaluatorTest : public ::testing::Test {
 protected:
  FleetEvaluatorTest() {
    RegistryOptions options;
    options.now = [this] { return now_; };
    registry_ = std::make_unique<Registry>(options);
    for (const char* i : {"r1", "r2", "r3"}) registry_->Record(SnapshotBuilder("api", i).Master(10, 3, 3).Report());
    registry_->Record(SnapshotBuilder("billing", "b1").Master(10, 2, 2).Report());
    evaluator_ = std::make_unique<FleetEvaluator>(registry_.get());
  }
  absl::Time now_ = absl::FromUnixSeconds(1000);
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<FleetEvaluator> evaluator_;
};

// The rules run directly over the registry's views, without any keeping.
corral::v1::FleetStatus Reference(const Registry& registry) {
  corral::v1::FleetStatus status;
  status.set_generated_at_unix_ms(absl::ToUnixMillis(registry.Now()));
  registry.ForEachService(std::nullopt, [&](const std::string& service, absl::Span<const InstanceView> views) {
    *status.add_services() = Summarize(service, views, EvaluateService(service, views, registry.Now()));
  });
  return status;
}

TEST_F(FleetEvaluatorTest, KeptAnswersEqualTheRulesRunDirectly) {
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(evaluator_->Status(), Reference(*registry_)));
  evaluator_->Refresh();
  registry_->Record(SnapshotBuilder("api", "r2").Master(10, 2, 3).Churn(1, 60).Report());
  now_ += absl::Milliseconds(500);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(evaluator_->Status(), Reference(*registry_)));
}

TEST_F(FleetEvaluatorTest, RefreshEvaluatesOnlyWhatChanged) {
  EXPECT_EQ(evaluator_->Refresh(), 2);
  EXPECT_EQ(evaluator_->Refresh(), 0);
  now_ += kBackgroundEvery;
  registry_->Record(SnapshotBuilder("api", "r3").Master(10, 1, 1).Report());
  EXPECT_EQ(evaluator_->Refresh(), 1);
}

TEST_F(FleetEvaluatorTest, InTheBackgroundAServiceIsEvaluatedAtMostOnceInAWhileButQueriesSeeEveryReport) {
  // Agents at 5 s: the service may wait kBackgroundEvery.
  for (const char* i : {"r1", "r2", "r3"}) registry_->Record(SnapshotBuilder("api", i, 5000).Master(10, 3, 3).Report());
  registry_->Record(SnapshotBuilder("billing", "b1", 5000).Master(10, 2, 2).Report());
  EXPECT_EQ(evaluator_->Refresh(), 2);
  // api reports on and on: Refresh evaluates it again once kBackgroundEvery
  // has passed, with the latest report.
  now_ += absl::Milliseconds(200);
  registry_->Record(SnapshotBuilder("api", "r3", 5000).Master(10, 1, 1).Report());
  EXPECT_EQ(evaluator_->Refresh(), 0);
  now_ += absl::Milliseconds(200);
  registry_->Record(SnapshotBuilder("api", "r2", 5000).Master(10, 1, 1).Report());
  EXPECT_EQ(evaluator_->Refresh(), 0);
  // A query does not wait.
  EXPECT_EQ(evaluator_->Status().services(0).status(), "critical");
  now_ += kBackgroundEvery;
  registry_->Record(SnapshotBuilder("api", "r1", 5000).Master(10, 1, 1).Report());
  EXPECT_EQ(evaluator_->Refresh(), 1);
  EXPECT_EQ(evaluator_->Refresh(), 0);
  // A change deferred is not lost: with no further report, it is
  // evaluated once its time comes.
  now_ += absl::Milliseconds(200);
  registry_->Record(SnapshotBuilder("billing", "b1", 5000).Master(10, 1, 2).Report());
  registry_->Record(SnapshotBuilder("api", "r1", 5000).Master(10, 3, 3).Report());
  EXPECT_EQ(evaluator_->Refresh(), 1);  // billing: last evaluated at the start
  now_ += kBackgroundEvery;
  EXPECT_EQ(evaluator_->Refresh(), 1);  // api
  EXPECT_EQ(evaluator_->Refresh(), 0);
}

TEST_F(FleetEvaluatorTest, InTheBackgroundReportsThatOnlyBringMeasurementsWaitHalfAnInterval) {
  // Agents at 5 s: a report that changes what is material waits at most
  // kBackgroundEvery, one that only brings measurements kMeasurementsEvery.
  for (const char* i : {"r1", "r2", "r3"}) registry_->Record(SnapshotBuilder("api", i, 5000).Master(10, 3, 3).Report());
  registry_->Record(SnapshotBuilder("billing", "b1", 5000).Master(10, 2, 2).Report());
  EXPECT_EQ(evaluator_->Refresh(), 2);
  now_ += absl::Milliseconds(1200);
  registry_->Record(SnapshotBuilder("api", "r2", 5000).Master(10, 3, 3).Churn(30, 600).Report());
  EXPECT_EQ(evaluator_->Refresh(), 0);
  now_ += absl::Milliseconds(1200);
  EXPECT_EQ(evaluator_->Refresh(), 0);
  // Due now, with no further report: what was deferred is not lost.
  now_ += absl::Milliseconds(200);
  EXPECT_EQ(evaluator_->Refresh(), 1);
  EXPECT_EQ(evaluator_->Status().services(0).top_finding().rule(), "WORKER_CHURN");
  // Measurements first, then a worker gone: the material change waits only
  // kBackgroundEvery from the last evaluation.
  now_ += absl::Milliseconds(200);
  registry_->Record(SnapshotBuilder("api", "r1", 5000).Master(10, 3, 3).Churn(31, 600).Report());
  EXPECT_EQ(evaluator_->Refresh(), 0);
  now_ += absl::Milliseconds(200);
  registry_->Record(SnapshotBuilder("api", "r3", 5000).Master(10, 2, 3).Report());
  EXPECT_EQ(evaluator_->Refresh(), 0);
  now_ += absl::Milliseconds(700);
  EXPECT_EQ(evaluator_->Refresh(), 1);
  EXPECT_EQ(evaluator_->Refresh(), 0);
}

TEST_F(FleetEvaluatorTest, AgentsReportingFasterThanThatAreEvaluatedBeforeTheirNextReport) {
  // The fixture's agents report every second: api may wait a quarter of it.
  EXPECT_EQ(evaluator_->Refresh(), 2);
  now_ += absl::Milliseconds(200);
  registry_->Record(SnapshotBuilder("api", "r3").Master(10, 1, 1).Report());
  EXPECT_EQ(evaluator_->Refresh(), 0);
  now_ += absl::Milliseconds(200);
  EXPECT_EQ(evaluator_->Refresh(), 1);
}

TEST_F(FleetEvaluatorTest, ANewReportShowsAtOnceEvenBeforeARefresh) {
  evaluator_->Refresh();
  EXPECT_EQ(evaluator_->Status().services(0).status(), "ok");
  registry_->Record(SnapshotBuilder("api", "r3").Master(10, 1, 1).Report());
  corral::v1::FleetStatus status = evaluator_->Status();
  EXPECT_EQ(status.services(0).status(), "critical");
  EXPECT_EQ(status.services(0).top_finding().instance(), "r3");
}

TEST_F(FleetEvaluatorTest, AQueryMayAnswerFromAnEvaluationThatOnlyMissesMeasurements) {
  // Agents at 5 s, evaluated a moment ago.
  for (const char* i : {"r1", "r2", "r3"}) registry_->Record(SnapshotBuilder("api", i, 5000).Master(10, 3, 3).Report());
  EXPECT_EQ(evaluator_->Status().services(0).status(), "ok");
  // r2's workers start churning: a measurement, seen within the
  // measurements hold (2.5 s at 5 s agents) and one hold (1 s) more, as the
  // background loop would see it.
  now_ += absl::Milliseconds(300);
  registry_->Record(SnapshotBuilder("api", "r2", 5000).Master(10, 3, 3).Churn(30, 600).Report());
  EXPECT_EQ(evaluator_->Status().services(0).status(), "ok");
  now_ += absl::Seconds(3);
  EXPECT_EQ(evaluator_->Status().services(0).status(), "ok");
  now_ += absl::Milliseconds(300);
  EXPECT_EQ(evaluator_->Status().services(0).status(), "degraded");
  EXPECT_EQ(evaluator_->Status().services(0).top_finding().rule(), "WORKER_CHURN");
  // A worker gone is material: seen at once.
  now_ += absl::Milliseconds(100);
  registry_->Record(SnapshotBuilder("api", "r3", 5000).Master(10, 1, 3).Report());
  EXPECT_EQ(evaluator_->Status().services(0).status(), "critical");
}

TEST_F(FleetEvaluatorTest, TimeAloneTakesInstancesOffline) {
  evaluator_->Refresh();
  now_ += absl::Seconds(2);
  registry_->Record(SnapshotBuilder("billing", "b1").Master(10, 2, 2).Report());
  now_ += absl::Seconds(1);  // api's replicas last reported 3 intervals ago
  corral::v1::FleetStatus status = evaluator_->Status();
  EXPECT_EQ(status.services(0).replicas_online(), 0);
  EXPECT_EQ(status.services(0).top_finding().rule(), "AGENT_OFFLINE");
  EXPECT_EQ(status.services(1).status(), "ok");
}

TEST_F(FleetEvaluatorTest, CheckOfOneServiceAndOfAnUnknownOne) {
  corral::v1::CheckResponse billing = evaluator_->Check(std::string("billing"));
  EXPECT_EQ(billing.services_size(), 1);
  EXPECT_TRUE(evaluator_->Check(std::string("nope")).services().empty());
}

TEST_F(FleetEvaluatorTest, ForgottenServicesLeaveTheCache) {
  evaluator_->Refresh();
  now_ += absl::Hours(2);
  registry_->Sweep();
  EXPECT_EQ(evaluator_->Refresh(), 0);
  EXPECT_EQ(evaluator_->Status().services_size(), 0);
}

}  // namespace
}  // namespace corral::server

namespace corral::server {
namespace {

TEST_F(FleetEvaluatorTest, AChangedExpectationIsEvaluatedAtOnceAndRecorded) {
  std::string path = corral::testing::MakeTempDir("evaluator") + "/corral.db";
  std::unique_ptr<Store> store = *Store::Open(path);
  std::unique_ptr<ExpectationBook> book = *ExpectationBook::Open(store.get());
  HistoryOptions options;
  options.now = [this] { return now_; };
  std::unique_ptr<History> history = *History::Open(store.get(), options);
  FleetEvaluator evaluator(registry_.get(), book.get(), history.get());
  EXPECT_EQ(evaluator.Refresh(), 2);
  EXPECT_EQ(evaluator.Refresh(), 0);

  corral::v1::SetExpectationsRequest request;
  corral::v1::ServiceExpectations* api = request.add_services();
  api->set_service("api");
  corral::v1::Expectation* workers = api->add_expectations();
  workers->set_key("workers");
  workers->set_value("4");
  std::vector<corral::v1::Event> events;
  ASSERT_TRUE(book->Set(request, now_, &events).ok());
  // Only api's expectations changed: only api is evaluated again.
  EXPECT_EQ(evaluator.Refresh(), 1);
  corral::v1::CheckResponse check = evaluator.Check("api");
  ASSERT_EQ(check.findings_size(), 3);
  EXPECT_EQ(check.findings(0).rule(), "WORKERS_BELOW_EXPECTED");
  bool truncated = false;
  std::vector<corral::v1::Event> stored = *history->Query(EventQuery{}, &truncated);
  int opened = 0;
  for (const auto& e : stored) opened += e.kind() == "finding_opened" && e.rule() == "WORKERS_BELOW_EXPECTED";
  EXPECT_EQ(opened, 3);
}

}  // namespace
}  // namespace corral::server

namespace corral::server {
namespace {

TEST_F(FleetEvaluatorTest, AfterARestartAReplicaThatStaysAwayIsRecordedWhenItsWaitEndsWithoutAnyReport) {
  std::string path = corral::testing::MakeTempDir("evaluator") + "/corral.db";
  HistoryOptions options;
  options.now = [this] { return now_; };
  {
    std::unique_ptr<Store> store = *Store::Open(path);
    std::unique_ptr<History> history = *History::Open(store.get(), options);
    FleetEvaluator before(registry_.get(), nullptr, history.get());
    EXPECT_EQ(before.Refresh(), 2);
  }
  // The server restarts: only r1 reconnects.
  now_ += absl::Minutes(1);
  RegistryOptions registry_options;
  registry_options.now = [this] { return now_; };
  Registry registry(registry_options);
  registry.Record(SnapshotBuilder("api", "r1").Master(10, 3, 3).Report());
  std::unique_ptr<Store> store = *Store::Open(path);
  std::unique_ptr<History> history = *History::Open(store.get(), options);
  std::vector<std::string> seen;
  history->Subscribe(
      [&](const corral::v1::Event& e) { seen.push_back(e.kind() + "/" + e.service() + "/" + e.instance()); });
  FleetEvaluator evaluator(&registry, nullptr, history.get());
  EXPECT_EQ(evaluator.Refresh(), 1);
  EXPECT_EQ(evaluator.Refresh(), 0);
  EXPECT_TRUE(seen.empty());
  // Three of their 1 s intervals later the absent replicas are recorded,
  // r1 reporting on.
  now_ += absl::Seconds(1);
  registry.Record(SnapshotBuilder("api", "r1").Master(10, 3, 3).Report());
  EXPECT_EQ(evaluator.Refresh(), 1);
  now_ += absl::Seconds(1);
  EXPECT_TRUE(seen.empty());
  // The wait ends between reports: the evaluation is redone then.
  now_ += absl::Seconds(1);
  EXPECT_EQ(evaluator.Refresh(), 1);
  EXPECT_EQ(seen, (std::vector<std::string>{"instance_offline/api/r2", "instance_offline/api/r3",
                                            "instance_offline/billing/b1"}));
}

}  // namespace
}  // namespace corral::server
