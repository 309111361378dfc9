// The fleet pages under a real fleet's weight: corral-server fed by
// simulated agents (tests/support/simulated_agents.h), then `/` loaded in
// headless Chromium (tests/support/webdriver.h) as a person would open it.
// For each fleet size prints what the browser transferred for the page,
// its stylesheet and script (gzip, as httplib sends to browsers), the
// page's size uncompressed, and the Navigation Timing of the load: time to
// the last byte, to DOMContentLoaded, to the load event, and Chromium's
// first contentful paint. Then the same for one service's page.
//
//   build/bench/web_page_load [--fleets SERVICESxREPLICAS,...]   (100x3,1000x10)
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/simulated_agents.h"
#include "tests/support/subprocess.h"
#include "tests/support/webdriver.h"

namespace {

using corral::testing::WaitFor;

struct Fleet {
  int services = 0;
  int replicas = 0;
};

// Transfer and timing of the page the browser just loaded, from the
// Navigation and Resource Timing APIs (milliseconds from navigation start).
constexpr char kTimingScript[] = R"js(
  const n = performance.getEntriesByType('navigation')[0];
  const assets = performance.getEntriesByType('resource')
      .filter(r => r.name.includes('/assets/'))
      .reduce((sum, r) => sum + r.transferSize, 0);
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    transfer: n.transferSize, decoded: n.decodedBodySize, assets: assets,
    response_end: n.responseEnd, dom_ready: n.domContentLoadedEventEnd, load: n.loadEventEnd,
    fcp: paint ? paint.startTime : -1,
    rows: document.querySelectorAll('#fleet tbody tr, #replicas tbody tr').length
  };)js";

double Number(const corral::Json& json, const char* key) {
  const corral::Json* v = json.Find(key);
  return v == nullptr ? -1 : v->number;
}

void Report(const char* what, const corral::Json& t) {
  std::printf(
      "%-28s %6.0f rows  transfer %7.1f KiB (+%5.1f KiB assets)  html %8.1f KiB  "
      "last byte %6.1f ms  DOM ready %6.1f ms  load %6.1f ms  first paint %6.1f ms\n",
      what, Number(t, "rows"), Number(t, "transfer") / 1024, Number(t, "assets") / 1024, Number(t, "decoded") / 1024,
      Number(t, "response_end"), Number(t, "dom_ready"), Number(t, "load"), Number(t, "fcp"));
}

int Run(const Fleet& fleet) {
  std::string dir = corral::testing::MakeTempDir("web-page-load");
  auto server = corral::testing::ServerProcess::Start(dir, {"--http", "127.0.0.1:0"});
  if (server->http_address().empty()) {
    std::fprintf(stderr, "corral-server did not serve HTTP:\n%s\n", server->process().Log().c_str());
    return 1;
  }
  int agents = fleet.services * fleet.replicas;
  corral::v1::Snapshot snapshot = corral::testing::FixtureSnapshot(3, absl::Seconds(5));
  corral::testing::SimulatedAgentsOptions options;
  options.address = server->address();
  options.agents = agents;
  options.interval = absl::Seconds(5);
  options.connections = 16;
  options.message = [&](int agent, int64_t, bool first) {
    return corral::testing::AgentMessageBytes(snapshot, absl::StrCat("svc-", agent / fleet.replicas),
                                              absl::StrCat("svc-", agent / fleet.replicas, "-", agent % fleet.replicas),
                                              !first);
  };
  corral::testing::SimulatedAgents simulated(options);
  if (!WaitFor([&] { return simulated.connected() >= agents; }, absl::Seconds(120))) {
    std::fprintf(stderr, "only %d of %d agents connected\n", simulated.connected(), agents);
    return 1;
  }
  absl::SleepFor(absl::Seconds(6));  // every agent reported once at least; the evaluator caught up
  // The server's side alone: GET / as curl does it (no browser), whole
  // response, median of 5.
  for (auto [accept, encoding] : {std::pair{"text/html", "gzip"}, {"text/html", "br"}, {"application/json", "gzip"}}) {
    std::vector<double> ms;
    std::string bytes;
    for (int i = 0; i < 5; ++i) {
      corral::testing::RunResult r = corral::testing::RunCommand(
          {"curl", "-sS", "-o", "/dev/null", "-H", absl::StrCat("Accept: ", accept), "-H",
           absl::StrCat("Accept-Encoding: ", encoding), "-w", "%{time_total} %{size_download}",
           absl::StrCat("http://", server->http_address(), "/")});
      std::vector<std::string> parts = absl::StrSplit(r.out, ' ');
      double seconds = 0;
      if (parts.size() == 2 && absl::SimpleAtod(parts[0], &seconds)) ms.push_back(seconds * 1000);
      if (parts.size() == 2) bytes = parts[1];
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%d services x %d: GET / %-16s (curl, %s) median %7.1f ms, %s bytes\n", fleet.services, fleet.replicas,
                accept, encoding, ms.empty() ? -1.0 : ms[ms.size() / 2], bytes.c_str());
  }
  absl::StatusOr<std::unique_ptr<corral::testing::WebDriver>> browser = corral::testing::WebDriver::Start();
  if (!browser.ok()) {
    std::fprintf(stderr, "%s\n", std::string(browser.status().message()).c_str());
    return 1;
  }
  std::string base = absl::StrCat("http://", server->http_address());
  std::string label = absl::StrCat(fleet.services, " services x ", fleet.replicas, ": /");
  // The first load fetches the assets; the second finds them cached, as
  // every later page does.
  for (const char* visit : {" (first)", " (cached)"}) {
    if (absl::Status s = (*browser)->Navigate(base + "/"); !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    absl::StatusOr<corral::Json> timing = (*browser)->ExecuteScript(kTimingScript);
    if (!timing.ok()) {
      std::fprintf(stderr, "%s\n", std::string(timing.status().message()).c_str());
      return 1;
    }
    Report((label + visit).c_str(), *timing);
  }
  if (absl::Status s = (*browser)->Navigate(base + "/service/svc-7"); s.ok()) {
    absl::StatusOr<corral::Json> timing = (*browser)->ExecuteScript(kTimingScript);
    if (timing.ok()) Report(absl::StrCat(fleet.replicas, " replicas: /service/svc-7").c_str(), *timing);
  }
  simulated.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Fleet> fleets = {{100, 3}, {1000, 10}};
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help") {
      std::printf("usage: web_page_load [--fleets SERVICESxREPLICAS,...]   (default 100x3,1000x10)\n");
      return 0;
    }
    if (flag == "--fleets" && i + 1 < argc) {
      fleets.clear();
      for (absl::string_view f : absl::StrSplit(argv[++i], ',')) {
        std::vector<std::string> parts = absl::StrSplit(f, 'x');
        Fleet fleet;
        if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &fleet.services) ||
            !absl::SimpleAtoi(parts[1], &fleet.replicas) || fleet.services < 1 || fleet.replicas < 1) {
          std::fprintf(stderr, "web_page_load: --fleets takes SERVICESxREPLICAS,... (100x3)\n");
          return 2;
        }
        fleets.push_back(fleet);
      }
      continue;
    }
    std::fprintf(stderr, "web_page_load: unknown flag %s (--help)\n", flag.c_str());
    return 2;
  }
  for (const Fleet& fleet : fleets) {
    if (int rc = Run(fleet); rc != 0) return rc;
  }
  return 0;
}
