// Google Benchmark for the probe's pure parts and a full scan.
//   build/bench/parsers_bench
#include <benchmark/benchmark.h>

#include "agent/probe.h"
#include "agent/procfs.h"
#include "common/message_utf8.h"
#include "gunicorn/command.h"
#include "gunicorn/config_loader.h"
#include "gunicorn/python_config.h"

namespace corral::agent {
namespace {

constexpr char kStat[] =
    "2532 (gunicorn: maste) S 1 2530 2530 0 -1 4194368 2133 0 0 0 11 4 0 0 20 0 1 0 18033 36208640 6280 "
    "18446744073709551615 4321280 7148169 140727732956304 0 0 0 0 16781312 137447943 1 0 0 17 1 0 0 0 0 0 9723336 "
    "11027064 852676608 140727732963885 140727732963983 140727732963983 140727732965350 0\n";

void BM_ParseStat(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseStat(kStat));
}
BENCHMARK(BM_ParseStat);

void BM_ParseCmdlineAndRecognize(benchmark::State& state) {
  std::string cmdline(
      "/usr/bin/python3\0/usr/bin/gunicorn\0--workers\0"
      "3\0--timeout\0"
      "120\0--preload\0wsgi:application\0",
      82);
  for (auto _ : state) benchmark::DoNotOptimize(gunicorn::RecognizeGunicorn(ParseCmdline(cmdline)));
}
BENCHMARK(BM_ParseCmdlineAndRecognize);

constexpr char kConfig[] = R"(import multiprocessing
import os

bind = "0.0.0.0:" + os.environ.get("PORT", "8000")
workers = multiprocessing.cpu_count() * 2 + 1
threads = int(os.environ.get("THREADS", 2))
timeout = 120
graceful_timeout = 30
keepalive = 5
preload_app = True
accesslog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

def post_fork(server, worker):
    server.log.info("worker %s", worker.pid)
)";

void BM_EvaluatePythonConfig(benchmark::State& state) {
  gunicorn::PythonConfigContext context;
  context.environ = std::vector<std::pair<std::string, std::string>>{{"PORT", "9000"}};
  context.cpu_count = 4;
  for (auto _ : state) benchmark::DoNotOptimize(gunicorn::EvaluatePythonConfig(kConfig, context));
}
BENCHMARK(BM_EvaluatePythonConfig);

void BM_ReconstructConfig(benchmark::State& state) {
  gunicorn::LoaderInputs in;
  in.args = std::vector<std::string>{"--workers", "3", "--timeout", "120", "--preload", "wsgi:application"};
  in.environ = std::vector<std::pair<std::string, std::string>>{{"GUNICORN_CMD_ARGS", "--keep-alive 5"}};
  in.cwd = "/app";
  in.python_cpu_count = 4;
  in.read_file = [](const std::string& path) -> absl::StatusOr<gunicorn::MasterFile> {
    return gunicorn::MasterFile{kConfig, 0};
  };
  for (auto _ : state) benchmark::DoNotOptimize(gunicorn::ReconstructConfig(in));
}
BENCHMARK(BM_ReconstructConfig);

void BM_DiscoverFixtureTree(benchmark::State& state) {
  ProbeOptions options;
  options.proc_root = std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/proc-fleet";
  Probe probe(options);
  for (auto _ : state) benchmark::DoNotOptimize(probe.Discover());
}
BENCHMARK(BM_DiscoverFixtureTree)->Unit(benchmark::kMicrosecond);

// The check every snapshot gets before it is sent (the probe's Finish):
// a read-only walk of every string field, the fixture fleet's 4 masters.
void BM_CheckSnapshotUtf8(benchmark::State& state) {
  ProbeOptions options;
  options.proc_root = std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/proc-fleet";
  corral::v1::Snapshot snapshot = Probe(options).Discover();
  for (auto _ : state) benchmark::DoNotOptimize(MakeStringsUtf8(&snapshot));
  state.counters["bytes"] = static_cast<double>(snapshot.ByteSizeLong());
}
BENCHMARK(BM_CheckSnapshotUtf8)->Unit(benchmark::kMicrosecond);

void BM_DiscoverThisMachine(benchmark::State& state) {
  Probe probe(ProbeOptions{});
  for (auto _ : state) benchmark::DoNotOptimize(probe.Discover());
  state.counters["processes"] = probe.processes_scanned();
}
BENCHMARK(BM_DiscoverThisMachine)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace corral::agent

BENCHMARK_MAIN();
