// The statsd sink over real sockets: UDP and unix datagrams in, a relay out,
// malformed datagrams counted, and a flood that cannot grow memory.
#include "agent/statsd_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

using corral::testing::WaitFor;

void SendUdp(int port, const std::string& payload) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  ::close(fd);
}

void SendUnix(const std::string& path, const std::string& payload) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un to{};
  to.sun_family = AF_UNIX;
  std::strncpy(to.sun_path, path.c_str(), sizeof(to.sun_path) - 1);
  ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  ::close(fd);
}

// A plain UDP listener standing for an existing statsd.
class Collector {
 public:
  Collector() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&at), sizeof(at));
    socklen_t len = sizeof(at);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&at), &len);
    port_ = ntohs(at.sin_port);
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Collector() { ::close(fd_); }
  int port() const { return port_; }
  std::string Receive() {
    char buf[70000];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

int64_t RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kb = 0;
      (void)absl::SimpleAtoi(line.substr(6, line.find(" kB") - 6), &kb);
      return kb;
    }
  }
  return 0;
}

TEST(StatsdReceiver, UdpAndUnixInForwardedByteForByte) {
  Collector upstream;
  std::string dir = corral::testing::MakeTempDir("statsd");
  StatsdOptions options;
  options.listen = {"127.0.0.1:0", "unix:" + dir + "/statsd.sock"};
  options.forward = absl::StrCat("127.0.0.1:", upstream.port());
  absl::StatusOr<std::unique_ptr<StatsdReceiver>> receiver = StatsdReceiver::Start(options);
  ASSERT_TRUE(receiver.ok()) << receiver.status();
  int port = (*receiver)->ports()[0];
  ASSERT_GT(port, 0);

  const std::string tagged = "web.gunicorn.request.duration:25.5|ms|#env:prod";
  SendUdp(port, tagged);
  EXPECT_EQ(upstream.Receive(), tagged);
  SendUnix(dir + "/statsd.sock", "gunicorn.requests:1|c|@1.0");
  EXPECT_EQ(upstream.Receive(), "gunicorn.requests:1|c|@1.0");
  SendUdp(port, "gunicorn.request.status.500:1|c|@1.0");
  SendUdp(port, "this is not statsd");
  EXPECT_EQ(upstream.Receive(), "gunicorn.request.status.500:1|c|@1.0");
  EXPECT_EQ(upstream.Receive(), "this is not statsd");  // relayed unchanged, counted as malformed here

  corral::v1::RequestStats stats;
  ASSERT_TRUE(WaitFor(
      [&] {
        stats = (*receiver)->Summarize();
        return stats.datagrams_total() == 4;
      },
      absl::Seconds(5)))
      << stats.DebugString();
  EXPECT_EQ(stats.malformed_total(), 1);
  EXPECT_EQ(stats.requests_total(), 1);
  EXPECT_NEAR(stats.latency_mean_ms(), 25.5, 1e-9);
  EXPECT_EQ(stats.responses_total().at("500"), 1);
  EXPECT_EQ(stats.forward_errors_total(), 0);
}

TEST(StatsdReceiver, AFloodOfAnythingCannotGrowMemory) {
#ifdef CORRAL_SANITIZE
  // AddressSanitizer keeps freed memory in quarantine, so resident memory
  // grows with every allocation, bounded or not.
  GTEST_SKIP() << "resident memory says nothing under AddressSanitizer";
#endif
  StatsdOptions options;
  options.listen = {"127.0.0.1:0"};
  absl::StatusOr<std::unique_ptr<StatsdReceiver>> receiver = StatsdReceiver::Start(options);
  ASSERT_TRUE(receiver.ok());
  // Every datagram a new metric name and status code, garbage in between.
  for (int i = 0; i < 2000; ++i) {
    (*receiver)->Handle("x", 1);
    std::string d = absl::StrCat("gunicorn.request.status.", 100 + i % 900, ":1|c\nunknown.metric.", i, ":1|c");
    (*receiver)->Handle(d.data(), d.size());
  }
  int64_t before = RssKb();
  for (int i = 0; i < 200000; ++i) {
    std::string d = absl::StrCat("gunicorn.request.status.", 100 + i % 900, ":1|c\nunknown.metric.", i,
                                 ":1|c\ngunicorn.request.duration:", i % 5000, "|ms");
    (*receiver)->Handle(d.data(), d.size());
    (*receiver)->Handle("\xff\xfe garbage", 10);
  }
  int64_t after = RssKb();
  EXPECT_LT(after - before, 1024) << "RSS grew from " << before << " to " << after << " kB";
  corral::v1::RequestStats stats = (*receiver)->Summarize();
  EXPECT_EQ(stats.responses_total_size(), 900);
  EXPECT_EQ(stats.datagrams_total(), 404000);
  EXPECT_EQ(stats.malformed_total(), 202000);
}

TEST(StatsdReceiver, AnAddressInUseIsNamed) {
  StatsdOptions first;
  first.listen = {"127.0.0.1:0"};
  auto a = StatsdReceiver::Start(first);
  ASSERT_TRUE(a.ok());
  StatsdOptions second;
  second.listen = {absl::StrCat("127.0.0.1:", (*a)->ports()[0])};
  auto b = StatsdReceiver::Start(second);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(),
            absl::StrCat("statsd listen 127.0.0.1:", (*a)->ports()[0], ": Address already in use"));
}

}  // namespace
}  // namespace corral::agent
