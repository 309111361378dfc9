// Load generator for corral-server: N simulated agents, each with its own
// long-lived Collector.Stream, multiplexed over a few HTTP/2 connections
// (--connections, default 16; streams are spread round-robin), all sending
// realistic snapshots built by the probe from the fixture proc tree.
//
// For each N it starts a fresh corral-server (the real binary) and prints:
//   - server RSS before and after N agents connected, and per agent;
//   - `corral status --json` wall time and the GetFleetStatus RPC alone;
//   - sustained reports/s with every stream writing back to back: once the
//     server is idle after the connections (first messages read), --warmup
//     seconds of writing fill the flow-control windows and grow the
//     servers' buffers, then --seconds are measured (written messages, and
//     the server's CPU, over that window only);
//   - unary Report round-trip p50/p99 taken during that load.
// It also prints the floor: a minimal gRPC server (callback API, generic
// methods that read and drop the same bytes) under the same client, unary
// and streaming. The floor runs as a child process (this binary with
// --serve-floor), like corral-server, so both can be pinned to the same
// CPUs (--server-cpus) and their CPU time counted the same way.
//
// --mode saturated measures only the saturated steady-state rate of both
// servers at each N, --rounds times each in pairs run back to back, and
// prints, besides the text, one line per result:
//   RESULT floor N MSGS_PER_S CPU_US_PER_MSG
//   RESULT corral N REPORTS_PER_S CPU_US_PER_REPORT
// (bench/server_vs_floor.sh reads them).
//
// --mode curve runs corral-server at the production rate (bench/README.md,
// "The curve"), then the floor under the same simulated agents:
//   RESULT curve N ...   and   RESULT floor-curve N CPU_US_PER_MSG CORE_PERCENT
//
//   build/bench/fleet_load [--instances 1000,10000] [--seconds 5] [--connections 16]
//                          [--mode full|saturated|curve] [--warmup 5] [--rounds 1]
//                          [--server-cpus 1] [--load-cpus 0]
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/config_delta.h"
#include "agent/probe.h"
#include "corral/v1/collector.pb.h"
#include "corral/v1/fleet.grpc.pb.h"
#include "grpcpp/alarm.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"
#include "httplib.h"
#include "tests/support/simulated_agents.h"
#include "tests/support/subprocess.h"

namespace {

using corral::testing::Channels;
using corral::testing::FreePort;
using corral::testing::RssKb;
using corral::testing::Serialize;

// Agent i's message: the fixture's snapshot as instance-i of svc-(i / 10).
grpc::ByteBuffer AgentMessage(const corral::v1::Snapshot& snapshot, int i, bool steady_state) {
  return corral::testing::AgentMessageBytes(snapshot, absl::StrCat("svc-", i / 10), absl::StrCat("instance-", i),
                                            steady_state);
}

struct Options {
  std::vector<int> instances = {1000, 10000};
  int seconds = 5;
  int connections = 16;
  // "full": every measurement; "saturated": only the saturated steady-state
  // rates of the floor and corral-server.
  std::string mode = "full";
  // taskset CPU lists for the servers (floor and corral-server) and for this
  // load generator; empty: not pinned.
  std::string server_cpus;
  std::string load_cpus;
  // --mode curve: seconds between one agent's reports.
  int interval = 5;
  // --mode saturated: measurements of each server per count, in pairs.
  int rounds = 1;
  // Saturated phases: seconds of writing before the measured --seconds.
  int warmup = 5;
  // Internal: serve the floor on this address until SIGTERM.
  std::string serve_floor;
};

constexpr char kUsage[] = R"(usage: fleet_load [flags]

Simulated agents streaming to a fresh corral-server, and the same load on a
minimal gRPC server (the floor). Prints rates, latencies, memory.

  --instances N,N,...   agent counts to run, each against a fresh server (1000,10000)
  --seconds S           length of each measured phase (5)
  --connections C       HTTP/2 connections the agents' streams share (16); in --mode
                        curve, 0 gives every agent its own connection
  --mode MODE           full: every measurement (default);
                        saturated: only the saturated steady-state rate of the floor
                          and of corral-server, plus "RESULT" lines for scripts;
                        curve: corral-server at the production rate (one report per
                          agent per --interval): memory, CPU per report, corral status,
                          /metrics, Report p99, all agents back after a restart; then
                          the floor under the same agents (its CPU per message)
  --interval S          seconds between one agent's reports in --mode curve (5)
  --warmup S            saturated phases write for S seconds before the measured
                        --seconds, until the flow-control windows are full and the
                        servers' buffers have grown to what they need (5)
  --rounds K            in --mode saturated, measure each server K times per count,
                        in pairs run back to back, the pair's order alternating
                        (floor first, then corral first, ...) (1)
  --server-cpus LIST    run both servers under `taskset -c LIST` (e.g. 1)
  --load-cpus LIST      pin this load generator to LIST (e.g. 0)
  --help                this text
)";

// Exits 2 with `message` and a pointer to --help.
[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "fleet_load: %s\n(see 'fleet_load --help')\n", message.c_str());
  std::exit(2);
}

