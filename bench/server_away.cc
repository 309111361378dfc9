// corral-server away for --minutes while agents report every second.
//
// Part 1, real agents: starts corral-server and --agents corral-agent
// processes (--interval 1s, reading the fixture proc tree), waits until all
// report, kills the server (SIGKILL) and keeps it away for --minutes while
// sampling every agent's VmRSS and open descriptors every 10 s, then
// restarts it on the same port and data directory and reads from its log
// when each instance reported again. Prints the agents' memory over the
// outage and the reconnections per 100 ms after the server's "listening".
//
// Part 2, simulated agents: the same with --simulated agents in this
// process (tests/support/simulated_agents.h), each on its own connection,
// re-opened with the real agent's backoff and jitter (NextBackoff, capped at
// the 1 s interval), away for --simulated-minutes (default --minutes).
// Prints the peak reconnection rate per 100 ms as the server logged the
// instances reporting again and as the agents saw their streams open.
//
//   build/bench/server_away [--minutes 10] [--agents 20] [--simulated 10000] [--simulated-minutes M]
//                           [--part all|real|simulated]
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/chaos/chaos_support.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/simulated_agents.h"
#include "tests/support/subprocess.h"

namespace {

using corral::testing::BinPath;
using corral::testing::Process;
using corral::testing::ServerProcess;
using corral::testing::WaitFor;

struct Options {
  double minutes = 10;
  double simulated_minutes = -1;  // as --minutes
  int agents = 20;
  int simulated = 10000;
  std::string part = "all";
};

constexpr absl::Duration kInterval = absl::Seconds(1);

// Children's process groups, killed if this bench is interrupted (their
// Process objects would otherwise not get to do it).
std::atomic<int> g_children[256];
std::atomic<int> g_child_count{0};

void Register(int pid) {
  int i = g_child_count.fetch_add(1);
  if (i < 256) g_children[i].store(pid);
}

void KillChildren(int signal) {
  for (int i = 0; i < std::min(256, g_child_count.load()); ++i) {
    if (int pid = g_children[i].load(); pid > 0) ::kill(-pid, SIGKILL);
  }
  ::_exit(128 + signal);
}

// TcpExtListenOverflows from /proc/net/netstat: connections dropped because
// a listening socket's accept queue was full (in this network namespace).
int64_t ListenOverflows() {
  std::ifstream in("/proc/net/netstat");
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::vector<std::string> n = absl::StrSplit(names, ' ');
    std::vector<std::string> v = absl::StrSplit(values, ' ');
    for (size_t i = 0; i < n.size() && i < v.size(); ++i) {
      int64_t value = 0;
      if (n[i] == "ListenOverflows" && absl::SimpleAtoi(v[i], &value)) return value;
    }
  }
  return 0;
}

// User plus system CPU time of process `pid` so far.
absl::Duration CpuTime(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return absl::ZeroDuration();
  std::vector<std::string> fields = absl::StrSplit(text.substr(paren + 2), ' ');
  int64_t utime = 0, stime = 0;
  if (fields.size() > 12) {
    (void)absl::SimpleAtoi(fields[11], &utime);
    (void)absl::SimpleAtoi(fields[12], &stime);
  }
  return absl::Seconds(static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK)));
}

int OpenDescriptors(int pid) {
  DIR* dir = ::opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
  if (dir == nullptr) return -1;
  int n = 0;
  while (struct dirent* entry = ::readdir(dir)) n += entry->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

template <typename T>
T Quantile(std::vector<T> v, double q) {
  if (v.empty()) return T();
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5))];
}

