#include "server/server_options.h"

#include <map>

#include "gtest/gtest.h"
#include "server/http_endpoint.h"

namespace corral::server {
namespace {

auto NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

TEST(ParseServerOptions, Defaults) {
  absl::StatusOr<ServerOptions> o = ParseServerOptions({}, NoEnv());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->listen, std::vector<std::string>{"0.0.0.0:7400"});
  EXPECT_EQ(o->data_dir, "/var/lib/corral");
  EXPECT_EQ(o->expire, absl::Hours(1));
  EXPECT_EQ(o->agent_interval, absl::ZeroDuration());
}

TEST(ParseServerOptions, FlagsAndEnvironment) {
  std::map<std::string, std::string> env = {{"CORRAL_EXPIRE", "10m"}, {"CORRAL_LISTEN", "127.0.0.1:1,unix:/s"}};
  absl::StatusOr<ServerOptions> o =
      ParseServerOptions({"--data-dir", "/tmp/d", "--agent-interval=2s", "--tls-cert", "c", "--tls-key", "k"},
                         [&](const std::string& name) -> std::optional<std::string> {
                           auto it = env.find(name);
                           if (it == env.end()) return std::nullopt;
                           return it->second;
                         });
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->listen, (std::vector<std::string>{"127.0.0.1:1", "unix:/s"}));
  EXPECT_EQ(o->expire, absl::Minutes(10));
  EXPECT_EQ(o->agent_interval, absl::Seconds(2));
  EXPECT_EQ(o->tls.cert, "c");
}

TEST(ParseServerOptions, UsageErrorsNameTheFlag) {
  EXPECT_EQ(ParseServerOptions({"--expire", "soon"}, NoEnv()).status().message(),
            "--expire: invalid duration 'soon': expected a number at 'soon' (examples: 500ms, 5s, 1m30s, 2h)");
  EXPECT_EQ(ParseServerOptions({"--log-level", "loud"}, NoEnv()).status().message(),
            "--log-level 'loud' is not one of debug, info, warn, error");
  EXPECT_EQ(ParseServerOptions({"extra"}, NoEnv()).status().message(), "unexpected argument 'extra'");
}

TEST(ParseServerOptions, HttpsNeedsACertificateAndItsKey) {
  EXPECT_EQ(ParseServerOptions({"--http-tls-cert", "c.pem"}, NoEnv()).status().message(),
            "--http-tls-cert and --http-tls-key go together");
  EXPECT_EQ(ParseServerOptions({"--http-tls-key", "k.pem"}, NoEnv()).status().message(),
            "--http-tls-cert and --http-tls-key go together");
  absl::StatusOr<ServerOptions> both =
      ParseServerOptions({"--http-tls-cert", "c.pem", "--http-tls-key", "k.pem"}, NoEnv());
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->http_tls_cert, "c.pem");
  EXPECT_EQ(both->http_tls_key, "k.pem");
}

TEST(IsLoopbackOnly, LoopbackHostsAndUnixSocketsOnly) {
  for (const char* address : {"127.0.0.1:7400", "127.1.2.3:0", "localhost:7401", "[::1]:7400", "unix:/run/c.sock"}) {
    EXPECT_TRUE(IsLoopbackOnly(address)) << address;
  }
  for (const char* address : {"0.0.0.0:7400", "[::]:7401", "10.0.0.5:7400", ":7400", "example.com:7400", "garbage"}) {
    EXPECT_FALSE(IsLoopbackOnly(address)) << address;
  }
}

TEST(WithoutBrotli, DropsBrAndKeepsTheRest) {
  EXPECT_EQ(WithoutBrotli("gzip, deflate, br"), "gzip, deflate");
  EXPECT_EQ(WithoutBrotli("br;q=1.0, gzip;q=0.8, *;q=0.1"), "gzip;q=0.8, *;q=0.1");
  EXPECT_EQ(WithoutBrotli("BR"), "");
  EXPECT_EQ(WithoutBrotli("gzip"), "gzip");
  EXPECT_EQ(WithoutBrotli("brotli-like, zstd"), "brotli-like, zstd");
}

}  // namespace
}  // namespace corral::server
