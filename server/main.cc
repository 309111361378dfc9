// corral-server: collects agents' snapshots and answers fleet queries.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/daemon.h"
#include "common/flags.h"
#include "common/grpc_security.h"
#include "common/version.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/call_auth.h"
#include "server/collector_service.h"
#include "server/expectation_book.h"
#include "server/fleet_service.h"
#include "server/history.h"
#include "server/http_endpoint.h"
#include "server/metrics.h"
#include "server/registry.h"
#include "server/server_options.h"
#include "server/store.h"
#include "server/web/web_routes.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

constexpr int kExitUsage = 2;

// Holds an exclusive lock on DIR/corral-server.lock for the process's life,
// so two servers never share one data directory.
bool LockDataDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    spdlog::error("cannot create data directory {}: {}", dir, ec.message());
    return false;
  }
  std::string path = dir + "/corral-server.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    spdlog::error("cannot open {}: {}", path, std::strerror(errno));
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    spdlog::error("data directory {} is in use by another corral-server", dir);
    return false;
  }
  return true;  // the descriptor stays open until exit
}

corral::v1::Event ServerEvent(const char* kind, std::string message) {
  corral::v1::Event e;
  e.set_time_unix_ms(absl::ToUnixMillis(absl::Now()));
  e.set_kind(kind);
  e.set_message(std::move(message));
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<corral::server::ServerOptions> options =
      corral::server::ParseServerOptions(std::vector<std::string>(argv + 1, argv + argc), corral::GetEnv);
  if (!options.ok()) {
    std::cerr << "corral-server: " << options.status().message() << "\n(see 'corral-server --help')\n";
    return kExitUsage;
  }
  if (options->help) {
    std::cout << corral::server::ServerHelp();
    return 0;
  }
  corral::SetUpLogging("server", options->log_level);

  // Signals are taken by one thread with sigwait; block them everywhere else.
  sigset_t signals = corral::BlockTerminationSignals();

  // Lock-order checking costs a graph update on every lock; the server takes
  // a lock per report.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Every report is parsed into its own arena and freed when the next one
  // of its instance arrives, thousands a second on several threads. With
  // glibc's defaults the freed top of each heap goes back to the kernel and
  // returns as fresh zeroed pages (a fifth of the server's CPU at 10,000
  // saturated streams went to clearing pages); the server keeps it instead.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (!LockDataDir(options->data_dir)) return kExitUsage;
  absl::StatusOr<std::optional<std::string>> token = corral::ReadOptionalToken(options->token_file);
  if (!token.ok()) {
    std::cerr << "corral-server: " << token.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = corral::MakeServerCredentials(options->tls);
  if (!credentials.ok()) {
    std::cerr << "corral-server: " << credentials.status().message() << "\n";
    return kExitUsage;
  }

  absl::StatusOr<std::unique_ptr<corral::server::Store>> store = corral::server::Store::Open(options->database);
  if (!store.ok()) {
    std::cerr << "corral-server: " << store.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<corral::server::ExpectationBook>> book =
      corral::server::ExpectationBook::Open(store->get());
  if (!book.ok()) {
    std::cerr << "corral-server: " << book.status().message() << "\n";
    return kExitUsage;
  }
  corral::server::HistoryOptions history_options;
  // Agents reconnect within an interval or two (their backoff is capped at
  // their interval); until then the history keeps what the last run saw of
  // them (server/history.h).
  if (options->agent_interval > absl::ZeroDuration()) history_options.default_interval = options->agent_interval;
  history_options.forget_after = options->expire;
  history_options.retention = options->history_retention;
  absl::StatusOr<std::unique_ptr<corral::server::History>> history =
      corral::server::History::Open(store->get(), history_options);
  if (!history.ok()) {
    std::cerr << "corral-server: " << history.status().message() << "\n";
    return kExitUsage;
  }
  spdlog::info("state in {}: {} service(s) with expectations, history since event {}", (*store)->path(),
               (*book)->Get("").services_size(), (*store)->LastEventId());

  corral::server::RegistryOptions registry_options;
  registry_options.expire = options->expire;
  corral::server::Registry registry(registry_options);
  corral::server::CallAuth auth(*token);
  corral::server::CollectorOptions collector_options;
  collector_options.agent_interval = options->agent_interval;
  corral::server::History* history_ptr = history->get();
  collector_options.on_leave = [history_ptr](const std::string& service, const std::string& instance) {
    history_ptr->Left(service, instance);
  };
  corral::server::CollectorService collector(&registry, &auth, collector_options);
  corral::server::FleetEvaluator evaluator(&registry, book->get(), history->get());
  corral::server::FleetQueries queries(&registry, &evaluator, book->get(), history->get());
  corral::server::FleetService fleet(&queries, &auth);

  // The HTTP endpoint starts first: files that cannot serve it stop the
  // start before anything listens for agents, and /healthz answers 503
  // until the gRPC ports are open.
  absl::Notification stopping;
  std::atomic<bool> serving{false};
  // Declared before the endpoint, which ends its streams as it stops.
  corral::server::web::WebOptions web_options;
  web_options.token = *token;
  web_options.https = !options->http_tls_cert.empty();
  corral::server::web::WebPages pages(&queries, history->get(), web_options);
  std::unique_ptr<corral::server::HttpEndpoint> http;
  if (!options->http.empty()) {
    corral::server::HttpOptions http_options;
    http_options.token = *token;
    http_options.tls_cert = options->http_tls_cert;
    http_options.tls_key = options->http_tls_key;
    absl::StatusOr<std::unique_ptr<corral::server::HttpEndpoint>> started = corral::server::HttpEndpoint::Start(
        options->http, http_options,
        [&] {
          return corral::server::RenderMetrics(evaluator.Services(), {collector.reports(), collector.rejected()},
                                               absl::Now());
        },
        [&] { return serving.load() && !stopping.HasBeenNotified(); }, &pages);
    if (!started.ok()) {
      spdlog::error("{}", std::string(started.status().message()));
      return kExitUsage;
    }
    http = *std::move(started);
    spdlog::info("serving the fleet pages, /metrics and /healthz on {}://{}:{}{}", http->scheme(),
                 options->http.substr(0, options->http.rfind(':')), http->port(),
                 *token ? " (pages ask for the token; /metrics needs it as a bearer token)" : "");
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<int> ports(options->listen.size(), 0);
  for (size_t i = 0; i < options->listen.size(); ++i) {
    builder.AddListeningPort(options->listen[i], *credentials, &ports[i]);
  }
  collector.AddTo(&builder);
  builder.RegisterService(&fleet);
  // Above kMaxSnapshotBytes the collector refuses a report itself, with
  // INVALID_ARGUMENT; gRPC's own limit only stops absurd transfers.
  builder.SetMaxReceiveMessageSize(16 << 20);
  // gRPC binds with SO_REUSEPORT by default: a second server started on a
  // taken port would then share it, and the kernel would split the agents
  // between two servers that each see part of the fleet.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    spdlog::error("cannot listen on {} (address in use, or not an address)", absl::StrJoin(options->listen, ", "));
    return kExitUsage;
  }
  collector.Start();
  for (size_t i = 0; i < options->listen.size(); ++i) {
    const std::string& address = options->listen[i];
    std::string shown = absl::StartsWith(address, "unix:")
                            ? address
                            : absl::StrCat(address.substr(0, address.rfind(':')), ":", ports[i]);
    spdlog::info("corral-server {} listening on {} ({}{})", corral::kCorralVersion, shown,
                 options->tls.cert.empty() ? "plaintext" : (options->tls.ca.empty() ? "TLS" : "mutual TLS"),
                 *token ? ", bearer token required" : "");
  }
  if (!*token) {
    std::vector<std::string> exposed;
    for (const std::string& address : options->listen) {
      if (!corral::server::IsLoopbackOnly(address)) exposed.push_back(address);
    }
    if (!options->http.empty() && !corral::server::IsLoopbackOnly(options->http)) exposed.push_back(options->http);
    if (!exposed.empty()) {
      spdlog::warn(
          "listening beyond loopback on {} with no token: anyone who reaches it can read the fleet and "
          "report to it; pass --token-file (and TLS flags) or listen on 127.0.0.1",
          absl::StrJoin(exposed, ", "));
    }
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  serving.store(true);
  (*history)->Record(
      {ServerEvent("server_started", absl::StrCat("corral-server ", corral::kCorralVersion, " started"))});

  std::thread evaluating([&] {
    bool refresh_failing = false;
    // Keeps the rules' results current shortly after every report.
    while (!stopping.WaitForNotificationWithTimeout(absl::Milliseconds(200))) {
      // On a shared store: what other servers changed or recorded, and
      // the history writer's lease (server/history.h).
      if (absl::StatusOr<bool> refreshed = (*book)->Refresh(); refreshed.ok() == refresh_failing) {
        refresh_failing = !refresh_failing;
        if (refresh_failing) {
          spdlog::warn("cannot reload expectations: {}", std::string(refreshed.status().message()));
        } else {
          spdlog::info("expectations are read from {} again", (*store)->path());
        }
      }
      (*history)->Follow();
      evaluator.Refresh();
    }
  });
  std::thread sweeper([&] {
    absl::Time next_prune = absl::Now();
    absl::Time next_trim = absl::Now();
    while (!stopping.WaitForNotificationWithTimeout(absl::Milliseconds(500))) {
      // A reconnection storm (every agent's first message at once, after a
      // restart or a network cut) takes memory that steady state never needs
      // again, and the threshold above keeps freed memory resident. Every
      // 10 s whole free pages go back to the kernel: 10,000 agents hold a
      // third less, for a few ms here and a page fault per page reused.
      if (absl::Now() >= next_trim) {
        next_trim = absl::Now() + absl::Seconds(10);
        absl::Time start = absl::Now();
        malloc_trim(0);
        spdlog::debug("returned free memory to the kernel in {}", absl::FormatDuration(absl::Now() - start));
      }
      // Events kept in memory while the store could not be written.
      (*history)->Flush();
      if (absl::Now() >= next_prune) {
        next_prune = absl::Now() + absl::Hours(1);
        absl::StatusOr<int64_t> pruned = (*history)->Prune();
        if (!pruned.ok()) {
          spdlog::error("cannot prune the history in {}: {}", (*store)->path(), std::string(pruned.status().message()));
        } else if (*pruned > 0) {
          spdlog::info("pruned {} history event(s) older than {}", *pruned,
                       absl::FormatDuration(options->history_retention));
        }
      }
      for (const corral::server::StateChange& change : registry.Sweep()) {
        if (change.forgotten) {
          spdlog::info("instance {}/{} forgotten after {} offline", change.service, change.instance,
                       absl::FormatDuration(options->expire));
        } else {
          spdlog::info("instance {}/{} is {}", change.service, change.instance,
                       corral::server::StateName(change.state));
        }
      }
    }
  });
  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    (*history)->Record({ServerEvent(
        "server_stopped", absl::StrCat("corral-server stopped (", signal == SIGTERM ? "SIGTERM" : "SIGINT", ")"))});
    server->GetHealthCheckService()->SetServingStatus(false);
    stopping.Notify();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  });
  server->Wait();
  collector.Stop();
  http.reset();
  sweeper.join();
  evaluating.join();
  signal_waiter.join();
  (*history)->Flush(/*force=*/true);
  if (size_t unsaved = (*history)->unsaved(); unsaved > 0) {
    spdlog::error("history: {} event(s) could not be stored in {} and end with this process", unsaved,
                  (*store)->path());
  }
  spdlog::info("stopped after {} reports ({} refused)", collector.reports(), collector.rejected());
  return 0;
}
