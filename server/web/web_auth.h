// Who may read the HTTP port when the server has a token. Scripts and
// Prometheus send it as a bearer token; a browser logs in once through a
// form and then carries a cookie (HttpOnly, SameSite=Strict) whose value
// proves it knew the token without being the token, so the cookie cannot
// be replayed against the gRPC port. Pure: header values in, a decision
// out.
#ifndef CORRAL_SERVER_WEB_WEB_AUTH_H_
#define CORRAL_SERVER_WEB_WEB_AUTH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace corral::server::web {

inline constexpr char kLoginCookie[] = "corral_token";

// What one request's headers entitle it to.
struct RequestCredentials {
  std::string path;
  std::string authorization;  // the Authorization header, "" when absent
  std::string cookie;         // the Cookie header
  std::string accept;         // the Accept header
};

enum class Access {
  kOpen,       // a path that tells nothing (/healthz, /login, /assets/...)
  kGranted,    // the right bearer token or login cookie
  kLoginPage,  // a browser without credentials: show the login form
  kRefused,    // a client without (the right) credentials: 401 with a reason
};

Access Authorize(const RequestCredentials& request, const std::string& token);

// The login cookie's value for `token`: SHA-256 of a fixed label and the
// token, in hex.
std::string SessionValue(const std::string& token);

// The Set-Cookie header value after a successful login (Secure on HTTPS).
std::string LoginSetCookie(const std::string& token, bool https);
// The Set-Cookie header value that ends a login.
std::string LogoutSetCookie(bool https);

// The value of cookie `name` in a Cookie header, "" when absent.
std::string CookieValue(absl::string_view cookie_header, absl::string_view name);

// Whether the client asked for JSON rather than a page: an Accept header
// naming application/json and not text/html.
bool WantsJson(absl::string_view accept);

// Where to go after logging in: `next` when it is a path on this server
// ("/service/api"), else "/". Keeps the login form from redirecting off
// the site.
std::string SafeNext(absl::string_view next);

// The contents of <main> for the login page; `failed` after a wrong token.
std::string RenderLoginMain(bool failed, const std::string& next);

}  // namespace corral::server::web

#endif  // CORRAL_SERVER_WEB_WEB_AUTH_H_