// Reconnections after `back`: when all were back, and the busiest 100 ms.
void PrintReconnections(const char* seen_by, absl::Time back, const std::vector<absl::Time>& times, int expected) {
  std::map<int64_t, int> buckets;
  absl::Duration last = absl::ZeroDuration();
  for (absl::Time t : times) {
    ++buckets[absl::ToInt64Milliseconds(t - back) / 100];
    last = std::max(last, t - back);
  }
  int peak = 0;
  int64_t peak_at = 0;
  for (const auto& [bucket, n] : buckets) {
    if (n > peak) {
      peak = n;
      peak_at = bucket;
    }
  }
  std::printf("  as seen by %s: %zu of %d back, the last %.0f ms after the server listened (2 intervals = %.0f ms);\n",
              seen_by, times.size(), expected, absl::ToDoubleMilliseconds(last),
              absl::ToDoubleMilliseconds(2 * kInterval));
  std::printf("    busiest 100 ms: %d reconnections (%.0f/s) at +%lld ms; %zu slices of 100 ms used\n", peak,
              peak * 10.0, static_cast<long long>(peak_at * 100), buckets.size());
  std::string histogram;
  for (const auto& [bucket, n] : buckets) absl::StrAppend(&histogram, " +", bucket * 100, ":", n);
  std::printf("    per 100 ms:%s\n", histogram.c_str());
}

void RealAgents(const Options& o) {
  std::string dir = corral::testing::MakeTempDir("away-real");
  auto server = ServerProcess::Start(dir);
  Register(server->process().pid());
  const int port = server->port();
  std::vector<std::unique_ptr<Process>> agents;
  for (int i = 0; i < o.agents; ++i) {
    agents.push_back(Process::Start({BinPath("corral-agent"), "--server", server->address(), "--service", "away",
                                     "--instance", absl::StrCat("a-", i), "--proc-root",
                                     corral::testing::SourceDir() + "/tests/fixtures/proc-fleet", "--interval", "1s"},
                                    {}, absl::StrCat(dir, "/agent-", i, ".log")));
    Register(agents.back()->pid());
  }
  if (!WaitFor([&] { return corral::testing::OnlineInstances(server->address()) == o.agents; }, absl::Seconds(30))) {
    std::printf("the agents did not all come online\n");
    return;
  }
  std::printf("part 1: %d corral-agent processes (--interval 1s, fixture proc tree); server away %.1f min\n", o.agents,
              o.minutes);
  absl::SleepFor(absl::Seconds(10));  // past the first samples' allocations
  auto sample = [&](std::vector<int64_t>* rss, std::vector<int>* fds) {
    rss->clear();
    fds->clear();
    for (auto& a : agents) {
      rss->push_back(corral::testing::RssKb(a->pid()));
      fds->push_back(OpenDescriptors(a->pid()));
    }
  };
  std::vector<int64_t> rss_connected, rss;
  std::vector<int> fds_connected, fds;
  sample(&rss_connected, &fds_connected);
  server->process().Signal(SIGKILL);
  server->process().Wait(absl::Seconds(10));
  absl::Time away = absl::Now();
  std::vector<int64_t> peak = rss_connected;
  std::printf("  %-10s %12s %12s %12s %10s\n", "away", "VmRSS min", "median", "max (KiB)", "fds max");
  auto print_row = [&](const std::string& when) {
    std::printf("  %-10s %12lld %12lld %12lld %10d\n", when.c_str(), static_cast<long long>(Quantile(rss, 0)),
                static_cast<long long>(Quantile(rss, 0.5)), static_cast<long long>(Quantile(rss, 1)),
                Quantile(fds, 1.0));
  };
  rss = rss_connected;
  fds = fds_connected;
  print_row("connected");
  int samples = 0;
  while (absl::Now() - away < absl::Minutes(o.minutes)) {
    absl::SleepFor(std::min(absl::Seconds(10), absl::Minutes(o.minutes) - (absl::Now() - away)));
    sample(&rss, &fds);
    for (size_t i = 0; i < rss.size(); ++i) peak[i] = std::max(peak[i], rss[i]);
    ++samples;
    if (samples % 6 == 0 || absl::Now() - away >= absl::Minutes(o.minutes)) {
      print_row(absl::StrCat(absl::ToInt64Seconds(absl::Now() - away), " s"));
    }
  }
  std::vector<int64_t> growth;
  for (size_t i = 0; i < rss.size(); ++i) growth.push_back(rss[i] - rss_connected[i]);
  std::vector<int64_t> peak_growth;
  for (size_t i = 0; i < rss.size(); ++i) peak_growth.push_back(peak[i] - rss_connected[i]);
  std::printf(
      "  per agent, end of outage minus connected: median %+lld KiB, max %+lld KiB; highest sample minus "
      "connected: max %+lld KiB (%d samples)\n",
      static_cast<long long>(Quantile(growth, 0.5)), static_cast<long long>(Quantile(growth, 1)),
      static_cast<long long>(Quantile(peak_growth, 1)), samples);

  int64_t overflows = ListenOverflows();
  server = ServerProcess::Start(dir, {}, port);
  Register(server->process().pid());
  WaitFor([&] { return corral::testing::ReportingSince(server->process().Log()).size() >= agents.size(); },
          absl::Seconds(30));
  std::string log = server->process().Log();
  absl::StatusOr<absl::Time> back = corral::testing::FirstLogTime(log, "listening on " + server->address());
  if (!back.ok()) {
    std::printf("  no 'listening' line in the server's log\n");
    return;
  }
  std::vector<absl::Time> times;
  for (const auto& [instance, at] : corral::testing::ReportingSince(log)) times.push_back(at);
  PrintReconnections("the server", *back, times, o.agents);
  std::printf("  listen queue overflows on this machine meanwhile (TcpExtListenOverflows): %lld\n",
              static_cast<long long>(ListenOverflows() - overflows));
  absl::SleepFor(absl::Seconds(5));
  sample(&rss, &fds);
  print_row("back +5 s");
}

