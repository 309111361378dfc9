// corral-server's HTTP port: GET /metrics (Prometheus text format),
// GET /healthz and the browser pages (web/web_routes.h), served by
// cpp-httplib on its own threads so that scrapes and pages never run on the
// gRPC threads that take agents' reports.
//
// With a token, every path but /healthz, /login and the pages' assets
// requires it: as a bearer token ("Authorization: Bearer TOKEN", what
// Prometheus sends with `authorization: {credentials_file: FILE}`), or as
// the cookie a browser gets by logging in (web/web_auth.h). A browser
// without either is shown the login form. With a certificate and key it
// serves HTTPS.
#ifndef CORRAL_SERVER_HTTP_ENDPOINT_H_
#define CORRAL_SERVER_HTTP_ENDPOINT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace httplib {
class Server;
}

namespace corral::server {

namespace web {
class WebPages;
}

struct HttpOptions {
  std::optional<std::string> token;
  // HTTPS when both are set: certificate chain and private key, PEM.
  std::string tls_cert;
  std::string tls_key;
};

class HttpEndpoint {
 public:
  // Renders the /metrics body.
  using MetricsFn = std::function<std::string()>;
  // Whether /healthz answers 200 (serving) or 503 (shutting down).
  using HealthFn = std::function<bool()>;

  // Listens on `address` ("HOST:PORT", "[::]:PORT"; port 0 picks a free
  // one). Fails with a message naming the address or file when it cannot.
  // `pages` (may be null: no pages) outlives the endpoint.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(const std::string& address, const HttpOptions& options,
                                                             MetricsFn metrics, HealthFn healthy,
                                                             web::WebPages* pages = nullptr);
  ~HttpEndpoint();  // ends the pages' event streams, stops and joins

  // The port actually bound.
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  // "http" or "https".
  const char* scheme() const { return https_ ? "https" : "http"; }

 private:
  HttpEndpoint() = default;
  std::unique_ptr<httplib::Server> server_;
  web::WebPages* pages_ = nullptr;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
  bool https_ = false;
};

// Splits "HOST:PORT" / "[V6]:PORT"; the host without brackets.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address);

// An Accept-Encoding value without brotli ("gzip, deflate, br" -> "gzip,
// deflate"), so the HTTP port answers with gzip: httplib's brotli is its
// slowest quality, seconds for a large page.
std::string WithoutBrotli(absl::string_view accept_encoding);

// Whether a listening address ("HOST:PORT", "[V6]:PORT", "unix:PATH") is
// reachable from this machine only: loopback hosts and unix sockets.
bool IsLoopbackOnly(const std::string& address);

}  // namespace corral::server

#endif  // CORRAL_SERVER_HTTP_ENDPOINT_H_
