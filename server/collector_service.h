// The Collector gRPC service (callback API): agents' long-lived streams and
// one-shot reports go into the registry. No thread is held per stream.
// Requests arrive as raw bytes and are parsed here, so a malformed message
// is refused with INVALID_ARGUMENT like any other bad report.
#ifndef CORRAL_SERVER_COLLECTOR_SERVICE_H_
#define CORRAL_SERVER_COLLECTOR_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "corral/v1/collector.grpc.pb.h"
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
};

class CollectorService final
    : public corral::v1::Collector::WithRawCallbackMethod_Stream<
          corral::v1::Collector::WithRawCallbackMethod_Report<corral::v1::Collector::Service>> {
 public:
  CollectorService(Registry* registry, const CallAuth* auth, CollectorOptions options);

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Stream(grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* Report(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

  // Counters for logs and metrics.
  uint64_t reports() const { return reports_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  class StreamReactor;

  // Validates and records one snapshot; logs a refusal (rate-limited).
  // `carriers` is the stream's (nullptr for unary reports, which must be
  // complete).
  grpc::Status Accept(std::shared_ptr<const corral::v1::Snapshot> snapshot, ConfigCarriers* carriers,
                      const std::string& peer);
  void LogRejection(const std::string& peer, const std::string& why);

  Registry* registry_;
  const CallAuth* auth_;
  CollectorOptions options_;
  std::atomic<uint64_t> reports_{0};
  std::atomic<uint64_t> rejected_{0};
  absl::Mutex log_mu_;
  absl::Time log_window_start_ ABSL_GUARDED_BY(log_mu_);
  int logged_in_window_ ABSL_GUARDED_BY(log_mu_) = 0;
  int suppressed_ ABSL_GUARDED_BY(log_mu_) = 0;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_COLLECTOR_SERVICE_H_
