// The server's event history at scale (server/store.h): fills a fresh store
// with --events events (default 1,000,000: 200 services of 10 instances,
// times spread evenly over the 30 days up to now, the kinds, rules and
// messages the server writes) in Appends of --batch events (default 100),
// as the server writes them, and prints:
//   - insert throughput and the latency of one Append;
//   - the file's size and how long Open() takes on it;
//   - the queries `corral history` and Watch make, each run --runs times
//     (first run after reopening, then median and max): since now-1h for all
//     services and for one, since now-24h for one with limit 1000, since
//     30 days with limit 1000, and a Watch replay after an id;
//   - a prune of the oldest day;
//   - then the latency of 2,000 single-event Appends (at now) that also
//     replace a baseline.
//
//   build/bench/history_bench [--events 1000000] [--batch 100] [--runs 20] [--keep PATH]
//                             [--database postgresql://...]
//
// --database runs it all on a PostgreSQL database instead (server/
// postgres_store.h), which must be empty and is left filled; the file
// figures are then left out. bench/postgres_store.sh starts a PostgreSQL 15
// for it and runs both engines.
//
// --keep PATH builds the store at PATH (which must not exist yet) and leaves
// it there, so that a later script can start corral-server on it and time
// the CLI. It is the store as the last steps left it: the oldest day pruned,
// 2,000 more events at the time of the run.
// Without --keep the store lives in a temporary directory, removed at exit.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/store.h"
#include "spdlog/spdlog.h"

namespace {

using corral::server::EventQuery;
using corral::server::Store;
using Clock = std::chrono::steady_clock;

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;

struct Options {
  int64_t events = 1'000'000;
  int batch = 100;
  int runs = 20;
  std::string keep;
  std::string database;
};

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t i = std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  return values[i];
}

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "history_bench: %s\n", std::string(status.message()).c_str());
  std::exit(1);
}

// 200 service names such as "billing-worker": 20 products x 10 roles.
std::vector<std::string> ServiceNames() {
  const char* products[] = {"api",      "billing", "search", "auth",    "cart",    "checkout", "catalog",
                            "media",    "notify",  "report", "profile", "orders",  "payments", "pricing",
                            "shipping", "reviews", "ledger", "export",  "inbound", "tenants"};
  const char* roles[] = {"backend", "web", "worker", "gateway", "admin", "internal", "public", "sync", "cron", "edge"};
  std::vector<std::string> names;
  for (const char* product : products) {
    for (const char* role : roles) names.push_back(absl::StrCat(product, "-", role));
  }
  return names;
}

// Events as corral-server writes them: findings opening and resolving most
// often, then worker counts and liveness, then setting changes.
class EventMaker {
 public:
  explicit EventMaker(std::vector<std::string> services) : services_(std::move(services)), rng_(42) {}

