// corral-server whose data directory fills up: a 16 MB tmpfs in a private
// mount namespace, filled by a file the test writes while agents keep the
// history busy. The server keeps answering and receiving reports, says so
// once in its log, and once the filler is deleted it stores what it kept
// in memory meanwhile; nothing stored before is lost.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "corral/v1/fleet.grpc.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/chaos/chaos_support.h"
#include "tests/support/simulated_agents.h"
#include "tests/support/subprocess.h"

namespace corral::testing {
namespace {

constexpr int kAgents = 100;

// Writes `path` until the file system is full; the bytes written.
int64_t FillUp(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  std::string chunk(64 << 10, 'x');
  int64_t written = 0;
  while (true) {
    ssize_t n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    written += n;
  }
  // Page by page for what is left of the last chunk.
  while (::write(fd, chunk.data(), 4096) > 0) written += 4096;
  ::close(fd);
  return written;
}

// What an event says, without its id: an event watchers got before it was
// stored is found by this once it is.
std::string Content(corral::v1::Event e) {
  e.set_id(0);
  return e.SerializeAsString();
}

TEST(DiskFullChaos, TheServerKeepsServingLogsOnceAndStoresWhatItKeptWhenSpaceReturns) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs in a private mount namespace needs root";
  std::string dir = MakeTempDir("diskfull");
  std::string data = dir + "/data";
  WriteFile(data + "/.keep", "");
  ::unlink((data + "/.keep").c_str());
  int port = FreePort();
  std::string address = absl::StrCat("127.0.0.1:", port);
  // unshare execs the shell, which execs the server: one pid throughout,
  // and the tmpfs goes away with the namespace when the server exits.
  auto server =
      Process::Start({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                      "mount -t tmpfs -o size=16m corral-chaos \"$0\" && exec \"$@\"", data, BinPath("corral-server"),
                      "--listen", address, "--data-dir", data, "--http", "127.0.0.1:0"},
                     {}, dir + "/server.log");
  bool up = WaitFor([&] { return absl::StrContains(server->Log(), "listening on " + address); }, absl::Seconds(10));
  if (!up && absl::StrContains(server->Log(), "mount")) GTEST_SKIP() << "cannot mount a tmpfs: " << server->Log();
  ASSERT_TRUE(up) << server->Log();
  // The server's data directory as the test sees it: through the server's
  // own mount namespace.
  std::string tmpfs = absl::StrCat("/proc/", server->pid(), "/root", data);
  struct statfs fs;
  ASSERT_EQ(::statfs(tmpfs.c_str(), &fs), 0) << tmpfs;
  ASSERT_EQ(fs.f_type, static_cast<decltype(fs.f_type)>(TMPFS_MAGIC));

  FlappingFleet fleet(kAgents, 10, 10, absl::Milliseconds(500));
  SimulatedAgentsOptions options;
  options.address = address;
  options.agents = kAgents;
  options.interval = absl::Milliseconds(500);
  options.connections = 4;
  options.message = [&fleet](int agent, int64_t sequence, bool first) { return fleet.Message(agent, sequence, first); };
  SimulatedAgents agents(options);
  ASSERT_TRUE(WaitFor([&] { return agents.connected() == kAgents; }, absl::Seconds(20))) << server->Log();
  Watcher watcher(address);
  std::vector<corral::v1::Event> before;
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<std::vector<corral::v1::Event>> h = ReadHistory(address);
        if (h.ok()) before = *h;
        return CountKind(before, "workers_changed") >= 20;
      },
      absl::Seconds(20)));

  int64_t filled = FillUp(tmpfs + "/filler");
  ASSERT_GT(filled, 0);
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(server->Log(), "history: cannot store events: store "); },
                      absl::Seconds(20)))
      << "the history was still written after filling " << filled << " bytes\n"
      << server->Log();
  // While full: reports keep arriving, and queries are answered.
  auto fleet_stub = corral::v1::Fleet::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auto report_time = [&](const std::string& instance) -> int64_t {
    grpc::ClientContext context;
    corral::v1::InstancesRequest request;
    corral::v1::InstanceList list;
    if (!fleet_stub->ListInstances(&context, request, &list).ok()) return -1;
    for (const auto& i : list.instances()) {
      if (i.instance() == instance) return i.last_report_unix_ms();
    }
    return -1;
  };
  int64_t first_report = report_time("i-0");
  absl::SleepFor(absl::Seconds(3));
  EXPECT_GT(report_time("i-0"), first_report);
  {
    grpc::ClientContext context;
    corral::v1::FleetStatus status;
    ASSERT_TRUE(fleet_stub->GetFleetStatus(&context, {}, &status).ok());
    EXPECT_EQ(status.services_size(), kAgents / 10);
    for (const auto& s : status.services()) EXPECT_EQ(s.replicas_online(), 10) << s.service();
  }
  absl::StatusOr<std::vector<corral::v1::Event>> during = ReadHistory(address);
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_GE(during->size(), before.size());
  std::vector<corral::v1::Event> unstored;
  for (const corral::v1::Event& e : watcher.Events()) {
    if (e.id() == 0) unstored.push_back(e);
  }
  ASSERT_GT(unstored.size(), 20u) << "watchers got no events the full disk kept from the file";

  ASSERT_EQ(::unlink((tmpfs + "/filler").c_str()), 0);
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(server->Log(), "can be written again"); }, absl::Seconds(10)))
      << server->Log();
  // Stored again as they happen: the watcher gets events with ids.
  size_t seen = watcher.Events().size();
  ASSERT_TRUE(WaitFor(
      [&] {
        std::vector<corral::v1::Event> now = watcher.Events();
        for (size_t i = seen; i < now.size(); ++i) {
          if (now[i].id() != 0) return true;
        }
        return false;
      },
      absl::Seconds(10)));
  agents.Stop();
  watcher.Stop();
  absl::StatusOr<std::vector<corral::v1::Event>> after = ReadHistory(address);
  ASSERT_TRUE(after.ok()) << after.status();

  std::map<int64_t, corral::v1::Event> stored = ById(*after);
  for (const corral::v1::Event& e : before) {
    auto found = stored.find(e.id());
    ASSERT_NE(found, stored.end()) << "lost: " << e.ShortDebugString();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(found->second, e)) << e.ShortDebugString();
  }
  std::multiset<std::string> contents;
  for (const corral::v1::Event& e : *after) contents.insert(Content(e));
  int missing = 0;
  for (const corral::v1::Event& e : watcher.Events()) {
    auto found = contents.find(Content(e));
    if (found == contents.end()) {
      if (++missing <= 5) ADD_FAILURE() << "watched but never stored: " << e.ShortDebugString();
      continue;
    }
    contents.erase(found);
  }
  EXPECT_EQ(missing, 0) << "of " << watcher.Events().size() << " events watched, " << unstored.size()
                        << " of them while the disk was full";
  EXPECT_TRUE(FindingsOutOfTurn(*after).empty());

  std::string log = server->Log();
  EXPECT_EQ(CountOccurrences(log, "history: cannot store events: store "), 1) << log;
  EXPECT_EQ(CountOccurrences(log, "can be written again"), 1) << log;
  EXPECT_EQ(CountOccurrences(log, " error "), 1) << log;
}

}  // namespace
}  // namespace corral::testing