// "0", "0,1", "0-3": the CPUs of a taskset list.
bool ParseCpuList(absl::string_view list, cpu_set_t* set) {
  CPU_ZERO(set);
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    std::vector<absl::string_view> range = absl::StrSplit(part, '-');
    int from = 0, to = 0;
    if (range.size() > 2 || !absl::SimpleAtoi(range[0], &from) ||
        !absl::SimpleAtoi(range.size() == 2 ? range[1] : range[0], &to) || from < 0 || to < from || to >= CPU_SETSIZE) {
      return false;
    }
    for (int c = from; c <= to; ++c) CPU_SET(c, set);
  }
  return true;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) UsageError(absl::StrCat(flag, " needs a value"));
      return argv[++i];
    };
    auto positive = [&]() {
      std::string v = value();
      int n = 0;
      if (!absl::SimpleAtoi(v, &n) || n <= 0) UsageError(absl::StrCat(flag, " takes a positive number, not '", v, "'"));
      return n;
    };
    cpu_set_t cpus;
    if (flag == "--instances") {
      o.instances.clear();
      std::string list = value();
      for (absl::string_view n : absl::StrSplit(list, ',')) {
        int v = 0;
        if (!absl::SimpleAtoi(n, &v) || v <= 0) UsageError(absl::StrCat("--instances takes N,N,..., not '", list, "'"));
        o.instances.push_back(v);
      }
    } else if (flag == "--seconds") {
      o.seconds = positive();
    } else if (flag == "--warmup") {
      o.warmup = positive();
    } else if (flag == "--rounds") {
      o.rounds = positive();
    } else if (flag == "--connections") {
      std::string v = value();
      if (!absl::SimpleAtoi(v, &o.connections) || o.connections < 0) {
        UsageError(absl::StrCat("--connections takes a number, not '", v, "'"));
      }
    } else if (flag == "--mode") {
      o.mode = value();
      if (o.mode != "full" && o.mode != "saturated" && o.mode != "curve") {
        UsageError(absl::StrCat("--mode is full, saturated or curve, not '", o.mode, "'"));
      }
    } else if (flag == "--interval") {
      o.interval = positive();
    } else if (flag == "--server-cpus") {
      o.server_cpus = value();
      if (!ParseCpuList(o.server_cpus, &cpus))
        UsageError(absl::StrCat("--server-cpus: not a CPU list: '", o.server_cpus, "'"));
    } else if (flag == "--load-cpus") {
      o.load_cpus = value();
      if (!ParseCpuList(o.load_cpus, &cpus))
        UsageError(absl::StrCat("--load-cpus: not a CPU list: '", o.load_cpus, "'"));
    } else if (flag == "--serve-floor") {
      o.serve_floor = value();
    } else {
      UsageError(absl::StrCat("unknown flag '", flag, "'"));
    }
  }
  if (o.connections == 0 && o.mode != "curve")
    UsageError("--connections 0 (a connection per agent) is for --mode curve");
  return o;
}

// `argv` as started under `taskset -c cpus` when cpus is set.
std::vector<std::string> Pinned(const std::string& cpus, std::vector<std::string> argv) {
  if (cpus.empty()) return argv;
  argv.insert(argv.begin(), {"taskset", "-c", cpus});
  return argv;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// A temporary directory for one server's data and log, removed with
// everything in it when the run is done (a corral-server's store at 50,000
// agents is a few hundred MB). Declared before the server's Process, so the
// server is stopped first.
struct ScratchDir {
  explicit ScratchDir(const std::string& prefix) : path(corral::testing::MakeTempDir(prefix)) {}
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string path;
};

int64_t CpuTicks(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) return 0;
  std::vector<std::string> fields = absl::StrSplit(text.substr(text.rfind(')') + 2), ' ');
  int64_t utime = 0, stime = 0;
  if (fields.size() > 12) {
    (void)absl::SimpleAtoi(fields[11], &utime);
    (void)absl::SimpleAtoi(fields[12], &stime);
  }
  return utime + stime;
}

double TicksToSeconds(int64_t ticks) { return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK)); }

// Waits until server `pid` is idle -- under 5% of a core over half a second
// -- after its agents connected: every stream's first message has been
// written by then, not yet read, and the server may still be accepting
// calls and reading first messages. A saturated phase measures steady-state
// messages, so it starts after that.
void WaitIdle(int pid) {
  absl::Time deadline = absl::Now() + absl::Seconds(120);
  int64_t before = CpuTicks(pid);
  while (absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(500));
    int64_t now = CpuTicks(pid);
    if (TicksToSeconds(now - before) < 0.025) break;
    before = now;
  }
}

// N streams on a generic stub, driven by completion queues. Each stream
// writes its own first message, then (in the load phase) the shared one
// back to back until told to stop, then half-closes and waits for Finish.
class StreamLoad {
 public:
  // Stream i sends first[i], then repeat[i] (or repeat[0] when there is
  // only one) as often as it may.
  StreamLoad(const std::vector<std::shared_ptr<grpc::Channel>>& channels, const std::string& method,
             std::vector<grpc::ByteBuffer> first, std::vector<grpc::ByteBuffer> repeat) {
    for (auto& c : channels) stubs_.push_back(std::make_unique<grpc::GenericStub>(c));
    for (size_t i = 0; i < first.size(); ++i) {
      streams_.push_back(std::make_unique<Stream>());
      Stream& s = *streams_[i];
      s.first = std::move(first[i]);
      s.repeat = repeat.size() == 1 ? repeat[0] : std::move(repeat[i]);
      s.call = stubs_[i % stubs_.size()]->PrepareCall(&s.context, method, &cqs_[i % kQueues]);
    }
    for (int q = 0; q < kQueues; ++q) threads_.emplace_back([this, q] { Poll(q); });
    for (auto& s : streams_) s->call->StartCall(Tag(s.get(), kStarted));
  }

