// Whole-scan timings on the live /proc, in one process:
//   floor      readdir /proc + read every /proc/PID/stat (nothing else)
//   discovery  Probe::Discover(): find masters, classify workers, settings
//   steady     Probe::Sample() for the masters already known
// Prints the median and p90 of each over --iterations runs, in microseconds,
// and the number of processes and masters seen. Used by bench/compare_scan.sh.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "agent/probe.h"

namespace {

// The cheapest possible full scan: what any /proc walker must at least do.
int FloorScan() {
  DIR* dir = ::opendir("/proc");
  int count = 0;
  char path[64];
  char buffer[1024];
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    while (::read(fd, buffer, sizeof(buffer)) > 0) {
    }
    ::close(fd);
    ++count;
  }
  ::closedir(dir);
  return count;
}

struct Stats {
  double median_us;
  double p90_us;
};

template <typename F>
Stats Measure(int iterations, F&& f) {
  std::vector<double> us;
  for (int i = 0; i < iterations; ++i) {
    absl::Time start = absl::Now();
    f();
    us.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 9 / 10]};
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 200;
  int processes = FloorScan();
  corral::agent::ProbeOptions options;
  options.rediscover_every = absl::Hours(24);
  corral::agent::Probe probe(options);
  corral::v1::Snapshot first = probe.Discover();
  int workers = 0;
  for (const auto& inst : first.instances()) workers += inst.workers_size();

  Stats floor = Measure(iterations, [] { FloorScan(); });
  Stats discovery = Measure(iterations, [&] { probe.Discover(); });
  probe.Discover();
  Stats steady = Measure(iterations * 10, [&] { probe.Sample(); });

  std::printf("processes=%d masters=%d workers=%d iterations=%d\n", processes, first.instances_size(), workers,
              iterations);
  std::printf("%-28s %10s %10s\n", "method", "median_us", "p90_us");
  std::printf("%-28s %10.0f %10.0f\n", "floor (readdir + stat)", floor.median_us, floor.p90_us);
  std::printf("%-28s %10.0f %10.0f   (%.2fx floor)\n", "corral full discovery", discovery.median_us, discovery.p90_us,
              discovery.median_us / floor.median_us);
  std::printf("%-28s %10.1f %10.1f\n", "corral steady-state sample", steady.median_us, steady.p90_us);
  return 0;
}
