// corral-server's HTTP port: GET /metrics (Prometheus text format) and
// GET /healthz, served by cpp-httplib on its own threads so that scrapes
// never run on the gRPC threads that take agents' reports.
#ifndef CORRAL_SERVER_HTTP_ENDPOINT_H_
#define CORRAL_SERVER_HTTP_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace corral::server {

class HttpEndpoint {
 public:
  // Renders the /metrics body.
  using MetricsFn = std::function<std::string()>;
  // Whether /healthz answers 200 (serving) or 503 (shutting down).
  using HealthFn = std::function<bool()>;

  // Listens on `address` ("HOST:PORT", "[::]:PORT"; port 0 picks a free
  // one). Fails with a message naming the address when it cannot.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(const std::string& address, MetricsFn metrics,
                                                             HealthFn healthy);
  ~HttpEndpoint();  // stops and joins

  // The port actually bound.
  int port() const { return port_; }
  const std::string& host() const { return host_; }

 private:
  HttpEndpoint() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

// Splits "HOST:PORT" / "[V6]:PORT"; the host without brackets.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address);

}  // namespace corral::server

#endif  // CORRAL_SERVER_HTTP_ENDPOINT_H_
