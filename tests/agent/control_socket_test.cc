#include "agent/control_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace corral::agent {
namespace {

TEST(ControlSocketCandidates, PrefersTheSettingThenTheCtlName) {
  std::vector<std::string> fds = {"socket:[15112]", "socket:[12077]", "socket:[12079]", "/dev/null"};
  std::string net_unix =
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "a: 00000002 00000000 00010000 0001 01 15115 /tmp/gunicorn-dirty-x/arbiter.sock\n"  // not the master's
      "b: 00000002 00000000 00010000 0001 01 12079 /root/.gunicorn/gunicorn.ctl\n"
      "c: 00000002 00000000 00010000 0001 01 15112 /run/app.sock\n"
      "d: 00000003 00000000 00000000 0001 03 12077\n";
  ControlSocketHints hints;
  EXPECT_EQ(ControlSocketCandidates(fds, net_unix, hints), std::vector<std::string>{"/root/.gunicorn/gunicorn.ctl"});
  // Set to another name, the setting decides; the HTTP listener is left out
  // because bind names it.
  hints.setting = "ctl/admin.sock";
  hints.cwd = "/srv";
  hints.bind_paths = std::vector<std::string>{"/run/app.sock"};
  std::string with_admin = net_unix + "e: 00000002 00000000 00010000 0001 01 99 /srv/ctl/admin.sock\n";
  fds.push_back("socket:[99]");
  EXPECT_EQ(ControlSocketCandidates(fds, with_admin, hints),
            (std::vector<std::string>{"/srv/ctl/admin.sock", "/root/.gunicorn/gunicorn.ctl"}));
}

TEST(ControlSocketCandidates, AnUnnamedListenerOnlyWhenNothingElseCanBe) {
  std::vector<std::string> fds = {"socket:[1]", "socket:[2]"};
  std::string net_unix =
      "Num RefCount Protocol Flags Type St Inode Path\n"
      "a: 00000002 00000000 00010000 0001 01 1 /run/app.sock\n"
      "b: 00000002 00000000 00010000 0001 01 2 /run/admin\n";
  ControlSocketHints hints;
  // bind unknown: /run/app.sock could be the control socket or an HTTP
  // listener, and nothing is sent to an HTTP listener.
  EXPECT_TRUE(ControlSocketCandidates(fds, net_unix, hints).empty());
  hints.bind_paths = std::vector<std::string>{"/run/app.sock"};
  EXPECT_EQ(ControlSocketCandidates(fds, net_unix, hints), std::vector<std::string>{"/run/admin"});
}

// A unix socket in a temporary directory served by a scripted peer: what a
// master would answer, garbage, silence or too much.
class ScriptedSocket {
 public:
  using Script = std::function<void(int client)>;

