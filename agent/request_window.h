// Gunicorn's request metrics (from its statsd) over a sliding window of the
// last 60 seconds, in one-second slots, plus totals since the agent
// started. Memory is fixed: 60 slots, each with a log-bucketed latency
// histogram whose quantiles are within 2% of the true value (buckets grow
// by 4%; a bucket is read at its log-midpoint). The clock is passed in.
#ifndef CORRAL_AGENT_REQUEST_WINDOW_H_
#define CORRAL_AGENT_REQUEST_WINDOW_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "agent/statsd.h"
#include "corral/v1/snapshot.pb.h"

namespace corral::agent {

class RequestWindow {
 public:
  static constexpr int kSlots = 60;
  // Latency buckets: 0.01 ms to ~3 hours, each 4% wider than the last.
  static constexpr double kMinMs = 0.01;
  static constexpr double kGrowth = 1.04;
  static constexpr int kBuckets = 530;

  explicit RequestWindow(absl::Time start) : start_(start) {}

  // A metric received at `now`. Metrics other than Gunicorn's request,
  // status, worker and critical-log metrics are ignored.
  void Add(const StatsdMetric& metric, absl::Time now);
  void CountDatagram(int malformed_lines);
  void CountForwardError() { ++forward_errors_; }

  corral::v1::RequestStats Summarize(absl::Time now) const;

  // The bucket of a duration, and the value a bucket stands for.
  static int Bucket(double ms);
  static double BucketValue(int bucket);

 private:
  struct Slot {
    int64_t second = -1;
    double requests = 0;
    double duration_sum_ms = 0;
    double durations = 0;
    double responses = 0;
    double errors = 0;
    std::array<uint32_t, kBuckets> histogram{};
  };
  Slot& SlotAt(absl::Time now);

  absl::Time start_;
  std::array<Slot, kSlots> slots_;
  int64_t requests_total_ = 0;
  double duration_total_ms_ = 0;
  std::map<std::string, int64_t> responses_total_;
  int64_t critical_total_ = 0;
  std::optional<int64_t> workers_;
  int64_t datagrams_ = 0;
  int64_t malformed_ = 0;
  int64_t forward_errors_ = 0;
};

}  // namespace corral::agent

#endif  // CORRAL_AGENT_REQUEST_WINDOW_H_
