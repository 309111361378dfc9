// The Collector gRPC service: agents' long-lived streams and one-shot
// reports go into the registry. No thread is held per stream. Requests
// arrive as raw bytes and are parsed here, so a malformed message is
// refused with INVALID_ARGUMENT like any other bad report.
//
// Streams are served with the asynchronous API from several completion
// queues (CollectorOptions::stream_queues), each with its own thread; one
// stream's operations all complete on one queue's thread, one at a time.
// Why not the callback API: the gRPC that Debian ships is built without
// NDEBUG, and then every completion does a linear search, under the
// queue's lock, through every operation outstanding on its queue
// (completion_queue.cc, cq_check_tag). The callback API puts every call of
// a server on one queue, so with N agents connected each report paid a
// search through N pending reads; over K queues it is N/K. Unary reports
// stay on the callback API: they are not outstanding for long.
//
// Lifecycle: AddTo(builder) before BuildAndStart, Start() after it, and
// Stop() after the server's Shutdown() (the destructor calls it).
#ifndef CORRAL_SERVER_COLLECTOR_SERVICE_H_
#define CORRAL_SERVER_COLLECTOR_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "corral/v1/collector.grpc.pb.h"
#include "grpcpp/server_builder.h"
#include "server/call_auth.h"
#include "server/registry.h"
#include "server/report.h"

namespace corral::server {

struct CollectorOptions {
  // When non-zero, agents sampling at another interval are told to use this.
  absl::Duration agent_interval = absl::ZeroDuration();
  // Called when an agent shutting down takes its instance out of the fleet
  // (after the registry dropped it), for the history.
  std::function<void(const std::string& service, const std::string& instance)> on_leave;
  // Completion queues (and threads) the streams are spread over.
  int stream_queues = 8;
};

class CollectorService final
    : public corral::v1::Collector::WithRawMethod_Stream<
          corral::v1::Collector::WithRawCallbackMethod_Report<corral::v1::Collector::Service>> {
 public:
  CollectorService(Registry* registry, const CallAuth* auth, CollectorOptions options);
  ~CollectorService() override;

  // Registers the service and its completion queues; once, before
  // `builder->BuildAndStart()`.
  void AddTo(grpc::ServerBuilder* builder);
  // Serves streams; once, after the server started.
  void Start();
  // Ends every stream and joins the threads; after the server's Shutdown().
  // Idempotent.
  void Stop();

  grpc::ServerUnaryReactor* Report(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

  // Counters for logs and metrics.
  uint64_t reports() const { return reports_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  class StreamCall;
  // Serves queue `i` until it is shut down and drained.
  void Poll(size_t i);

  // Validates and records one snapshot; logs a refusal (rate-limited).
  // `carriers` is the stream's (nullptr for unary reports, which must be
  // complete).
  grpc::Status Accept(std::shared_ptr<const corral::v1::Snapshot> snapshot, ConfigCarriers* carriers,
                      const std::string& peer);
  void LogRejection(const std::string& peer, const std::string& why);

  Registry* registry_;
  const CallAuth* auth_;
  CollectorOptions options_;
  // The configurations the streams keep, one copy per distinct one.
  ConfigPool config_pool_;
  std::atomic<uint64_t> reports_{0};
  std::atomic<uint64_t> rejected_{0};
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  // Streams accepted and not yet finished, for Stop() to wait on.
  absl::Mutex calls_mu_;
  int live_calls_ ABSL_GUARDED_BY(calls_mu_) = 0;
  absl::Mutex log_mu_;
  absl::Time log_window_start_ ABSL_GUARDED_BY(log_mu_);
  int logged_in_window_ ABSL_GUARDED_BY(log_mu_) = 0;
  int suppressed_ ABSL_GUARDED_BY(log_mu_) = 0;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_COLLECTOR_SERVICE_H_
