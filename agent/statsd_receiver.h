// corral-agent's statsd sink for Gunicorn's --statsd-host: listens on UDP
// ("HOST:PORT") and unix datagram sockets ("unix:PATH"), parses every
// datagram into a RequestWindow, and relays it unchanged to
// --statsd-forward when set, so an existing statsd or Datadog pipeline keeps
// working. One thread; memory is fixed whatever arrives: a datagram is read
// into one buffer, malformed ones are counted and dropped, unknown metrics
// ignored.
#ifndef CORRAL_AGENT_STATSD_RECEIVER_H_
#define CORRAL_AGENT_STATSD_RECEIVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/request_window.h"
#include "corral/v1/snapshot.pb.h"

namespace corral::agent {

struct StatsdOptions {
  // "HOST:PORT" (UDP; port 0 picks one) or "unix:PATH" (datagram socket).
  std::vector<std::string> listen;
  // "HOST:PORT" (UDP) or "unix:PATH"; empty: no relay.
  std::string forward;
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class StatsdReceiver {
 public:
  // Binds every listen address or fails naming the one that could not be.
  static absl::StatusOr<std::unique_ptr<StatsdReceiver>> Start(StatsdOptions options);
  ~StatsdReceiver();  // stops the thread, closes and unlinks sockets

  corral::v1::RequestStats Summarize();
  // The UDP ports bound, in listen order (0 for unix sockets).
  const std::vector<int>& ports() const { return ports_; }

  // Parses and records one datagram as the thread does; for benchmarks.
  void Handle(const char* data, size_t size);

 private:
  explicit StatsdReceiver(StatsdOptions options);
  void Loop();

  StatsdOptions options_;
  std::vector<int> fds_;
  std::vector<int> ports_;
  std::vector<std::string> unix_paths_;
  int forward_fd_ = -1;
  std::atomic<bool> stop_{false};
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
  absl::Mutex mu_;
  RequestWindow window_ ABSL_GUARDED_BY(mu_);
};

}  // namespace corral::agent

#endif  // CORRAL_AGENT_STATSD_RECEIVER_H_
