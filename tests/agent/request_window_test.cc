#include "agent/request_window.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000000);

StatsdMetric M(const std::string& name, double value, const std::string& type, double rate = 1) {
  return StatsdMetric{name, value, type, rate};
}

TEST(RequestWindow, RatesLatencyAndErrorsOverTheWindow) {
  RequestWindow w(kT0);
  for (int s = 0; s < 10; ++s) {
    for (int i = 0; i < 20; ++i) {
      absl::Time t = kT0 + absl::Seconds(s) + absl::Milliseconds(i * 10);
      w.Add(M("gunicorn.requests", 1, "c"), t);
      w.Add(M("gunicorn.request.duration", i < 19 ? 10 : 1000, "ms"), t);
      w.Add(M(i == 0 ? "gunicorn.request.status.502" : "gunicorn.request.status.200", 1, "c"), t);
    }
  }
  w.Add(M("gunicorn.workers", 3, "g"), kT0);
  w.Add(M("gunicorn.log.critical", 1, "c"), kT0);
  corral::v1::RequestStats r = w.Summarize(kT0 + absl::Seconds(10));
  EXPECT_EQ(r.window_seconds(), 10);
  EXPECT_DOUBLE_EQ(r.requests_per_second(), 20);
  EXPECT_NEAR(r.latency_mean_ms(), (19 * 10 + 1000) / 20.0, 1e-9);
  EXPECT_NEAR(r.latency_p50_ms(), 10, 10 * 0.02);
  EXPECT_NEAR(r.latency_p99_ms(), 1000, 1000 * 0.02);
  EXPECT_DOUBLE_EQ(r.error_rate(), 0.05);
  EXPECT_EQ(r.gunicorn_workers(), 3);
  EXPECT_EQ(r.requests_total(), 200);
  EXPECT_EQ(r.responses_total().at("502"), 10);
  EXPECT_EQ(r.responses_total().at("200"), 190);
  EXPECT_EQ(r.critical_logs_total(), 1);
  // A minute later the window is empty; the totals stay.
  corral::v1::RequestStats later = w.Summarize(kT0 + absl::Seconds(75));
  EXPECT_EQ(later.requests_per_second(), 0);
  EXPECT_FALSE(later.has_latency_mean_ms());
  EXPECT_FALSE(later.has_error_rate());
  EXPECT_EQ(later.requests_total(), 200);
}

TEST(RequestWindow, SampledCountersStandForMoreEvents) {
  RequestWindow w(kT0);
  w.Add(M("gunicorn.requests", 1, "c", 0.1), kT0);
  EXPECT_EQ(w.Summarize(kT0 + absl::Seconds(1)).requests_total(), 10);
}

TEST(RequestWindow, QuantilesAreWithinTwoPercentOfTheTruth) {
  std::mt19937 rng(7);
  std::lognormal_distribution<double> latency(3.0, 1.2);
  RequestWindow w(kT0);
  std::vector<double> values;
  for (int i = 0; i < 20000; ++i) {
    double v = latency(rng);
    values.push_back(v);
    w.Add(M("gunicorn.request.duration", v, "ms"), kT0 + absl::Milliseconds(i));
  }
  std::sort(values.begin(), values.end());
  corral::v1::RequestStats r = w.Summarize(kT0 + absl::Seconds(20));
  for (auto [q, got] : {std::pair{0.5, r.latency_p50_ms()}, {0.95, r.latency_p95_ms()}, {0.99, r.latency_p99_ms()}}) {
    double truth = values[static_cast<size_t>(std::ceil(q * values.size())) - 1];
    EXPECT_NEAR(got, truth, truth * 0.02) << "q=" << q;
  }
  for (double v : {0.05, 1.0, 37.2, 4000.0}) {
    EXPECT_NEAR(RequestWindow::BucketValue(RequestWindow::Bucket(v)), v, v * 0.02) << v;
  }
}

