#include "agent/request_window.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace corral::agent {
namespace {

// Adds a count to a running total, saturating instead of overflowing:
// whatever reaches the statsd port can send counts.
void AddCount(int64_t& total, double n) {
  int64_t add = static_cast<int64_t>(std::llround(std::clamp(n, -1e18, 1e18)));
  if (__builtin_add_overflow(total, add, &total)) {
    total = add > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
}

}  // namespace

int RequestWindow::Bucket(double ms) {
  if (!(ms > kMinMs)) return 0;
  if (!(ms < kMinMs * std::pow(kGrowth, kBuckets))) return kBuckets - 1;
  int b = static_cast<int>(std::ceil(std::log(ms / kMinMs) / std::log(kGrowth)));
  return std::min(std::max(b, 0), kBuckets - 1);
}

double RequestWindow::BucketValue(int bucket) {
  // Bucket b holds (kMin * g^(b-1), kMin * g^b]; 2 g^b / (g + 1) is within
  // (g - 1) / (g + 1) < 2% of any value in it.
  return kMinMs * 2 * std::pow(kGrowth, bucket) / (kGrowth + 1);
}

RequestWindow::Slot& RequestWindow::SlotAt(absl::Time now) {
  int64_t second = absl::ToUnixSeconds(now);
  Slot& slot = slots_[static_cast<size_t>(((second % kSlots) + kSlots) % kSlots)];
  if (slot.second != second) slot = Slot{second};
  return slot;
}

void RequestWindow::Add(const StatsdMetric& m, absl::Time now) {
  // Gunicorn sends positive increments, durations and worker counts. A
  // negative value comes from something else on the port (or a statsd
  // client's gauge decrement): the totals are counters, which never go
  // down, and corral-server refuses a report whose totals do.
  if (m.value < 0) return;
  // A sampled counter stands for 1/rate events.
  double n = m.type == "c" ? m.value / m.sample_rate : m.value;
  if (m.name == "gunicorn.requests" && m.type == "c") {
    SlotAt(now).requests += n;
    AddCount(requests_total_, n);
  } else if (m.name == "gunicorn.request.duration" && (m.type == "ms" || m.type == "h" || m.type == "d")) {
    Slot& slot = SlotAt(now);
    double weight = 1 / m.sample_rate;
    slot.duration_sum_ms += m.value * weight;
    slot.durations += weight;
    // Saturates: a line sampled at 1e-6 stands for a million durations.
    uint32_t& count = slot.histogram[static_cast<size_t>(Bucket(m.value))];
    count = static_cast<uint32_t>(std::min<uint64_t>(std::numeric_limits<uint32_t>::max(),
                                                     uint64_t{count} + static_cast<uint64_t>(std::llround(weight))));
    duration_total_ms_ += m.value * weight;
  } else if (m.type == "c" && absl::StartsWith(m.name, "gunicorn.request.status.")) {
    // Exactly three digits, 100 to 999: "0200", "+200" or " 200" would each
    // open another total (memory without bound), and corral-server
    // refuses a report whose status codes are not three digits.
    std::string code = m.name.substr(sizeof("gunicorn.request.status.") - 1);
    if (code.size() != 3 || code[0] == '0' || !std::all_of(code.begin(), code.end(), absl::ascii_isdigit)) return;
    int status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    Slot& slot = SlotAt(now);
    slot.responses += n;
    if (status >= 500 && status < 600) slot.errors += n;
    AddCount(responses_total_[code], n);
  } else if (m.name == "gunicorn.workers" && m.type == "g") {
    workers_ = static_cast<int64_t>(m.value);
  } else if (m.name == "gunicorn.log.critical" && m.type == "c") {
    AddCount(critical_total_, n);
  }
}

void RequestWindow::CountDatagram(int malformed_lines) {
  ++datagrams_;
  malformed_ += malformed_lines > 0 ? 1 : 0;
}

corral::v1::RequestStats RequestWindow::Summarize(absl::Time now) const {
  corral::v1::RequestStats out;
  int64_t current = absl::ToUnixSeconds(now);
  double window = std::min(static_cast<double>(kSlots), std::max(1.0, absl::ToDoubleSeconds(now - start_)));
  out.set_window_seconds(window);
  double requests = 0, sum = 0, durations = 0, responses = 0, errors = 0;
  std::array<uint64_t, kBuckets> histogram{};
  for (const Slot& slot : slots_) {
    if (slot.second < 0 || slot.second <= current - kSlots || slot.second > current) continue;
    requests += slot.requests;
    sum += slot.duration_sum_ms;
    durations += slot.durations;
    responses += slot.responses;
    errors += slot.errors;
    for (int b = 0; b < kBuckets; ++b) histogram[static_cast<size_t>(b)] += slot.histogram[static_cast<size_t>(b)];
  }
  out.set_requests_per_second(requests / window);
  if (durations > 0) {
    out.set_latency_mean_ms(sum / durations);
    uint64_t total = 0;
    for (uint64_t c : histogram) total += c;
    auto quantile = [&](double q) {
      // The smallest bucket whose cumulative count reaches q of the total.
      double rank = std::max(1.0, std::ceil(q * static_cast<double>(total)));
      uint64_t seen = 0;
      for (int b = 0; b < kBuckets; ++b) {
        seen += histogram[static_cast<size_t>(b)];
        if (static_cast<double>(seen) >= rank) return BucketValue(b);
      }
      return BucketValue(kBuckets - 1);
    };
    if (total > 0) {
      out.set_latency_p50_ms(quantile(0.50));
      out.set_latency_p95_ms(quantile(0.95));
      out.set_latency_p99_ms(quantile(0.99));
    }
  }
  if (responses > 0) out.set_error_rate(errors / responses);
  if (workers_) out.set_gunicorn_workers(*workers_);
  out.set_requests_total(requests_total_);
  out.set_request_duration_seconds_total(duration_total_ms_ / 1000);
  for (const auto& [code, n] : responses_total_) (*out.mutable_responses_total())[code] = n;
  out.set_critical_logs_total(critical_total_);
  out.set_datagrams_total(datagrams_);
  out.set_malformed_total(malformed_);
  out.set_forward_errors_total(forward_errors_);
  return out;
}

}  // namespace corral::agent
