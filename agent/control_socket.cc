#include "agent/control_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/procfs.h"
#include "common/path_util.h"

namespace corral::agent {
namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Resolve(const std::string& path, const std::string& cwd) {
  std::string joined = JoinPath(cwd, path);
  return joined.empty() ? "" : NormalizePath(joined);
}

// Waits until `fd` is ready for `events` or the deadline passes.
absl::Status WaitFor(int fd, short events, absl::Time deadline, absl::string_view what) {
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration())
      return absl::DeadlineExceededError(absl::StrCat("no answer in time (", what, ")"));
    struct pollfd p = {fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(left))));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "poll");
    if (n > 0) return absl::OkStatus();
  }
}

absl::Status WriteAll(int fd, absl::string_view data, absl::Time deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      absl::Status ready = WaitFor(fd, POLLOUT, deadline, "sending");
      if (!ready.ok()) return ready;
      continue;
    }
    return absl::ErrnoToStatus(errno, "send");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadExactly(int fd, size_t size, absl::Time deadline) {
  std::string out;
  out.resize(size);
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::recv(fd, out.data() + got, size - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return absl::UnavailableError("the master closed the connection mid-reply");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      absl::Status ready = WaitFor(fd, POLLIN, deadline, "reading");
      if (!ready.ok()) return ready;
      continue;
    }
    return absl::ErrnoToStatus(errno, "recv");
  }
  return out;
}

// Connects to `path` as master `pid` sees it. sun_path holds 108 bytes, too
// few for /proc/PID/root/...: the directory is opened first and the socket
// reached through /proc/self/fd/N/NAME.
absl::StatusOr<int> Connect(const ProcReader& reader, int pid, const std::string& path) {
  std::string dir = Dirname(path);
  std::string name(Basename(path));
  if (dir.empty() || name.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " is not an absolute path"));
  Fd dir_fd(::open(reader.PathAsProcess(pid, dir).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return absl::ErrnoToStatus(errno, dir);
  std::string via = absl::StrCat("/proc/self/fd/", dir_fd.get(), "/", name);
  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (via.size() >= sizeof(addr.sun_path)) return absl::InvalidArgumentError(absl::StrCat(name, ": name too long"));
  std::memcpy(addr.sun_path, via.data(), via.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ErrnoToStatus(errno, "socket");
  if (::connect(fd, reinterpret_cast<const struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EAGAIN) return absl::UnavailableError(absl::StrCat(path, ": the listen backlog is full"));
    if (err == ECONNREFUSED) return absl::UnavailableError(absl::StrCat(path, ": nothing listens there"));
    return absl::ErrnoToStatus(err, path);
  }
  // Masters that share a path (the default ~/.gunicorn/gunicorn.ctl of one
  // user) each rebind it: the path reaches the one that started last. The
  // listener's credentials tell whose socket answered.
  struct ucred peer;
  socklen_t length = sizeof(peer);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0 && peer.pid != pid && peer.pid != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, " belongs to process ", peer.pid, ", not to master ", pid,
                     ": several masters share that path, and only the last one started is reachable there; give "
                     "each its own --control-socket"));
  }
  return fd;
}

// One connection, every query in order.
absl::StatusOr<gunicorn::ControlAnswers> QueryOnce(const ProcReader& reader, int pid, const std::string& path,
                                                   absl::Time deadline, std::vector<std::string>* problems) {
  absl::StatusOr<int> connected = Connect(reader, pid, path);
  if (!connected.ok()) return connected.status();
  Fd fd(*connected);
  std::vector<std::optional<Json>> data;
  int id = 0;
  for (const char* query : gunicorn::kControlQueries) {
    ++id;
    absl::StatusOr<std::string> request = gunicorn::EncodeControlRequest(id, query);
    if (!request.ok()) return request.status();
    absl::Status sent = WriteAll(fd.get(), *request, deadline);
    if (!sent.ok()) return sent;
    absl::StatusOr<std::string> header = ReadExactly(fd.get(), 4, deadline);
    if (!header.ok()) return header.status();
    absl::StatusOr<uint32_t> size = gunicorn::DecodeControlFrameLength(*header);
    if (!size.ok()) return size.status();
    absl::StatusOr<std::string> payload = ReadExactly(fd.get(), *size, deadline);
    if (!payload.ok()) return payload.status();
    absl::StatusOr<Json> reply = gunicorn::ParseControlReply(*payload, id);
    if (absl::IsFailedPrecondition(reply.status())) {
      // Gunicorn refused this one query (an older release without it).
      if (problems) problems->push_back(absl::StrCat(query, ": ", reply.status().message()));
      data.emplace_back(std::nullopt);
      continue;
    }
    if (!reply.ok()) return absl::Status(reply.status().code(), absl::StrCat(query, ": ", reply.status().message()));
    data.emplace_back(*std::move(reply));
  }
  auto at = [&](size_t i) -> const Json* { return i < data.size() && data[i] ? &*data[i] : nullptr; };
  return gunicorn::ReadControlAnswers(at(0), at(1), at(2), problems);
}

}  // namespace

