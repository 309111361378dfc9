#include "server/web/web_auth.h"

#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc_security.h"
#include "server/web/html.h"

namespace corral::server::web {
namespace {

// Paths anyone may fetch: they say nothing about the fleet.
bool IsOpenPath(const std::string& path) {
  return path == "/healthz" || path == "/login" || absl::StartsWith(path, "/assets/");
}

}  // namespace

std::string SessionValue(const std::string& token) {
  std::string input = absl::StrCat("corral web login\n", token);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string LoginSetCookie(const std::string& token, bool https) {
  return absl::StrCat(kLoginCookie, "=", SessionValue(token), "; Path=/; HttpOnly; SameSite=Strict",
                      https ? "; Secure" : "");
}

std::string LogoutSetCookie(bool https) {
  return absl::StrCat(kLoginCookie, "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict", https ? "; Secure" : "");
}

std::string CookieValue(absl::string_view cookie_header, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(cookie_header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    size_t eq = part.find('=');
    if (eq == absl::string_view::npos) continue;
    if (part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
  }
  return "";
}

bool WantsJson(absl::string_view accept) {
  return ContainsIgnoringCase(accept, "application/json") && !ContainsIgnoringCase(accept, "text/html");
}

Access Authorize(const RequestCredentials& request, const std::string& token) {
  if (IsOpenPath(request.path)) return Access::kOpen;
  if (!request.authorization.empty() && TokenMatches(request.authorization, token)) return Access::kGranted;
  std::string cookie = CookieValue(request.cookie, kLoginCookie);
  if (!cookie.empty() && ConstantTimeEquals(cookie, SessionValue(token))) return Access::kGranted;
  // A browser asking for a page gets the form; scripts, scrapers and the
  // page's own event stream get a plain refusal.
  bool browser = ContainsIgnoringCase(request.accept, "text/html");
  if (browser && request.authorization.empty()) return Access::kLoginPage;
  return Access::kRefused;
}

std::string SafeNext(absl::string_view next) {
  if (next.empty() || next[0] != '/' || absl::StartsWith(next, "//") || absl::StartsWith(next, "/\\")) return "/";
  for (char c : next) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "/";
  }
  return std::string(next);
}

std::string RenderLoginMain(bool failed, const std::string& next) {
  return absl::StrCat(
      "<h1>Log in</h1>\n<p class=\"lead\">This corral-server requires its token (the contents of the file given "
      "to <code>--token-file</code>).</p>\n",
      failed ? "<p class=\"error\" id=\"login-error\" role=\"alert\">Wrong token.</p>\n" : "",
      "<form id=\"login\" class=\"login\" method=\"post\" action=\"/login\">"
      "<label for=\"token\">Token</label>"
      "<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" required autofocus>"
      "<input type=\"hidden\" name=\"next\" value=\"",
      Escape(SafeNext(next)), "\"><button type=\"submit\">Log in</button></form>\n");
}

}  // namespace corral::server::web
