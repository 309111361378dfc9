// Google Benchmark for the server's query path: registry views, the rules
// and the /metrics text over a fleet of N instances (services of 10
// replicas).
//   build/bench/fleet_view_bench
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "agent/probe.h"
#include "server/fleet_evaluator.h"
#include "server/fleet_view.h"
#include "server/metrics.h"
#include "server/registry.h"

namespace corral::server {
namespace {

corral::v1::Snapshot Template() {
  agent::ProbeOptions options;
  options.proc_root = std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/proc-fleet";
  corral::v1::Snapshot s = agent::Probe(options).Discover();
  corral::v1::Snapshot out;
  *out.add_instances() = s.instances(0);
  out.mutable_agent()->set_interval_ms(5000);
  return out;
}

std::unique_ptr<Registry> Fleet(int n) {
  auto registry = std::make_unique<Registry>(RegistryOptions{});
  corral::v1::Snapshot t = Template();
  for (int i = 0; i < n; ++i) {
    corral::v1::Snapshot s = t;
    s.mutable_agent()->set_service(absl::StrCat("svc-", i / 10));
    s.mutable_agent()->set_instance(absl::StrCat("instance-", i));
    registry->Record(Report::Complete(std::make_shared<const corral::v1::Snapshot>(std::move(s))).value());
  }
  return registry;
}

void BM_Instances(benchmark::State& state) {
  auto registry = Fleet(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(registry->Instances());
}
BENCHMARK(BM_Instances)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// Every service evaluated from scratch, as the first query would.
void BM_FleetStatusComputed(benchmark::State& state) {
  auto registry = Fleet(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(FleetEvaluator(registry.get()).Status());
}
BENCHMARK(BM_FleetStatusComputed)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// What GetFleetStatus costs once the evaluator has caught up.
void BM_FleetStatusEvaluated(benchmark::State& state) {
  auto registry = Fleet(static_cast<int>(state.range(0)));
  FleetEvaluator evaluator(registry.get());
  evaluator.Refresh();
  for (auto _ : state) benchmark::DoNotOptimize(evaluator.Status());
}
BENCHMARK(BM_FleetStatusEvaluated)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// A /metrics scrape once the evaluator has caught up: the evaluations read
// out, then the text rendered.
void BM_MetricsScrape(benchmark::State& state) {
  auto registry = Fleet(static_cast<int>(state.range(0)));
  FleetEvaluator evaluator(registry.get());
  evaluator.Refresh();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = RenderMetrics(evaluator.Services(), {}, absl::Now());
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_MetricsScrape)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_Record(benchmark::State& state) {
  auto registry = Fleet(10000);
  corral::v1::Snapshot t = Template();
  t.mutable_agent()->set_service("svc-1");
  t.mutable_agent()->set_instance("instance-17");
  auto snapshot = std::make_shared<const corral::v1::Snapshot>(t);
  for (auto _ : state) registry->Record(Report::Complete(snapshot).value());
}
BENCHMARK(BM_Record);

}  // namespace
}  // namespace corral::server

BENCHMARK_MAIN();
