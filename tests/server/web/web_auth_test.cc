#include "server/web/web_auth.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_security.h"
#include "gtest/gtest.h"

namespace corral::server::web {
namespace {

constexpr char kToken[] = "s3cret-token";

RequestCredentials Browser(const std::string& path, const std::string& cookie = "") {
  return {path, "", cookie, "text/html,application/xhtml+xml,*/*;q=0.8"};
}

TEST(Authorize, OpenPathsNeedNothing) {
  for (const char* path : {"/healthz", "/login", "/assets/corral.css"}) {
    EXPECT_EQ(Authorize({path, "", "", ""}, kToken), Access::kOpen) << path;
  }
  EXPECT_EQ(Authorize({"/assetsx", "", "", ""}, kToken), Access::kRefused);
}

TEST(Authorize, BearerTokenOrLoginCookieGrant) {
  EXPECT_EQ(Authorize({"/metrics", BearerValue(kToken), "", ""}, kToken), Access::kGranted);
  std::string cookie = absl::StrCat("theme=dark; ", kLoginCookie, "=", SessionValue(kToken));
  EXPECT_EQ(Authorize(Browser("/service/api", cookie), kToken), Access::kGranted);
  EXPECT_EQ(Authorize({"/events", "", cookie, "text/event-stream"}, kToken), Access::kGranted);
}

TEST(Authorize, BrowsersWithoutCredentialsGetTheFormOthersARefusal) {
  EXPECT_EQ(Authorize(Browser("/"), kToken), Access::kLoginPage);
  EXPECT_EQ(Authorize({"/", "", "", "application/json"}, kToken), Access::kRefused);
  EXPECT_EQ(Authorize({"/metrics", "", "", "*/*"}, kToken), Access::kRefused);
  // A wrong bearer token is a script's mistake: say so rather than show a form.
  EXPECT_EQ(Authorize({"/", "Bearer nope", "", "text/html"}, kToken), Access::kRefused);
}

TEST(Authorize, TheCookieIsNotTheTokenAndAWrongOneFails) {
  EXPECT_EQ(Authorize(Browser("/", absl::StrCat(kLoginCookie, "=", kToken)), kToken), Access::kLoginPage);
  EXPECT_EQ(Authorize(Browser("/", absl::StrCat(kLoginCookie, "=", SessionValue("other"))), kToken),
            Access::kLoginPage);
  // Nor does the cookie work as a bearer token.
  EXPECT_EQ(Authorize({"/metrics", BearerValue(SessionValue(kToken)), "", ""}, kToken), Access::kRefused);
}

TEST(SessionValue, IsHexSha256OfTheLabelledToken) {
  std::string v = SessionValue(kToken);
  EXPECT_EQ(v.size(), 64u);
  EXPECT_EQ(v.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(v, SessionValue("s3cret-tokeN"));
  EXPECT_EQ(v, SessionValue(kToken));
}

TEST(LoginSetCookie, IsHttpOnlyAndStrict) {
  EXPECT_EQ(LoginSetCookie(kToken, false),
            absl::StrCat("corral_token=", SessionValue(kToken), "; Path=/; HttpOnly; SameSite=Strict"));
  EXPECT_TRUE(absl::EndsWith(LoginSetCookie(kToken, true), "; Secure"));
  EXPECT_EQ(LogoutSetCookie(false), "corral_token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
}

TEST(CookieValue, FindsOneCookieAmongMany) {
  EXPECT_EQ(CookieValue("a=1; corral_token=abc; b=2", "corral_token"), "abc");
  EXPECT_EQ(CookieValue("xcorral_token=abc", "corral_token"), "");
  EXPECT_EQ(CookieValue("", "corral_token"), "");
  EXPECT_EQ(CookieValue("corral_token", "corral_token"), "");
}

TEST(WantsJson, OnlyWhenJsonIsAskedAndHtmlIsNot) {
  EXPECT_TRUE(WantsJson("application/json"));
  EXPECT_TRUE(WantsJson("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(WantsJson("text/html,application/json;q=0.9"));
  EXPECT_FALSE(WantsJson("*/*"));
  EXPECT_FALSE(WantsJson(""));
}

TEST(SafeNext, StaysOnThisServer) {
  EXPECT_EQ(SafeNext("/service/api"), "/service/api");
  EXPECT_EQ(SafeNext(""), "/");
  EXPECT_EQ(SafeNext("https://evil.example/"), "/");
  EXPECT_EQ(SafeNext("//evil.example/"), "/");
  EXPECT_EQ(SafeNext("/\\evil.example"), "/");
  EXPECT_EQ(SafeNext("/a\r\nSet-Cookie: x=1"), "/");
}

TEST(RenderLoginMain, HasALabelledPasswordFieldAndEscapesNext) {
  std::string html = RenderLoginMain(true, "/service/\"><script>");
  EXPECT_TRUE(absl::StrContains(html, "<label for=\"token\">Token</label>"));
  EXPECT_TRUE(absl::StrContains(html, "<input type=\"password\" id=\"token\" name=\"token\""));
  EXPECT_TRUE(absl::StrContains(html, "Wrong token."));
  EXPECT_FALSE(absl::StrContains(html, "<script>")) << html;
  EXPECT_FALSE(absl::StrContains(RenderLoginMain(false, "/"), "Wrong token"));
}

}  // namespace
}  // namespace corral::server::web
