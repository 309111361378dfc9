#include "agent/statsd_receiver.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/statsd.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

constexpr size_t kMaxDatagram = 65536;

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// A datagram socket bound (listen) or connected (forward) to `address`.
absl::StatusOr<int> DatagramSocket(const std::string& address, bool bind_it, int* port) {
  if (absl::StartsWith(address, "unix:")) {
    std::string path = address.substr(5);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(sun.sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat(address, ": not a usable socket path"));
    }
    std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Errno(address);
    int rc;
    if (bind_it) {
      ::unlink(path.c_str());
      rc = ::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun));
      // Gunicorn may run as another user than the agent.
      if (rc == 0) ::chmod(path.c_str(), 0666);
    } else {
      rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun));
    }
    if (rc != 0) {
      absl::Status s = Errno(address);
      ::close(fd);
      return s;
    }
    if (port != nullptr) *port = 0;
    return fd;
  }
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError(absl::StrCat(address, ": not HOST:PORT"));
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::string service = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = bind_it ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  int gai = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (gai != 0) return absl::InvalidArgumentError(absl::StrCat(address, ": ", ::gai_strerror(gai)));
  absl::Status last = absl::UnavailableError(absl::StrCat(address, ": no address"));
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = bind_it ? ::bind(fd, a->ai_addr, a->ai_addrlen) : ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0) {
      last = Errno(address);
      ::close(fd);
      continue;
    }
    if (bind_it && port != nullptr) {
      sockaddr_storage bound{};
      socklen_t len = sizeof(bound);
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      *port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      // Bursts of requests make bursts of datagrams.
      int size = 4 << 20;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
    ::freeaddrinfo(found);
    return fd;
  }
  ::freeaddrinfo(found);
  return last;
}

}  // namespace

StatsdReceiver::StatsdReceiver(StatsdOptions options) : options_(std::move(options)), window_(options_.now()) {}

absl::StatusOr<std::unique_ptr<StatsdReceiver>> StatsdReceiver::Start(StatsdOptions options) {
  std::unique_ptr<StatsdReceiver> r(new StatsdReceiver(std::move(options)));
  for (const std::string& address : r->options_.listen) {
    int port = 0;
    absl::StatusOr<int> fd = DatagramSocket(address, /*bind_it=*/true, &port);
    if (!fd.ok()) return absl::Status(fd.status().code(), absl::StrCat("statsd listen ", fd.status().message()));
    r->fds_.push_back(*fd);
    r->ports_.push_back(port);
    if (absl::StartsWith(address, "unix:")) r->unix_paths_.push_back(address.substr(5));
  }
  if (!r->options_.forward.empty()) {
    absl::StatusOr<int> fd = DatagramSocket(r->options_.forward, /*bind_it=*/false, nullptr);
    if (!fd.ok()) return absl::Status(fd.status().code(), absl::StrCat("statsd forward ", fd.status().message()));
    r->forward_fd_ = *fd;
  }
  // Stopping writes to this pipe, so the thread sleeps in poll() until a
  // datagram or the stop arrives, without waking up to check a flag.
  if (::pipe2(r->stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) return Errno("statsd: pipe");
  r->thread_ = std::thread([raw = r.get()] { raw->Loop(); });
  return r;
}

StatsdReceiver::~StatsdReceiver() {
  stop_.store(true);
  if (stop_pipe_[1] >= 0) (void)!::write(stop_pipe_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  for (int fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
  }
  for (int fd : fds_) ::close(fd);
  if (forward_fd_ >= 0) ::close(forward_fd_);
  for (const std::string& path : unix_paths_) ::unlink(path.c_str());
}

void StatsdReceiver::Handle(const char* data, size_t size) {
  if (forward_fd_ >= 0 && ::send(forward_fd_, data, size, MSG_DONTWAIT) != static_cast<ssize_t>(size)) {
    absl::MutexLock lock(&mu_);
    window_.CountForwardError();
  }
  int malformed = 0;
  std::vector<StatsdMetric> metrics = ParseStatsdDatagram(absl::string_view(data, size), &malformed);
  absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  window_.CountDatagram(malformed);
  for (const StatsdMetric& m : metrics) window_.Add(m, now);
}

void StatsdReceiver::Loop() {
  std::vector<pollfd> polls;
  for (int fd : fds_) polls.push_back({fd, POLLIN, 0});
  polls.push_back({stop_pipe_[0], POLLIN, 0});
  std::vector<char> buffer(kMaxDatagram);
  while (!stop_.load()) {
    int ready = ::poll(polls.data(), polls.size(), -1);
    if (ready <= 0) continue;
    for (pollfd& p : polls) {
      if (!(p.revents & POLLIN) || p.fd == stop_pipe_[0]) continue;
      // Drain what is queued; a datagram longer than the buffer is cut and
      // then fails to parse, which counts it as malformed.
      for (int i = 0; i < 1024; ++i) {
        ssize_t n = ::recv(p.fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0) break;
        Handle(buffer.data(), static_cast<size_t>(n));
      }
    }
  }
}

corral::v1::RequestStats StatsdReceiver::Summarize() {
  absl::MutexLock lock(&mu_);
  return window_.Summarize(options_.now());
}

}  // namespace corral::agent
