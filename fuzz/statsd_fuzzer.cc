// statsd datagrams (agent/statsd.h) as they arrive on the agent's UDP port
// from anything that can reach it, folded into the request window
// (agent/request_window.h) exactly as the receiver does.
#include <cmath>
#include <vector>

#include "absl/time/time.h"
#include "agent/request_window.h"
#include "agent/statsd.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::agent;
  int malformed = 0;
  std::vector<StatsdMetric> metrics = ParseStatsdDatagram(corral::fuzz::AsText(data, size), &malformed);
  CORRAL_FUZZ_CHECK(malformed >= 0);
  absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  RequestWindow window(start);
  absl::Time now = start;
  for (const StatsdMetric& m : metrics) {
    CORRAL_FUZZ_CHECK(m.sample_rate > 0 && m.sample_rate <= 1);
    window.Add(m, now);
    now += absl::Milliseconds(700);
  }
  window.CountDatagram(malformed);
  corral::v1::RequestStats stats = window.Summarize(now);
  CORRAL_FUZZ_CHECK(stats.datagrams_total() == 1);
  CORRAL_FUZZ_CHECK(stats.window_seconds() >= 1 && stats.window_seconds() <= RequestWindow::kSlots);
  return 0;
}
