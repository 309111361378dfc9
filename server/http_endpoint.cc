#include "server/http_endpoint.h"

#include <sys/socket.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/grpc_security.h"
#include "httplib.h"
#include "server/web/page_layout.h"
#include "server/web/web_auth.h"
#include "server/web/web_routes.h"

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

bool IsLoopbackOnly(const std::string& address) {
  if (absl::StartsWith(address, "unix:")) return true;
  absl::StatusOr<std::pair<std::string, int>> split = SplitHostPort(address);
  if (!split.ok()) return false;
  const std::string& host = split->first;
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

std::string WithoutBrotli(absl::string_view accept_encoding) {
  std::vector<std::string> kept;
  for (absl::string_view coding : absl::StrSplit(accept_encoding, ',')) {
    absl::string_view name = absl::StripAsciiWhitespace(coding.substr(0, coding.find(';')));
    if (absl::EqualsIgnoreCase(name, "br")) continue;
    kept.emplace_back(absl::StripAsciiWhitespace(coding));
  }
  return absl::StrJoin(kept, ", ");
}

namespace {

absl::Status CheckReadable(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": cannot be read"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(const std::string& address,
                                                                  const HttpOptions& options, MetricsFn metrics,
                                                                  HealthFn healthy, web::WebPages* pages) {
  absl::StatusOr<std::pair<std::string, int>> split = SplitHostPort(address);
  if (!split.ok()) return split.status();
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint());
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--http-tls-cert and --http-tls-key go together");
  }
  if (!options.tls_cert.empty()) {
    if (absl::Status s = CheckReadable("--http-tls-cert", options.tls_cert); !s.ok()) return s;
    if (absl::Status s = CheckReadable("--http-tls-key", options.tls_key); !s.ok()) return s;
    auto https = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!https->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot serve HTTPS with certificate ", options.tls_cert,
                                                     " and key ", options.tls_key,
                                                     ": not PEM, or the key does not belong to the certificate"));
    }
    endpoint->server_ = std::move(https);
    endpoint->https_ = true;
  } else {
    endpoint->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& server = *endpoint->server_;
  // Before routing, for every path (including any added later): the
  // response's encoding, then, with a token, the caller's credentials.
  server.set_pre_routing_handler(
      [token = options.token, pages](const httplib::Request& request, httplib::Response& response) {
        // httplib compresses with brotli whenever a client accepts it, at
        // brotli's best and slowest quality: 1.8 s for a 520 KB page that gzip
        // sends in 18 ms. It decides from the request's Accept-Encoding, and
        // this handler is the only place before that sees the request; the
        // Request is httplib's own non-const object, handed over as const.
        if (request.has_header("Accept-Encoding")) {
          auto& headers = const_cast<httplib::Request&>(request).headers;
          auto it = headers.find("Accept-Encoding");
          it->second = WithoutBrotli(it->second);
        }
        if (!token) return httplib::Server::HandlerResponse::Unhandled;
        web::RequestCredentials credentials{request.path, request.get_header_value("Authorization"),
                                            request.get_header_value("Cookie"), request.get_header_value("Accept")};
        web::Access access = web::Authorize(credentials, *token);
        if (access == web::Access::kOpen || access == web::Access::kGranted) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        response.status = 401;
        if (access == web::Access::kLoginPage && pages != nullptr) {
          response.set_header("Cache-Control", "no-store");
          response.set_content(web::RenderPage({"Log in", "", web::RenderLoginMain(false, request.path)}),
                               "text/html; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        }
        response.set_header("WWW-Authenticate", "Bearer realm=\"corral\"");
        response.set_content(credentials.authorization.empty()
                                 ? "missing bearer token (Authorization: Bearer TOKEN, or log in at /login)\n"
                                 : "wrong bearer token\n",
                             "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      });
  if (pages != nullptr) {
    pages->Install(server);
    endpoint->pages_ = pages;
    // Each page following events holds a thread; leave room for scrapes.
    int threads = pages->options().max_event_streams + 8;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  }
  server.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/healthz", [healthy](const httplib::Request&, httplib::Response& response) {
    bool ok = healthy();
    response.status = ok ? 200 : 503;
    response.set_content(ok ? "ok\n" : "shutting down\n", "text/plain");
  });
  // httplib binds with SO_REUSEPORT: a second server started on a taken
  // port would share it, and scrapes would alternate between the two.
  // SO_REUSEADDR alone still lets a restart bind past TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Scrapers and the login form send small requests; nothing else is
  // accepted.
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
        absl::StrCat("cannot listen on ", endpoint->scheme(), "://", address, " (address in use, or not an address)"));
  }
  // httplib's stop() does nothing until the listening loop has begun
  // (is_running()); an endpoint destroyed before then would never be
  // joined. Return once the loop runs, or has already ended.
  auto listening_ended = std::make_shared<absl::Notification>();
  endpoint->thread_ = std::thread([&server, listening_ended] {
    server.listen_after_bind();
    listening_ended->Notify();
  });
  while (!server.is_running() && !listening_ended->WaitForNotificationWithTimeout(absl::Milliseconds(1))) {
  }
  return endpoint;
}

HttpEndpoint::~HttpEndpoint() {
  if (pages_ != nullptr) pages_->Shutdown();
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace corral::server
