#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace corral::testing {

namespace {

// The test's environment with `overrides` replacing or adding variables.
std::vector<std::string> Environment(const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : overrides) replaced |= k == name;
    if (!replaced) env.push_back(std::move(entry));
  }
  for (const auto& [k, v] : overrides) env.push_back(k + "=" + v);
  return env;
}

}  // namespace

RunResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                     const std::string& cwd, absl::Duration timeout) {
  RunResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  std::vector<std::string> env_strings = Environment(env);
  // posix_spawn, not fork: forking a test or benchmark that holds a lot of
  // memory copies its page tables, which would be timed as the command's.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  int spawned = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    result.exit_code = 127;
    result.err = absl::StrCat("cannot run ", argv[0], ": ", std::strerror(spawned));
    return result;
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  absl::Time deadline = absl::Now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) {
      ::kill(-pid, SIGKILL);
      killed = true;
      break;
    }
    if (::poll(fds, 2, wait_ms) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buffer[65536];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::kill(-pid, SIGKILL);  // anything the command left in its group
  if (!killed && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::string SourceDir() { return CORRAL_SOURCE_DIR; }

std::string BinPath(const std::string& name) { return absl::StrCat(CORRAL_BIN_DIR, "/", name); }

namespace {

std::mutex made_dirs_mu;

std::vector<std::string>& MadeDirs() {
  static auto* dirs = new std::vector<std::string>();
  return *dirs;
}

// At exit, after every test and test environment is done: a run that
// passed leaves nothing behind (an image root is 160 MB); a failed one
// keeps its directories to look at, as does CORRAL_KEEP_TEST_DIRS=1.
void RemoveMadeDirs() {
  const char* keep = std::getenv("CORRAL_KEEP_TEST_DIRS");
  if ((keep != nullptr && std::string(keep) == "1") || !::testing::UnitTest::GetInstance()->Passed()) return;
  for (const std::string& dir : MadeDirs()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  std::string base = ::testing::TempDir();
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string pattern = absl::StrCat(base, "/", prefix, "XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  char* dir = ::mkdtemp(buffer.data());
  if (dir == nullptr) return "";
  std::lock_guard<std::mutex> lock(made_dirs_mu);
  static const bool registered = std::atexit(RemoveMadeDirs) == 0;
  (void)registered;
  MadeDirs().push_back(dir);
  return dir;
}

void ReleaseFifoReader(const std::string& path) {
  int writer = ::open(path.c_str(), O_WRONLY);
  if (writer >= 0) ::close(writer);
}

std::string ReadLog(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace corral::testing

namespace corral::testing {

std::unique_ptr<Process> Process::Start(const std::vector<std::string>& argv,
                                        const std::vector<std::pair<std::string, std::string>>& env,
                                        const std::string& log_path, const std::string& cwd) {
  auto p = std::unique_ptr<Process>(new Process());
  p->log_path_ = log_path;
  std::vector<std::string> env_strings = Environment(env);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (const std::string& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  p->pid_ = pid;
  return p;
}

void Process::Signal(int signal) const {
  if (!reaped_) ::kill(pid_, signal);
}

int Process::Wait(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (absl::Now() >= deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string Process::Log() const { return ReadLog(log_path_); }

std::vector<int> ChildrenOf(int pid) {
  std::vector<int> pids;
  for (absl::string_view p :
       absl::StrSplit(ReadLog(absl::StrCat("/proc/", pid, "/task/", pid, "/children")), ' ', absl::SkipWhitespace())) {
    int child = 0;
    if (absl::SimpleAtoi(p, &child)) pids.push_back(child);
  }
  return pids;
}

int CountOccurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

namespace {

// How long a child gets to exit after SIGTERM before SIGKILL. A sanitized
// child runs slower and checks for leaks on exit; killing it first would skip
// that check without a word.
#ifdef CORRAL_SANITIZE
constexpr absl::Duration kStopGrace = absl::Seconds(20);
#else
constexpr absl::Duration kStopGrace = absl::Seconds(3);
#endif

}  // namespace

Process::~Process() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  if (!reaped_ && Wait(kStopGrace) == -1) {
    ::kill(-pid_, SIGKILL);
    Wait(absl::Seconds(3));
  }
  ::kill(-pid_, SIGKILL);  // anything left in the group
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace corral::testing