  explicit ScriptedSocket(Script script) : script_(std::move(script)) {
    char dir_template[] = "/tmp/corral-ctl-XXXXXX";
    dir_ = ::mkdtemp(dir_template);
    path_ = dir_ + "/gunicorn.ctl";
    listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr;
    std::memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    EXPECT_EQ(::bind(listener_, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    thread_ = std::thread([this] {
      while (!stop_) {
        int client = ::accept(listener_, nullptr, nullptr);
        if (client < 0) return;
        if (!stop_) script_(client);
        ::close(client);
      }
    });
  }

  ~ScriptedSocket() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  const std::string& path() const { return path_; }

 private:
  Script script_;
  std::string dir_;
  std::string path_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string Frame(const std::string& payload) {
  std::string frame(4, '\0');
  uint32_t n = static_cast<uint32_t>(payload.size());
  frame[0] = static_cast<char>(n >> 24);
  frame[1] = static_cast<char>(n >> 16);
  frame[2] = static_cast<char>(n >> 8);
  frame[3] = static_cast<char>(n);
  return frame + payload;
}

// Reads one request frame; returns its JSON.
std::string ReadRequest(int fd) {
  char header[4];
  if (::recv(fd, header, 4, MSG_WAITALL) != 4) return "";
  uint32_t n = (static_cast<uint8_t>(header[0]) << 24) | (static_cast<uint8_t>(header[1]) << 16) |
               (static_cast<uint8_t>(header[2]) << 8) | static_cast<uint8_t>(header[3]);
  std::string body(n, '\0');
  if (::recv(fd, body.data(), n, MSG_WAITALL) != static_cast<ssize_t>(n)) return "";
  return body;
}

void Send(int fd, const std::string& bytes) { (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

ProcReader Self() { return ProcReader("/proc"); }

TEST(QueryControlSocket, AsksOnlyShowCommandsAndReadsTheAnswers) {
  std::vector<std::string> requests;
  ScriptedSocket peer([&](int fd) {
    for (int id = 1; id <= 3; ++id) {
      requests.push_back(ReadRequest(fd));
      std::string data = id == 1   ? R"({"workers": 3, "timeout": 120, "preload_app": true})"
                         : id == 2 ? R"({"web_workers": [{"pid": 7}, {"pid": 8}, {"pid": 9}]})"
                                   : R"({"workers_target": 3})";
      Send(fd, Frame(absl::StrCat(R"({"id": )", id, R"(, "status": "ok", "data": )", data, "}")));
    }
  });
  std::vector<std::string> problems;
  absl::StatusOr<gunicorn::ControlAnswers> answers =
      QueryControlSocket(Self(), ::getpid(), peer.path(), absl::Seconds(5), &problems);
  ASSERT_TRUE(answers.ok()) << answers.status();
  EXPECT_EQ(requests, (std::vector<std::string>{R"({"id": 1, "command": "show config", "args": []})",
                                                R"({"id": 2, "command": "show all", "args": []})",
                                                R"({"id": 3, "command": "show stats", "args": []})"}));
  EXPECT_EQ(answers->settings.at("timeout"), "120");
  EXPECT_EQ(answers->settings.at("preload_app"), "true");
  EXPECT_EQ(answers->web_worker_pids, (std::vector<int>{7, 8, 9}));
  EXPECT_EQ(answers->workers_target, 3);
  EXPECT_TRUE(problems.empty());
}

TEST(QueryControlSocket, AQueryGunicornRefusesLeavesItsPartEmpty) {
  ScriptedSocket peer([&](int fd) {
    for (int id = 1; id <= 3; ++id) {
      ReadRequest(fd);
      Send(fd, Frame(id == 2 ? R"({"id": 2, "status": "error", "error": "Unknown show target: all"})"
                             : absl::StrCat(R"({"id": )", id, R"(, "status": "ok", "data": {"workers": 2}})")));
    }
  });
  std::vector<std::string> problems;
  absl::StatusOr<gunicorn::ControlAnswers> answers =
      QueryControlSocket(Self(), ::getpid(), peer.path(), absl::Seconds(5), &problems);
  ASSERT_TRUE(answers.ok()) << answers.status();
  EXPECT_EQ(answers->settings.at("workers"), "2");
  EXPECT_TRUE(answers->web_worker_pids.empty());
  EXPECT_EQ(problems, std::vector<std::string>{"show all: Gunicorn answered: Unknown show target: all"});
}

TEST(QueryControlSocket, GarbageIsAnErrorNotACrash) {
  ScriptedSocket peer([&](int fd) {
    ReadRequest(fd);
    Send(fd, "HTTP/1.1 400 Bad Request\r\n\r\n");
  });
  absl::StatusOr<gunicorn::ControlAnswers> answers =
      QueryControlSocket(Self(), ::getpid(), peer.path(), absl::Seconds(5), nullptr);
  ASSERT_FALSE(answers.ok());
  // "HTTP" read as a length is over the cap.
  EXPECT_TRUE(absl::IsOutOfRange(answers.status())) << answers.status();
}

TEST(QueryControlSocket, ASilentPeerIsBoundedByTheDeadline) {
  std::atomic<bool> release{false};
  ScriptedSocket peer([&](int fd) {
    ReadRequest(fd);
    while (!release) absl::SleepFor(absl::Milliseconds(5));
  });
  absl::StatusOr<gunicorn::ControlAnswers> answers =
      QueryControlSocket(Self(), ::getpid(), peer.path(), absl::Milliseconds(200), nullptr);
  release = true;
  ASSERT_FALSE(answers.ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(answers.status())) << answers.status();
  EXPECT_EQ(answers.status().message(), "no answer in time (reading)");
}

TEST(QueryControlSocket, AReplyOverTheCapIsRefusedUnread) {
  ScriptedSocket peer([&](int fd) {
    ReadRequest(fd);
    Send(fd, std::string("\x01\x00\x00\x00", 4));  // 16 MiB announced
  });
  absl::StatusOr<gunicorn::ControlAnswers> answers =
      QueryControlSocket(Self(), ::getpid(), peer.path(), absl::Seconds(5), nullptr);
  EXPECT_TRUE(absl::IsOutOfRange(answers.status())) << answers.status();
}

TEST(QueryControlSocket, ASocketAnotherProcessListensOnIsNotThisMastersAnswer) {
  // Masters sharing the default path: the last one started owns it.
  ScriptedSocket peer([&](int fd) { ReadRequest(fd); });
  int other_master = ::getppid();
  absl::StatusOr<gunicorn::ControlAnswers> answers =
      QueryControlSocket(Self(), other_master, peer.path(), absl::Seconds(5), nullptr);
  ASSERT_TRUE(absl::IsFailedPrecondition(answers.status())) << answers.status();
  EXPECT_EQ(answers.status().message(),
            absl::StrCat(peer.path(), " belongs to process ", ::getpid(), ", not to master ", other_master,
                         ": several masters share that path, and only the last one started is reachable there; "
                         "give each its own --control-socket"));
}

TEST(QueryControlSocket, NothingListeningIsUnavailable) {
  absl::StatusOr<gunicorn::ControlAnswers> answers =
      QueryControlSocket(Self(), ::getpid(), "/tmp/corral-no-such-dir/gunicorn.ctl", absl::Seconds(1), nullptr);
  EXPECT_TRUE(absl::IsNotFound(answers.status())) << answers.status();
}

}  // namespace
}  // namespace corral::agent