TEST(RequestWindow, TotalsSaturateInsteadOfOverflowing) {
  // The largest count a line may stand for is 1e12 / 1e-6 = 1e18; ten of
  // them exceed what 64 bits hold.
  RequestWindow w(kT0);
  for (int i = 0; i < 10; ++i) {
    w.Add(M("gunicorn.requests", 1e12, "c", 1e-6), kT0);
    w.Add(M("gunicorn.request.status.200", 1e12, "c", 1e-6), kT0);
    w.Add(M("gunicorn.log.critical", 1e12, "c", 1e-6), kT0);
  }
  corral::v1::RequestStats r = w.Summarize(kT0 + absl::Seconds(1));
  EXPECT_EQ(r.requests_total(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r.responses_total().at("200"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r.critical_logs_total(), std::numeric_limits<int64_t>::max());
}

TEST(RequestWindow, DurationsBeyondTheLastBucketFallInIt) {
  EXPECT_EQ(RequestWindow::Bucket(std::numeric_limits<double>::infinity()), RequestWindow::kBuckets - 1);
  EXPECT_EQ(RequestWindow::Bucket(1e300), RequestWindow::kBuckets - 1);
  EXPECT_EQ(RequestWindow::Bucket(std::nan("")), 0);
}

// Anything that reaches the statsd port can send lines; one bad line must
// not make every later report one corral-server refuses (negative totals,
// status codes other than three digits) or grow the agent's memory.
TEST(RequestWindow, LinesGunicornNeverSendsLeaveTheTotalsValid) {
  RequestWindow w(kT0);
  w.Add(M("gunicorn.requests", 5, "c"), kT0);
  w.Add(M("gunicorn.requests", -1, "c"), kT0);
  w.Add(M("gunicorn.log.critical", -3, "c"), kT0);
  w.Add(M("gunicorn.request.duration", -250, "ms"), kT0);
  w.Add(M("gunicorn.request.duration", 40, "ms"), kT0);
  w.Add(M("gunicorn.workers", -2, "g"), kT0);
  w.Add(M("gunicorn.request.status.200", 2, "c"), kT0);
  w.Add(M("gunicorn.request.status.200", -1, "c"), kT0);
  for (const char* code : {"0200", "+200", " 200", "20", "2000", "099", "2x0", "000"}) {
    w.Add(M(std::string("gunicorn.request.status.") + code, 1, "c"), kT0);
  }
  corral::v1::RequestStats r = w.Summarize(kT0 + absl::Seconds(1));
  EXPECT_EQ(r.requests_total(), 5);
  EXPECT_EQ(r.critical_logs_total(), 0);
  EXPECT_DOUBLE_EQ(r.latency_mean_ms(), 40);
  EXPECT_DOUBLE_EQ(r.request_duration_seconds_total(), 0.04);
  EXPECT_FALSE(r.has_gunicorn_workers());
  ASSERT_EQ(r.responses_total_size(), 1);
  EXPECT_EQ(r.responses_total().at("200"), 2);
}

TEST(RequestWindow, HeavilySampledDurationsSaturateTheirBucket) {
  // Each line stands for a million durations: 4,295 of them are 32,704
  // past what 32 bits hold, which a wrapped count would keep, fewer than
  // the 100,000 slow ones that follow.
  RequestWindow w(kT0);
  for (int i = 0; i < 4295; ++i) w.Add(M("gunicorn.request.duration", 10, "ms", 1e-6), kT0);
  for (int i = 0; i < 1000; ++i) w.Add(M("gunicorn.request.duration", 1000, "ms", 0.01), kT0);
  corral::v1::RequestStats r = w.Summarize(kT0 + absl::Seconds(1));
  EXPECT_NEAR(r.latency_p50_ms(), 10, 10 * 0.02);
  EXPECT_NEAR(r.latency_p99_ms(), 10, 10 * 0.02);
}

}  // namespace
}  // namespace corral::agent
