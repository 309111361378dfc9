// Google Benchmark for the server's query path: registry views, the rules,
// the /metrics text and the fleet pages over a fleet of N instances
// (services of 10 replicas).
//   build/bench/fleet_view_bench
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "agent/probe.h"
#include "server/fleet_evaluator.h"
#include "server/fleet_view.h"
#include "server/metrics.h"
#include "server/registry.h"
#include "server/web/fleet_page.h"
#include "server/web/page_layout.h"
#include "server/web/service_page.h"
#include "zlib.h"

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
BENCHMARK(BM_FleetStatusEvaluated)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

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

// What a browser receives: `len` bytes gzipped (httplib compresses pages
// for clients that accept gzip), at zlib's default level.
size_t GzipBytes(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  size_t bytes = z.total_out;
  deflateEnd(&z);
  return bytes;
}

// GET / once the evaluator has caught up: the status read out and the
// page rendered (1,000 instances: 100 services).
void BM_FleetPage(benchmark::State& state) {
  auto registry = Fleet(static_cast<int>(state.range(0)));
  FleetEvaluator evaluator(registry.get());
  evaluator.Refresh();
  std::string page;
  for (auto _ : state) {
    page = web::RenderPage({"Fleet", "/events", web::RenderFleetMain(evaluator.Status(), {}, "")});
    benchmark::DoNotOptimize(page);
  }
  state.counters["bytes"] = static_cast<double>(page.size());
  state.counters["gzip_bytes"] = static_cast<double>(GzipBytes(page));
}
BENCHMARK(BM_FleetPage)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

// GET /service/NAME for one service of 10 replicas, without history.
void BM_ServicePage(benchmark::State& state) {
  auto registry = Fleet(static_cast<int>(state.range(0)));
  FleetEvaluator evaluator(registry.get());
  evaluator.Refresh();
  std::string page;
  for (auto _ : state) {
    web::ServicePageData data;
    data.service = "svc-7";
    data.detail = BuildServiceDetail("svc-7", registry->Instances("svc-7"), registry->Now(), Expectations()).value();
    data.to_unix_ms = absl::ToUnixMillis(absl::Now());
    data.from_unix_ms = data.to_unix_ms - 6 * 3600 * 1000;
    page = web::RenderPage({"svc-7", "/events?service=svc-7", web::RenderServiceMain(data)});
    benchmark::DoNotOptimize(page);
  }
  state.counters["bytes"] = static_cast<double>(page.size());
  state.counters["gzip_bytes"] = static_cast<double>(GzipBytes(page));
}
BENCHMARK(BM_ServicePage)->Arg(10000)->Unit(benchmark::kMillisecond);

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