  corral::v1::Event Make(int64_t time_unix_ms) {
    struct Rule {
      const char* id;
      const char* severity;
    };
    static const Rule kRules[] = {{"WORKERS_BELOW_CONFIG", "critical"}, {"WORKERS_BELOW_EXPECTED", "critical"},
                                  {"REPLICAS_DISAGREE", "critical"},    {"CONFIG_DRIFT", "warning"},
                                  {"STALE_IMAGE", "critical"},          {"DEV_SETTING", "warning"},
                                  {"WORKER_CHURN", "warning"},          {"WORKER_STUCK", "warning"},
                                  {"RUNTIME_SCALED", "info"},           {"MEMORY_PRESSURE", "warning"},
                                  {"AGENT_OFFLINE", "critical"}};
    static const char* kSettings[] = {"timeout", "workers", "bind", "preload_app", "keepalive", "max_requests"};
    const std::string& service = services_[Pick(services_.size())];
    std::string instance = absl::StrCat(service, "-", 1 + Pick(10));
    corral::v1::Event e;
    e.set_time_unix_ms(time_unix_ms);
    e.set_service(service);
    e.set_instance(instance);
    int roll = static_cast<int>(Pick(100));
    if (roll < 50) {
      const Rule& rule = kRules[Pick(std::size(kRules))];
      bool opened = roll < 25;
      e.set_kind(opened ? "finding_opened" : "finding_resolved");
      e.set_rule(rule.id);
      e.set_severity(rule.severity);
      e.set_message(absl::StrCat(opened ? "" : "resolved: ", instance, " runs 1 worker, expected 3 (", rule.id,
                                 "); its command line comes from the image"));
    } else if (roll < 65) {
      int before = 1 + static_cast<int>(Pick(8)), after = 1 + static_cast<int>(Pick(8));
      e.set_kind("workers_changed");
      e.set_before(absl::StrCat(before));
      e.set_after(absl::StrCat(after));
      e.set_message(absl::StrCat(instance, ": live workers ", before, " -> ", after));
    } else if (roll < 86) {
      static const char* kLiveness[] = {"instance_online", "instance_disconnected", "instance_offline"};
      e.set_kind(kLiveness[Pick(3)]);
      e.set_message(absl::StrCat(instance, " is ", e.kind().substr(9), " (reported every 5s)"));
    } else if (roll < 96) {
      const char* setting = kSettings[Pick(std::size(kSettings))];
      e.set_kind("setting_changed");
      e.set_setting(setting);
      e.set_before("30");
      e.set_after("120");
      e.set_message(absl::StrCat(instance, ": ", setting, " 30 -> 120 (config_file /app/gunicorn.conf.py:4)"));
    } else if (roll < 98) {
      e.set_kind("expectation_changed");
      e.set_instance("");
      e.set_setting("workers");
      e.set_before("3");
      e.set_after("4");
      e.set_message("workers expected 4 (docker-compose.yml:12, compose)");
    } else {
      e.set_kind("instance_forgotten");
      e.set_message(absl::StrCat(instance, " forgotten after 1h offline"));
    }
    return e;
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  std::vector<std::string> services_;
  std::mt19937_64 rng_;
};

// As the server opens it: holding the history writer's lease, which
// writing baselines needs on PostgreSQL.
std::unique_ptr<Store> MustOpen(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  if (!store.ok()) Die(store.status());
  absl::StatusOr<bool> lease = (*store)->HoldHistoryLease();
  if (!lease.ok()) Die(lease.status());
  if (!*lease) Die(absl::FailedPreconditionError("another process holds the history writer's lease"));
  return std::move(store).value();
}

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

void Fill(Store& store, const Options& o, int64_t now_ms, EventMaker& maker) {
  const int64_t start_ms = now_ms - 30 * kDayMs;
  std::vector<double> latencies;
  double total_ms = 0;
  std::vector<corral::v1::Event> batch;
  for (int64_t i = 0; i < o.events;) {
    batch.clear();
    for (int j = 0; j < o.batch && i < o.events; ++j, ++i) {
      batch.push_back(maker.Make(start_ms + static_cast<int64_t>((30 * kDayMs) * (static_cast<double>(i) / o.events))));
    }
    Clock::time_point t = Clock::now();
    absl::Status appended = store.Append(&batch);
    double ms = MsSince(t);
    if (!appended.ok()) Die(appended);
    latencies.push_back(ms);
    total_ms += ms;
  }
  std::printf(
      "fill: %lld events in Appends of %d: %.1f s in Append, %.0f events/s; one Append p50 %.2f ms, "
      "p99 %.2f ms, max %.1f ms\n",
      static_cast<long long>(o.events), o.batch, total_ms / 1000, o.events / (total_ms / 1000),
      Percentile(latencies, 0.5), Percentile(latencies, 0.99), Percentile(latencies, 1.0));
}

// One event and one ~600-byte baseline per Append: a server writing each
// change as it sees it.
void SingleAppends(Store& store, int64_t now_ms, EventMaker& maker) {
  constexpr int kAppends = 2000;
  std::vector<double> latencies;
  std::string baseline(600, 'b');
  Clock::time_point all = Clock::now();
  for (int i = 0; i < kAppends; ++i) {
    std::vector<corral::v1::Event> one = {maker.Make(now_ms)};
    baseline[i % baseline.size()] = static_cast<char>('a' + i % 26);
    Clock::time_point t = Clock::now();
    absl::Status appended = store.Append(&one, {{one[0].service(), baseline}});
    latencies.push_back(MsSince(t));
    if (!appended.ok()) Die(appended);
  }
  double total_ms = MsSince(all);
  std::printf("single-event Appends with a baseline: %d in %.2f s, %.0f Appends/s; p50 %.3f ms, p99 %.3f ms\n",
              kAppends, total_ms / 1000, kAppends / (total_ms / 1000), Percentile(latencies, 0.5),
              Percentile(latencies, 0.99));
}

void TimeQuery(Store& store, const Options& o, const std::string& name, const EventQuery& query) {
  std::vector<double> runs;
  size_t rows = 0;
  bool truncated = false;
  for (int r = 0; r < o.runs; ++r) {
    Clock::time_point t = Clock::now();
    absl::StatusOr<std::vector<corral::v1::Event>> events = store.Events(query, &truncated);
    runs.push_back(MsSince(t));
    if (!events.ok()) Die(events.status());
    rows = events->size();
  }
  std::printf("  %-46s %6zu events%s  first %7.2f ms  median %7.2f ms  max %7.2f ms\n", name.c_str(), rows,
              truncated ? " (truncated)" : "            ", runs[0], Percentile(runs, 0.5), Percentile(runs, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    bool has_value = i + 1 < argc;
    bool ok = has_value;
    if (flag == "--events" && has_value) {
      ok = absl::SimpleAtoi(argv[++i], &o.events) && o.events > 0;
    } else if (flag == "--batch" && has_value) {
      ok = absl::SimpleAtoi(argv[++i], &o.batch) && o.batch > 0;
    } else if (flag == "--runs" && has_value) {
      ok = absl::SimpleAtoi(argv[++i], &o.runs) && o.runs > 0;
    } else if (flag == "--keep" && has_value) {
      o.keep = argv[++i];
    } else if (flag == "--database" && has_value) {
      o.database = argv[++i];
      ok = Store::IsPostgresLocation(o.database);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: history_bench [--events N] [--batch N] [--runs N] [--keep PATH] "
                   "[--database postgresql://...]\n");
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);

  std::string dir;
  std::string path = o.database.empty() ? o.keep : o.database;
  if (!o.database.empty()) {
    // The database as given.
  } else if (path.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "history_bench.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("history_bench: mkdtemp");
      return 1;
    }
    dir = pattern;
    path = dir + "/corral.db";
  } else if (std::filesystem::exists(path)) {
    std::fprintf(stderr, "history_bench: %s exists; --keep wants a new file\n", path.c_str());
    return 2;
  }

  std::printf("$ build/bench/history_bench --events %lld --batch %d --runs %d%s%s\n", static_cast<long long>(o.events),
              o.batch, o.runs, o.keep.empty() ? "" : absl::StrCat(" --keep ", o.keep).c_str(),
              o.database.empty() ? "" : absl::StrCat(" --database ", o.database).c_str());
  std::vector<std::string> services = ServiceNames();
  EventMaker maker(services);
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  {
    std::unique_ptr<Store> store = MustOpen(path);
    Fill(*store, o, now_ms, maker);
  }
  if (o.database.empty()) {
    std::printf("file: %.1f MiB (after close: the WAL is checkpointed into it)\n", FileSize(path) / 1048576.0);
  }

  Clock::time_point t = Clock::now();
  std::unique_ptr<Store> store = MustOpen(path);
  std::printf("Open() of the filled store: %.2f ms\n", MsSince(t));

  std::printf("queries (%d runs each; 'first' is the first after Open):\n", o.runs);
  const std::string one = services[17];
  auto query = [](std::string service, int64_t since, int64_t after_id, int limit) {
    EventQuery q;
    q.service = std::move(service);
    q.since_unix_ms = since;
    q.after_id = after_id;
    q.limit = limit;
    return q;
  };
  TimeQuery(*store, o, "since now-1h, all services, limit 1000", query("", now_ms - kHourMs, 0, 1000));
  TimeQuery(*store, o, "since now-1h, all services, limit 100000", query("", now_ms - kHourMs, 0, 100000));
  TimeQuery(*store, o, "since now-1h, one service", query(one, now_ms - kHourMs, 0, 1000));
  TimeQuery(*store, o, "since now-24h, one service, limit 1000", query(one, now_ms - kDayMs, 0, 1000));
  TimeQuery(*store, o, "since now-30d, all services, limit 1000", query("", now_ms - 30 * kDayMs, 0, 1000));
  TimeQuery(*store, o, "since now-30d, one service, limit 1000", query(one, now_ms - 30 * kDayMs, 0, 1000));
  int64_t last = store->LastEventId();
  TimeQuery(*store, o, "Watch replay: after_id last-500, all services", query("", 0, last - 500, 1000));
  TimeQuery(*store, o, "Watch replay: after_id last-5000, one service", query(one, 0, last - 5000, 1000));
  TimeQuery(*store, o, "Watch replay: after_id 1, all services", query("", 0, 1, 1000));
  TimeQuery(*store, o, "Watch replay: after_id 1, one service", query(one, 0, 1, 1000));

  t = Clock::now();
  absl::StatusOr<int64_t> pruned = store->PruneEvents(now_ms - 29 * kDayMs);
  double prune_ms = MsSince(t);
  if (!pruned.ok()) Die(pruned.status());
  std::printf("prune of the oldest day: %lld events in %.1f ms\n", static_cast<long long>(*pruned), prune_ms);
  SingleAppends(*store, now_ms, maker);
  const std::string store_path = store->path();
  store.reset();

  if (!o.database.empty()) {
    std::printf("left filled: %s\n", store_path.c_str());
  } else if (dir.empty()) {
    std::printf("kept: %s (%.1f MiB, %lld events)\n", path.c_str(), FileSize(path) / 1048576.0,
                static_cast<long long>(o.events + 2000 - *pruned));
  } else {
    std::filesystem::remove_all(dir);
  }
  return 0;
}