  ~StreamLoad() {
    for (auto& cq : cqs_) cq.Shutdown();
    for (auto& t : threads_) t.join();
  }

  // Blocks until every stream's first message is written.
  void WaitConnected() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](StreamLoad* self) { return self->first_done_ == self->streams_.size(); }, this));
  }

  // What RunSteady() measured.
  struct Window {
    uint64_t messages = 0;
    absl::Duration elapsed;
    int64_t server_ticks = 0;  // CPU of the server measured, in clock ticks
  };

  // Every stream writes back to back for `warmup`, then for `duration`,
  // which alone is measured: the messages written in it and server `pid`'s
  // CPU meanwhile. Then every stream closes. Once the flow-control windows
  // are full, which the warm-up is for, a write completes only as the server
  // reads and frees window: the rate written is the rate the server reads.
  Window RunSteady(absl::Duration warmup, absl::Duration duration, int pid) {
    written_.store(0);
    pace_ = absl::ZeroDuration();
    loading_.store(true);
    for (auto& s : streams_) s->call->Write(s->repeat, Tag(s.get(), kWritten));
    absl::SleepFor(warmup);
    uint64_t written_before = written_.load();
    int64_t ticks_before = CpuTicks(pid);
    absl::Time start = absl::Now();
    absl::SleepFor(duration);
    Window w;
    w.messages = written_.load() - written_before;
    w.server_ticks = CpuTicks(pid) - ticks_before;
    w.elapsed = absl::Now() - start;
    loading_.store(false);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](StreamLoad* self) { return self->finished_ == self->streams_.size(); }, this));
    return w;
  }

  // Writes for `duration` -- back to back, or once per `pace` per stream
  // like real agents -- then, unless `keep_open`, closes every stream;
  // returns the messages written and the time until the server had read
  // them all.
  // Only the first `active` streams write (all when 0); the others stay
  // connected and idle, then close with the rest.
  std::pair<uint64_t, absl::Duration> Run(absl::Duration duration, absl::Duration pace = absl::ZeroDuration(),
                                          bool keep_open = false, size_t active = 0) {
    absl::Time start = absl::Now();
    written_.store(0);
    pace_ = pace;
    loading_.store(true);
    if (active == 0) active = streams_.size();
    for (size_t i = 0; i < active; ++i) {
      auto& s = streams_[i];
      if (pace > absl::ZeroDuration()) {
        // Spread the agents over the interval, as independent agents are.
        absl::Duration offset = pace * (static_cast<double>(i) / static_cast<double>(active));
        s->alarm.Set(&cqs_[i % kQueues], absl::ToChronoTime(absl::Now() + offset), Tag(s.get(), kTimer));
      } else {
        s->call->Write(s->repeat, Tag(s.get(), kWritten));
      }
    }
    absl::SleepFor(duration);
    if (keep_open) {
      loading_.store(false);
      absl::SleepFor(pace);
      return {written_.load(), absl::Now() - start};
    }
    loading_.store(false);
    // The idle streams stayed connected throughout; they close now.
    for (size_t i = active; i < streams_.size(); ++i) {
      Stream& idle = *streams_[i];
      idle.closing = true;
      idle.call->WritesDone(Tag(&idle, kClosed));
    }
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](StreamLoad* self) { return self->finished_ == self->streams_.size(); }, this));
    return {written_.load(), absl::Now() - start};
  }

 private:
  // Debian's gRPC searches a queue's outstanding operations on every
  // completion (built without NDEBUG): tens of thousands of streams are
  // spread over several queues so the generator does not pay that.
  static constexpr int kQueues = 8;
  enum Step { kStarted, kFirstWritten, kWritten, kTimer, kClosed, kFinished };
  struct Stream {
    grpc::ClientContext context;
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call;
    grpc::ByteBuffer first;
    grpc::ByteBuffer repeat;
    grpc::Alarm alarm;
    bool closing = false;
    grpc::Status status;
  };
  struct TagData {
    Stream* stream;
    Step step;
  };

  void* Tag(Stream* s, Step step) {
    auto* t = new TagData{s, step};
    return t;
  }

  void Poll(int q) {
    void* tag;
    bool ok;
    while (cqs_[q].Next(&tag, &ok)) {
      std::unique_ptr<TagData> t(static_cast<TagData*>(tag));
      Stream* s = t->stream;
      switch (t->step) {
        case kStarted:
          s->call->Write(s->first, Tag(s, kFirstWritten));
          break;
        case kFirstWritten: {
          absl::MutexLock lock(&mu_);
          ++first_done_;
          break;
        }
        case kWritten:
          if (ok) written_.fetch_add(1, std::memory_order_relaxed);
          if (ok && loading_.load() && pace_ > absl::ZeroDuration()) {
            s->alarm.Set(&cqs_[q], absl::ToChronoTime(absl::Now() + pace_), Tag(s, kTimer));
          } else if (ok && loading_.load()) {
            s->call->Write(s->repeat, Tag(s, kWritten));
          } else if (!s->closing) {
            s->closing = true;
            s->call->WritesDone(Tag(s, kClosed));
          }
          break;
        case kTimer:
          if (ok && loading_.load()) {
            s->call->Write(s->repeat, Tag(s, kWritten));
          } else if (!s->closing) {
            s->closing = true;
            s->call->WritesDone(Tag(s, kClosed));
          }
          break;
        case kClosed:
          s->call->Finish(&s->status, Tag(s, kFinished));
          break;
        case kFinished: {
          absl::MutexLock lock(&mu_);
          ++finished_;
          break;
        }
      }
    }
  }

  absl::Duration pace_ = absl::ZeroDuration();
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  grpc::CompletionQueue cqs_[kQueues];
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<std::thread> threads_;
  std::atomic<bool> loading_{false};
  std::atomic<uint64_t> written_{0};
  absl::Mutex mu_;
  size_t first_done_ ABSL_GUARDED_BY(mu_) = 0;
  size_t finished_ ABSL_GUARDED_BY(mu_) = 0;
};