void SimulatedAgents(const Options& o) {
  double minutes = o.simulated_minutes >= 0 ? o.simulated_minutes : o.minutes;
  std::string dir = corral::testing::MakeTempDir("away-simulated");
  auto server = ServerProcess::Start(dir);
  Register(server->process().pid());
  const int port = server->port();
  corral::testing::FlappingFleet fleet(o.simulated, 10, 0, kInterval);
  corral::testing::SimulatedAgentsOptions options;
  options.address = server->address();
  options.agents = o.simulated;
  options.interval = kInterval;
  options.connections = 0;  // each its own connection, re-opened for every stream, as corral-agent does
  options.message = [&fleet](int agent, int64_t sequence, bool first) { return fleet.Message(agent, sequence, first); };
  absl::Time start = absl::Now();
  absl::Duration self_cpu_start = CpuTime(getpid());
  corral::testing::SimulatedAgents agents(options);
  if (!WaitFor([&] { return agents.connected() == o.simulated; }, absl::Seconds(120))) {
    std::printf("only %d of %d simulated agents connected\n", agents.connected(), o.simulated);
    for (const auto& [why, n] : agents.EndReasons()) std::printf("  %d streams ended: %s\n", n, why.c_str());
    return;
  }
  std::printf(
      "part 2: %d simulated agents (each its own connection, 1 report/s, backoff capped at 1 s), connected in "
      "%.1f s; server away %.1f min\n",
      o.simulated, absl::ToDoubleSeconds(absl::Now() - start), minutes);
  std::printf("  to connect them: %.1f s of CPU in corral-server, %.1f s in the simulated agents\n",
              absl::ToDoubleSeconds(CpuTime(server->process().pid())),
              absl::ToDoubleSeconds(CpuTime(getpid()) - self_cpu_start));
  absl::SleepFor(absl::Seconds(5));
  int64_t server_rss = corral::testing::RssKb(server->process().pid());
  // While the server is away, the agents' attempts follow the real backoff
  // but do not touch the network (a closed port refuses at once): 10,000
  // agents would otherwise cost this process ~13,000 channels a second.
  agents.SetOffline(true);
  server->process().Signal(SIGKILL);
  server->process().Wait(absl::Seconds(10));
  absl::Time away = absl::Now();
  uint64_t failed_before = agents.failed_attempts();
  absl::SleepFor(absl::Minutes(minutes));
  uint64_t failed = agents.failed_attempts() - failed_before;
  std::printf("  while away: %llu connection attempts (%.0f/s; %.2f per agent per second; simulated)\n",
              static_cast<unsigned long long>(failed), failed / absl::ToDoubleSeconds(absl::Now() - away),
              failed / absl::ToDoubleSeconds(absl::Now() - away) / o.simulated);

  agents.SetOffline(false);  // from now on, attempts are real: the port is closed until the server listens
  int64_t overflows = ListenOverflows();
  absl::Duration self_cpu = CpuTime(getpid());
  std::map<std::string, int> ended_before = agents.EndReasons();
  server = ServerProcess::Start(dir, {}, port);
  Register(server->process().pid());
  WaitFor([&] { return agents.connected() == o.simulated; }, absl::Seconds(120));
  std::printf("  until every stream was open again: %.1f s of CPU in corral-server, %.1f s in the simulated agents\n",
              absl::ToDoubleSeconds(CpuTime(server->process().pid())),
              absl::ToDoubleSeconds(CpuTime(getpid()) - self_cpu));
  // The log is long: read it twice a second.
  for (int i = 0; i < 60; ++i) {
    if (corral::testing::ReportingSince(server->process().Log()).size() >= static_cast<size_t>(o.simulated)) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  std::printf("  listen queue overflows on this machine meanwhile (TcpExtListenOverflows): %lld\n",
              static_cast<long long>(ListenOverflows() - overflows));
  for (const auto& [why, n] : agents.EndReasons()) {
    int since = n - ended_before[why];
    if (since > 0) std::printf("  streams that ended since the server came back: %d, %s\n", since, why.c_str());
  }
  std::string log = server->process().Log();
  absl::StatusOr<absl::Time> back = corral::testing::FirstLogTime(log, "listening on " + server->address());
  if (!back.ok()) {
    std::printf("  no 'listening' line in the server's log\n");
    return;
  }
  std::vector<absl::Time> logged;
  for (const auto& [instance, at] : corral::testing::ReportingSince(log)) logged.push_back(at);
  PrintReconnections("the server (its log)", *back, logged, o.simulated);
  std::vector<absl::Time> opened;
  for (const std::vector<absl::Time>& starts : agents.StreamStarts()) {
    if (!starts.empty() && starts.back() >= *back) opened.push_back(starts.back());
  }
  PrintReconnections("the agents (stream open)", *back, opened, o.simulated);
  std::printf("  server VmRSS %lld KiB before the outage, %lld KiB after the reconnection\n",
              static_cast<long long>(server_rss),
              static_cast<long long>(corral::testing::RssKb(server->process().pid())));
  agents.Stop();
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  ::signal(SIGINT, KillChildren);
  ::signal(SIGTERM, KillChildren);
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    bool ok = true;
    if (flag == "--minutes") {
      ok = absl::SimpleAtod(value, &o.minutes);
    } else if (flag == "--simulated-minutes") {
      ok = absl::SimpleAtod(value, &o.simulated_minutes);
    } else if (flag == "--agents") {
      ok = absl::SimpleAtoi(value, &o.agents);
    } else if (flag == "--simulated") {
      ok = absl::SimpleAtoi(value, &o.simulated);
    } else if (flag == "--part") {
      o.part = value;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "server_away: bad flag %s %s\n", flag.c_str(), value.c_str());
      return 2;
    }
  }
  std::printf("$ build/bench/server_away --minutes %g --agents %d --simulated %d (%u cores)\n", o.minutes, o.agents,
              o.simulated, std::thread::hardware_concurrency());
  if (o.part == "all" || o.part == "real") RealAgents(o);
  if (o.part == "all" || o.part == "simulated") SimulatedAgents(o);
  return 0;
}