std::vector<std::string> ControlSocketCandidates(const std::vector<std::string>& fd_targets, absl::string_view net_unix,
                                                 const ControlSocketHints& hints) {
  absl::flat_hash_set<uint64_t> held;
  for (const std::string& target : fd_targets) {
    if (std::optional<uint64_t> inode = SocketInode(target)) held.insert(*inode);
  }
  std::string wanted = hints.setting ? Resolve(*hints.setting, hints.cwd) : "";
  std::vector<std::string> exact;
  std::vector<std::string> named_ctl;
  std::vector<std::string> others;
  for (const UnixSocketEntry& s : ParseUnixSockets(net_unix)) {
    if (!s.listening || s.path.empty() || s.path[0] != '/' || !held.contains(s.inode)) continue;
    if (hints.bind_paths &&
        std::find(hints.bind_paths->begin(), hints.bind_paths->end(), s.path) != hints.bind_paths->end()) {
      continue;  // one of Gunicorn's HTTP listeners
    }
    if (!wanted.empty() && s.path == wanted) {
      exact.push_back(s.path);
    } else if (absl::EndsWith(s.path, ".ctl")) {
      named_ctl.push_back(s.path);
    } else {
      others.push_back(s.path);
    }
  }
  std::vector<std::string> out = exact;
  out.insert(out.end(), named_ctl.begin(), named_ctl.end());
  // Another listening socket is the control socket only when nothing else
  // can be: the bind setting accounts for every HTTP listener and the
  // control_socket setting is unknown.
  if (out.empty() && hints.bind_paths && !hints.setting && others.size() == 1) out.push_back(others.front());
  return out;
}

std::optional<FoundControlSocket> FindControlSocket(const ProcReader& reader, int pid,
                                                    const ControlSocketHints& hints) {
  absl::StatusOr<std::vector<OpenFile>> open = reader.ListOpenFiles(pid);
  absl::StatusOr<std::string> net_unix = reader.ReadPidFile(pid, "net/unix", 8 << 20);
  if (open.ok() && net_unix.ok()) {
    std::vector<std::string> targets;
    for (const OpenFile& f : *open) targets.push_back(f.target);
    std::vector<std::string> candidates = ControlSocketCandidates(targets, *net_unix, hints);
    if (candidates.empty()) return std::nullopt;
    return FoundControlSocket{candidates.front(), "listening socket"};
  }
  // The fd table is unreadable: try where the setting says it is.
  if (!hints.setting) return std::nullopt;
  std::string path = Resolve(*hints.setting, hints.cwd);
  struct stat st;
  if (path.empty() || ::stat(reader.PathAsProcess(pid, path).c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return std::nullopt;
  }
  return FoundControlSocket{path, "control_socket setting"};
}

absl::StatusOr<gunicorn::ControlAnswers> QueryControlSocket(const ProcReader& reader, int pid, const std::string& path,
                                                            absl::Duration deadline,
                                                            std::vector<std::string>* problems) {
  absl::Time until = absl::Now() + deadline;
  absl::StatusOr<gunicorn::ControlAnswers> answers = QueryOnce(reader, pid, path, until, problems);
  // Gunicorn stops its control server around every fork and starts it
  // again: a query that met that gap is tried once more.
  if (!answers.ok() && (absl::IsUnavailable(answers.status()) || absl::IsNotFound(answers.status())) &&
      absl::Now() + absl::Milliseconds(50) < until) {
    absl::SleepFor(absl::Milliseconds(20));
    if (problems) problems->clear();
    answers = QueryOnce(reader, pid, path, until, problems);
  }
  return answers;
}

}  // namespace corral::agent