// One unary call, waited for; its round trip in ms, nullopt when it failed.
std::optional<double> TimedUnaryCall(grpc::GenericStub& stub, const std::string& method,
                                     const grpc::ByteBuffer& request) {
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  absl::Notification finished;
  grpc::Status status;
  absl::Time start = absl::Now();
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    status = s;
    finished.Notify();
  });
  finished.WaitForNotification();
  if (!status.ok()) return std::nullopt;
  return absl::ToDoubleMilliseconds(absl::Now() - start);
}

// Unary calls with `concurrency` outstanding at once for `duration`;
// returns calls completed and each call's latency in ms.
std::pair<uint64_t, std::vector<double>> UnaryLoad(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                                                   const std::string& method, const grpc::ByteBuffer& request,
                                                   int concurrency, absl::Duration duration) {
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (auto& c : channels) stubs.push_back(std::make_unique<grpc::GenericStub>(c));
  std::atomic<uint64_t> done{0};
  absl::Mutex mu;
  std::vector<double> latencies;
  absl::Time end = absl::Now() + duration;
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) {
    threads.emplace_back([&, i] {
      grpc::GenericStub& stub = *stubs[static_cast<size_t>(i) % stubs.size()];
      std::vector<double> mine;
      while (absl::Now() < end) {
        if (std::optional<double> ms = TimedUnaryCall(stub, method, request)) {
          done.fetch_add(1);
          mine.push_back(*ms);
        }
      }
      absl::MutexLock lock(&mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  return {done.load(), latencies};
}

// The floor: a server that reads and drops messages.
class FloorService : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override {
    class Reactor : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(bool unary) : unary_(unary) {
        grpc::Slice empty("");
        out_ = grpc::ByteBuffer(&empty, 1);  // an empty message, as a proto would encode it
        StartRead(&in_);
      }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status::OK);
          return;
        }
        if (unary_) {
          StartWriteAndFinish(&out_, grpc::WriteOptions(), grpc::Status::OK);
          return;
        }
        in_.Clear();
        StartRead(&in_);
      }
      void OnDone() override { delete this; }

     private:
      bool unary_;
      grpc::ByteBuffer in_;
      grpc::ByteBuffer out_;
    };
    return new Reactor(context->method() == "/floor/Unary");
  }
};

// The floor server's own process (--serve-floor ADDRESS): serves until
// SIGTERM or SIGINT.
int ServeFloor(const std::string& address) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before gRPC starts threads
  FloorService service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    std::fprintf(stderr, "fleet_load: the floor server cannot listen on %s\n", address.c_str());
    return 1;
  }
  int signal = 0;
  sigwait(&signals, &signal);
  server->Shutdown(std::chrono::system_clock::now());
  return 0;
}

struct Rate {
  double per_second = 0;
  double cpu_us = 0;  // server CPU per message
};

Rate RateOf(const StreamLoad::Window& w) {
  Rate rate;
  rate.per_second = static_cast<double>(w.messages) / absl::ToDoubleSeconds(w.elapsed);
  rate.cpu_us = TicksToSeconds(w.server_ticks) * 1e6 / static_cast<double>(w.messages);
  return rate;
}

// The floor server as its own process (this binary, --serve-floor), pinned
// like corral-server, with its scratch directory.
struct FloorServer {
  explicit FloorServer(const Options& o)
      : scratch("floor"),
        address(absl::StrCat("127.0.0.1:", FreePort())),
        process(corral::testing::Process::Start(
            Pinned(o.server_cpus, {std::filesystem::read_symlink("/proc/self/exe").string(), "--serve-floor", address}),
            {}, scratch.path + "/floor.log")) {}
  ScratchDir scratch;  // first: outlives the process
  std::string address;
  std::unique_ptr<corral::testing::Process> process;
};

