#include "agent/worker_churn.h"

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

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
