// How many of Gunicorn's statsd datagrams one agent core takes: the parse
// alone, and the whole path of a received datagram (parse, then the request
// window) through StatsdReceiver::Handle. Target: 200,000 datagrams/s.
//   build/bench/statsd_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "agent/statsd.h"
#include "agent/statsd_receiver.h"

namespace corral::agent {
namespace {

// What Gunicorn sends per request (three datagrams), with a prefix and
// dogstatsd tags as a Datadog setup would have them.
const std::vector<std::string> kDatagrams = {
    "web.gunicorn.request.duration:23.418|ms|#env:prod,service:web",
    "web.gunicorn.requests:1|c|@1.0|#env:prod,service:web",
    "web.gunicorn.request.status.200:1|c|@1.0|#env:prod,service:web",
};

void BM_ParseDatagram(benchmark::State& state) {
  size_t i = 0;
  int malformed = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseStatsdDatagram(kDatagrams[i++ % kDatagrams.size()], &malformed));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseDatagram);

void BM_HandleDatagram(benchmark::State& state) {
  StatsdOptions options;  // no sockets: Handle() is the receive path
  auto receiver = StatsdReceiver::Start(options);
  size_t i = 0;
  for (auto _ : state) {
    const std::string& d = kDatagrams[i++ % kDatagrams.size()];
    (*receiver)->Handle(d.data(), d.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HandleDatagram);

}  // namespace
}  // namespace corral::agent

BENCHMARK_MAIN();