// The floor for `streams` streams sending `bytes` back to back, and (once)
// unary calls: what gRPC itself costs on this machine, with this client.
Rate Floor(const Options& o, const grpc::ByteBuffer& bytes, int streams, bool unary) {
  FloorServer floor(o);
  const std::string& address = floor.address;
  corral::testing::Process* server = floor.process.get();
  auto channels = Channels(address, o.connections);
  if (!channels[0]->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "fleet_load: the floor server on %s did not come up: %s\n", address.c_str(),
                 server->Log().c_str());
    std::exit(1);
  }
  if (unary) {
    auto [calls, latencies] = UnaryLoad(channels, "/floor/Unary", bytes, 64, absl::Seconds(o.seconds));
    std::printf("floor  unary        %9.0f calls/s (%zu-byte requests, 64 in flight, p99 %.2f ms)\n",
                calls / static_cast<double>(o.seconds), bytes.Length(), Percentile(latencies, 0.99));
  }
  std::vector<grpc::ByteBuffer> first(static_cast<size_t>(streams), bytes);
  StreamLoad load(channels, "/floor/Stream", std::move(first), {bytes});
  load.WaitConnected();
  WaitIdle(server->pid());
  Rate rate = RateOf(load.RunSteady(absl::Seconds(o.warmup), absl::Seconds(o.seconds), server->pid()));
  std::printf(
      "floor  streaming    %9.0f msgs/s  (%zu-byte messages, %d streams over %d connections); "
      "server CPU %.1f us per message\n",
      rate.per_second, bytes.Length(), streams, o.connections, rate.cpu_us);
  server->Signal(SIGTERM);
  server->Wait(absl::Seconds(10));
  return rate;
}

// corral-server at `n` agents; returns its saturated steady-state rate.
Rate Corral(const Options& o, const corral::v1::Snapshot& snapshot, int n) {
  ScratchDir scratch("load");
  const std::string& dir = scratch.path;
  int port = FreePort();
  std::string address = absl::StrCat("127.0.0.1:", port);
  int http_port = FreePort();
  auto server = corral::testing::Process::Start(
      Pinned(o.server_cpus, {corral::testing::BinPath("corral-server"), "--listen", address, "--data-dir", dir,
                             "--log-level", "warn", "--http", absl::StrCat("127.0.0.1:", http_port)}),
      {}, dir + "/server.log");
  auto channels = Channels(address, o.connections);
  auto fleet = corral::v1::Fleet::NewStub(channels[0]);
  corral::testing::WaitFor(
      [&] {
        grpc::ClientContext c;
        corral::v1::FleetStatus s;
        return fleet->GetFleetStatus(&c, {}, &s).ok();
      },
      absl::Seconds(10));
  int64_t rss_before = RssKb(server->pid());

  // What each simulated agent sends: its full snapshot first, then the
  // steady-state message an agent's uplink sends (configuration omitted).
  std::vector<grpc::ByteBuffer> first, steady;
  for (int i = 0; i < n; ++i) {
    first.push_back(AgentMessage(snapshot, i, /*steady_state=*/false));
    steady.push_back(AgentMessage(snapshot, i, /*steady_state=*/true));
  }
  size_t first_bytes = first.back().Length();
  size_t steady_bytes = steady.back().Length();
  std::printf("corral %5d agents over %d connections; messages: %zu bytes full, %zu bytes steady state\n", n,
              o.connections, first_bytes, steady_bytes);

  // Production load first: every agent every 5 s, and the unary Report
  // round trip meanwhile.
  if (o.mode == "full") {
    StreamLoad load(channels, "/corral.v1.Collector/Stream", first, steady);
    load.WaitConnected();
    // The history compares nothing for three agent intervals (5 s) after the
    // server starts; past that, its memory of every instance is counted too.
    absl::SleepFor(absl::Seconds(16));
    int64_t rss_connected = RssKb(server->pid());
    std::printf(
        "  server RSS           %lld KiB idle, %lld KiB with %d agents connected: %.1f KiB per agent "
        "(%.1f KiB total/agent)\n",
        static_cast<long long>(rss_before), static_cast<long long>(rss_connected), n,
        static_cast<double>(rss_connected - rss_before) / n, static_cast<double>(rss_connected) / n);

    std::vector<double> rpc_ms;
    for (int i = 0; i < 10; ++i) {
      grpc::ClientContext c;
      corral::v1::FleetStatus s;
      absl::Time start = absl::Now();
      (void)fleet->GetFleetStatus(&c, {}, &s);
      rpc_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    }
    std::vector<double> cli_ms;
    for (int i = 0; i < 5; ++i) {
      absl::Time start = absl::Now();
      corral::testing::RunResult r =
          corral::testing::RunCommand({corral::testing::BinPath("corral"), "status", "--json", "--server", address});
      cli_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      if (r.exit_code != 0) std::printf("corral status failed: %s\n", r.err.c_str());
    }
    std::printf("  corral status --json median %.1f ms (whole process); GetFleetStatus RPC median %.1f ms\n",
                Percentile(cli_ms, 0.5), Percentile(rpc_ms, 0.5));

    corral::v1::ReportRequest probe_request;
    *probe_request.mutable_snapshot() = snapshot;
    probe_request.mutable_snapshot()->mutable_agent()->set_instance("latency-probe");
    auto probe_channels = Channels(address, 1);
    // The production rate for twice the time: the first half as is, the
    // second while /metrics is scraped back to back, to see whether scrapes
    // stall report ingestion.
    std::pair<uint64_t, absl::Duration> produced;
    std::thread producing([&] { produced = load.Run(absl::Seconds(o.seconds * 4), absl::Seconds(5)); });
    for (bool scraping : {false, true}) {
      std::atomic<bool> done{false};
      std::vector<double> scrape_ms;
      size_t scrape_bytes = 0;
      std::thread scraper([&] {
        if (!scraping) return;
        httplib::Client client("127.0.0.1", http_port);
        client.set_read_timeout(10, 0);
        while (!done.load()) {
          absl::Time start = absl::Now();
          httplib::Result r = client.Get("/metrics");
          if (!r || r->status != 200) break;
          scrape_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
          scrape_bytes = r->body.size();
        }
      });
      std::vector<double> latencies = UnaryLoad(probe_channels, "/corral.v1.Collector/Report", Serialize(probe_request),
                                                1, absl::Seconds(o.seconds * 2))
                                          .second;
      done.store(true);
      scraper.join();
      std::printf("  at 5 s per agent%s: unary Report round trip p50 %.2f ms, p99 %.2f ms\n",
                  scraping ? ", /metrics scraped back to back" : "", Percentile(latencies, 0.5),
                  Percentile(latencies, 0.99));
      if (scraping) {
        std::printf("  GET /metrics (%zu bytes), whole request: median %.1f ms, max %.1f ms over %zu scrapes\n",
                    scrape_bytes, Percentile(scrape_ms, 0.5), Percentile(scrape_ms, 1.0), scrape_ms.size());
      }
    }
    producing.join();
    std::printf("  (%.0f reports/s from the agents meanwhile)\n",
                produced.first / absl::ToDoubleSeconds(produced.second));
  }

  // Saturation: every stream writes back to back; and, with many agents,
  // the same from 1,000 of them while the rest stay connected and idle.
  Rate saturated;
  for (bool steady_state : {true, false}) {
    if (!steady_state && o.mode != "full") break;
    std::vector<grpc::ByteBuffer> firsts = first;
    std::vector<grpc::ByteBuffer> repeats;
    for (int i = 0; i < n; ++i) repeats.push_back(AgentMessage(snapshot, i, steady_state));
    StreamLoad load(channels, "/corral.v1.Collector/Stream", std::move(firsts), std::move(repeats));
    load.WaitConnected();
    WaitIdle(server->pid());
    StreamLoad::Window w = load.RunSteady(absl::Seconds(o.warmup), absl::Seconds(o.seconds), server->pid());
    Rate rate = RateOf(w);
    std::printf("  saturated, %s: %9.0f reports/s over %.1f s; server CPU %.1f us per report\n",
                steady_state ? "steady-state messages" : "full snapshots every time", rate.per_second,
                absl::ToDoubleSeconds(w.elapsed), rate.cpu_us);
    if (steady_state) saturated = rate;
  }
  if (n > 1000 && o.mode == "full") {
    std::vector<grpc::ByteBuffer> firsts = first;
    std::vector<grpc::ByteBuffer> repeats = steady;
    StreamLoad load(channels, "/corral.v1.Collector/Stream", std::move(firsts), std::move(repeats));
    load.WaitConnected();
    WaitIdle(server->pid());
    int64_t cpu_before = CpuTicks(server->pid());
    auto [messages, elapsed] = load.Run(absl::Seconds(o.seconds), absl::ZeroDuration(), false, 1000);
    double cpu_seconds = TicksToSeconds(CpuTicks(server->pid()) - cpu_before);
    std::printf("  %d streams connected, 1,000 of them saturating: %9.0f reports/s; server CPU %.1f us per report\n", n,
                messages / absl::ToDoubleSeconds(elapsed), cpu_seconds * 1e6 / static_cast<double>(messages));
  }
  server->Signal(SIGTERM);
  server->Wait(absl::Seconds(10));
  return saturated;
}

