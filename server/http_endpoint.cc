#include "server/http_endpoint.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace corral::server {

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", address, "' is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", address, "': the port is not a number from 0 to 65535"));
  }
  return std::make_pair(host, port);
}

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(const std::string& address, MetricsFn metrics,
                                                                  HealthFn healthy) {
  absl::StatusOr<std::pair<std::string, int>> split = SplitHostPort(address);
  if (!split.ok()) return split.status();
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint());
  endpoint->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *endpoint->server_;
  server.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/healthz", [healthy](const httplib::Request&, httplib::Response& response) {
    bool ok = healthy();
    response.status = ok ? 200 : 503;
    response.set_content(ok ? "ok\n" : "shutting down\n", "text/plain");
  });
  // Scrapers send small requests; nothing else is accepted.
  server.set_payload_max_length(64 * 1024);
  server.set_read_timeout(5, 0);
  endpoint->host_ = split->first;
  if (split->second == 0) {
    endpoint->port_ = server.bind_to_any_port(split->first);
  } else {
    endpoint->port_ = server.bind_to_port(split->first, split->second) ? split->second : -1;
  }
  if (endpoint->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on http://", address, " (address in use, or not an address)"));
  }
  endpoint->thread_ = std::thread([&server] { server.listen_after_bind(); });
  return endpoint;
}

HttpEndpoint::~HttpEndpoint() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace corral::server