// Replicas online over every service, as the server sees them; -1 when it
// does not answer.
int OnlineReplicas(corral::v1::Fleet::Stub* fleet) {
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  corral::v1::FleetStatus s;
  if (!fleet->GetFleetStatus(&c, {}, &s).ok()) return -1;
  int online = 0;
  for (const corral::v1::ServiceSummary& service : s.services()) online += service.replicas_online();
  return online;
}

// Polls every 250 ms until `n` replicas are online; the time it took, or
// InfiniteDuration after `timeout`.
absl::Duration UntilOnline(corral::v1::Fleet::Stub* fleet, int n, absl::Duration timeout) {
  absl::Time start = absl::Now();
  while (absl::Now() - start < timeout) {
    if (OnlineReplicas(fleet) == n) return absl::Now() - start;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return absl::InfiniteDuration();
}

// One simulated agent per message of `first`, at the production rate
// (--interval, phases spread), sending its `first` message on each new
// stream and its `steady` one after. The vectors must outlive the agents.
corral::testing::SimulatedAgentsOptions AgentsAtTheRate(const Options& o, const std::string& address,
                                                        const std::vector<grpc::ByteBuffer>& first,
                                                        const std::vector<grpc::ByteBuffer>& steady) {
  corral::testing::SimulatedAgentsOptions options;
  options.address = address;
  options.agents = static_cast<int>(first.size());
  options.interval = absl::Seconds(o.interval);
  options.connections = o.connections;
  options.max_backoff = absl::Seconds(o.interval);  // as corral-agent: its interval caps the backoff
  options.queues = 8;
  options.message = [&first, &steady](int agent, int64_t, bool first_on_stream) {
    return first_on_stream ? first[static_cast<size_t>(agent)] : steady[static_cast<size_t>(agent)];
  };
  return options;
}

// The floor with `n` agents at the production rate, the same simulated
// agents as the curve's: what gRPC alone costs per message when messages
// come one at a time rather than back to back.
void FloorCurve(const Options& o, const std::vector<grpc::ByteBuffer>& first,
                const std::vector<grpc::ByteBuffer>& steady, int n) {
  FloorServer floor(o);
  corral::testing::Process* server = floor.process.get();
  corral::testing::SimulatedAgents agents(AgentsAtTheRate(o, floor.address, first, steady));
  absl::Time deadline = absl::Now() + absl::Minutes(5);
  while (agents.connected() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(250));
  absl::SleepFor(absl::Seconds(o.interval + 1));
  uint64_t sent_before = agents.sent();
  int64_t cpu_before = CpuTicks(server->pid());
  absl::Time start = absl::Now();
  absl::SleepFor(absl::Seconds(o.seconds));
  double window = absl::ToDoubleSeconds(absl::Now() - start);
  double cpu = TicksToSeconds(CpuTicks(server->pid()) - cpu_before);
  double messages = static_cast<double>(agents.sent() - sent_before);
  std::printf("floor  %6d agents at the same rate: server CPU %.1f us per message, %.1f%% of one core at %.0f msgs/s\n",
              n, messages > 0 ? cpu * 1e6 / messages : 0.0, 100 * cpu / window, messages / window);
  std::printf("RESULT floor-curve %d %.1f %.1f\n", n, messages > 0 ? cpu * 1e6 / messages : 0.0, 100 * cpu / window);
  std::fflush(stdout);
  agents.Stop();
  server->Signal(SIGTERM);
  server->Wait(absl::Seconds(10));
}

// corral-server with `n` agents at the production rate: one report per
// agent per --interval, phases spread evenly, as independent agents are.
void Curve(const Options& o, const corral::v1::Snapshot& snapshot, int n) {
  ScratchDir scratch("curve");
  const std::string& dir = scratch.path;
  std::string address = absl::StrCat("127.0.0.1:", FreePort());
  int http_port = FreePort();
  std::vector<std::string> argv =
      Pinned(o.server_cpus, {corral::testing::BinPath("corral-server"), "--listen", address, "--data-dir", dir,
                             "--log-level", "warn", "--http", absl::StrCat("127.0.0.1:", http_port)});
  auto server = corral::testing::Process::Start(argv, {}, dir + "/server.log");
  auto fleet = corral::v1::Fleet::NewStub(Channels(address, 1)[0]);
  UntilOnline(fleet.get(), 0, absl::Seconds(10));
  int64_t rss_idle = RssKb(server->pid());

  std::vector<grpc::ByteBuffer> first, steady;
  for (int i = 0; i < n; ++i) {
    first.push_back(AgentMessage(snapshot, i, /*steady_state=*/false));
    steady.push_back(AgentMessage(snapshot, i, /*steady_state=*/true));
  }
  std::printf("corral %6d agents, one report each per %d s, over %s\n", n, o.interval,
              o.connections > 0 ? absl::StrCat(o.connections, " connections").c_str() : "a connection each");
  std::fflush(stdout);
  corral::testing::SimulatedAgents agents(AgentsAtTheRate(o, address, first, steady));
  absl::Duration connect = UntilOnline(fleet.get(), n, absl::Minutes(5));
  std::printf("  all online %.1f s after the agents started\n", absl::ToDoubleSeconds(connect));
  // Past the history's warm-up (three intervals), so its memory of every
  // instance counts.
  absl::SleepFor(std::max(absl::Seconds(16), absl::Seconds(3 * o.interval + 1)));
  int64_t rss = RssKb(server->pid());

  // CPU per report over the window, with a unary Report every 20 ms timed
  // meanwhile (counted as reports too).
  corral::v1::ReportRequest probe_request;
  *probe_request.mutable_snapshot() = snapshot;
  probe_request.mutable_snapshot()->mutable_agent()->set_instance("latency-probe");
  grpc::ByteBuffer probe_bytes = Serialize(probe_request);
  auto probe_stub = std::make_unique<grpc::GenericStub>(Channels(address, 1)[0]);
  std::vector<double> latencies;
  uint64_t sent_before = agents.sent();
  int64_t cpu_before = CpuTicks(server->pid());
  absl::Time window_start = absl::Now();
  absl::Time window_end = window_start + absl::Seconds(o.seconds);
  while (absl::Now() < window_end) {
    if (std::optional<double> ms = TimedUnaryCall(*probe_stub, "/corral.v1.Collector/Report", probe_bytes)) {
      latencies.push_back(*ms);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  double window = absl::ToDoubleSeconds(absl::Now() - window_start);
  double cpu = TicksToSeconds(CpuTicks(server->pid()) - cpu_before);
  double reports = static_cast<double>(agents.sent() - sent_before + latencies.size());
  double cpu_us = cpu * 1e6 / reports;

  std::vector<double> cli_ms, rpc_ms, scrape_ms;
  for (int i = 0; i < 5; ++i) {
    absl::Time start = absl::Now();
    corral::testing::RunResult r =
        corral::testing::RunCommand({corral::testing::BinPath("corral"), "status", "--json", "--server", address});
    cli_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    if (r.exit_code != 0 && r.exit_code != 1) std::printf("  corral status failed: %s\n", r.err.c_str());
    grpc::ClientContext c;
    corral::v1::FleetStatus s;
    start = absl::Now();
    (void)fleet->GetFleetStatus(&c, {}, &s);
    rpc_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  size_t scrape_bytes = 0;
  {
    httplib::Client client("127.0.0.1", http_port);
    client.set_read_timeout(30, 0);
    for (int i = 0; i < 5; ++i) {
      absl::Time start = absl::Now();
      httplib::Result r = client.Get("/metrics");
      if (!r || r->status != 200) break;
      scrape_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      scrape_bytes = r->body.size();
    }
  }

  // A restart: the server killed and started again on the same port and
  // data directory; the agents reconnect with their backoff.
  server->Signal(SIGKILL);
  server->Wait(absl::Seconds(10));
  absl::Time restart = absl::Now();
  server = corral::testing::Process::Start(argv, {}, dir + "/server-restarted.log");
  absl::Duration back = UntilOnline(fleet.get(), n, absl::Minutes(5));
  agents.Stop();

  double per_agent = static_cast<double>(rss - rss_idle) / n;
  double total_per_agent = static_cast<double>(rss) / n;
  std::printf("  server RSS %lld KiB idle, %lld KiB with the agents: %.1f KiB per agent (%.1f KiB total/agent)\n",
              static_cast<long long>(rss_idle), static_cast<long long>(rss), per_agent, total_per_agent);
  std::printf("  server CPU %.1f us per report: %.1f%% of one core at %.0f reports/s (over %.0f s)\n", cpu_us,
              100 * cpu / window, reports / window, window);
  std::printf("  corral status --json median %.1f ms (whole process); GetFleetStatus RPC median %.1f ms\n",
              Percentile(cli_ms, 0.5), Percentile(rpc_ms, 0.5));
  std::printf("  GET /metrics (%zu bytes), whole request: median %.1f ms\n", scrape_bytes, Percentile(scrape_ms, 0.5));
  std::printf("  unary Report round trip p50 %.2f ms, p99 %.2f ms (%zu calls)\n", Percentile(latencies, 0.5),
              Percentile(latencies, 0.99), latencies.size());
  std::printf("  after a restart (SIGKILL, same port and data directory): all %d agents online again after %.1f s\n", n,
              absl::ToDoubleSeconds(back));
  std::printf("RESULT curve %d %.1f %.1f %.1f %.1f %.1f %.1f %.2f %.1f\n", n, per_agent, total_per_agent, cpu_us,
              100 * cpu / window, Percentile(cli_ms, 0.5), Percentile(scrape_ms, 0.5), Percentile(latencies, 0.99),
              absl::ToDoubleSeconds(back));
  std::fflush(stdout);
  server->Signal(SIGTERM);
  server->Wait(absl::Seconds(10));
  FloorCurve(o, first, steady, n);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  if (!o.serve_floor.empty()) return ServeFloor(o.serve_floor);
  if (!o.load_cpus.empty()) {
    cpu_set_t cpus;
    ParseCpuList(o.load_cpus, &cpus);
    // Before any thread starts: gRPC's threads inherit it.
    if (sched_setaffinity(0, sizeof(cpus), &cpus) != 0) UsageError(absl::StrCat("cannot pin to CPUs ", o.load_cpus));
  }
  corral::v1::Snapshot snapshot = corral::testing::FixtureSnapshot(3, absl::Seconds(5));
  std::printf("$ build/bench/fleet_load --seconds %d --connections %d --mode %s%s%s%s%s (%u cores)\n", o.seconds,
              o.connections, o.mode.c_str(), o.server_cpus.empty() ? "" : " --server-cpus ", o.server_cpus.c_str(),
              o.load_cpus.empty() ? "" : " --load-cpus ", o.load_cpus.c_str(), std::thread::hardware_concurrency());
  corral::v1::AgentMessage message;
  *message.mutable_snapshot() = snapshot;
  corral::agent::ConfigDelta delta;
  grpc::ByteBuffer full = Serialize(message);
  delta.Apply(*message.mutable_snapshot());
  *message.mutable_snapshot() = snapshot;
  delta.Apply(*message.mutable_snapshot());
  grpc::ByteBuffer steady = Serialize(message);
  if (o.mode == "curve") {
    for (int n : o.instances) Curve(o, snapshot, n);
    return 0;
  }
  if (o.mode == "full") Floor(o, full, 1000, /*unary=*/true);
  for (int n : o.instances) {
    // A pair measured back to back sees the same machine; alternating which
    // goes first keeps a drift in the machine (another tenant, the page
    // cache, this generator's own heap) from favouring either.
    for (int round = 0; round < (o.mode == "saturated" ? o.rounds : 1); ++round) {
      Rate floor, corral;
      if (round % 2 == 0) {
        floor = Floor(o, steady, n, /*unary=*/false);
        corral = Corral(o, snapshot, n);
      } else {
        corral = Corral(o, snapshot, n);
        floor = Floor(o, steady, n, /*unary=*/false);
      }
      if (o.mode == "saturated") {
        std::printf("RESULT floor %d %.0f %.2f\n", n, floor.per_second, floor.cpu_us);
        std::printf("RESULT corral %d %.0f %.2f\n", n, corral.per_second, corral.cpu_us);
      }
      std::fflush(stdout);
    }
  }
  return 0;
}
