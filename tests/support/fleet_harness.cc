#include "tests/support/fleet_harness.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "corral/v1/fleet.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"

namespace corral::testing {
namespace {

// The child of the container's init whose argv mentions `needle`.
int FindInContainer(int unshare_pid, absl::string_view needle) {
  for (int init : ChildrenOf(unshare_pid)) {
    for (int child : ChildrenOf(init)) {
      if (absl::StrContains(ReadLog(absl::StrCat("/proc/", child, "/cmdline")), needle)) return child;
    }
  }
  return 0;
}

}  // namespace

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::string& dir, std::vector<std::string> extra, int port) {
  auto s = std::unique_ptr<ServerProcess>(new ServerProcess());
  s->port_ = port == 0 ? FreePort() : port;
  s->address_ = absl::StrCat("127.0.0.1:", s->port_);
  s->socket_ = dir + "/corral.sock";
  ::unlink(s->socket_.c_str());
  std::vector<std::string> argv = {BinPath("corral-server"), "--listen",   s->address_,  "--listen",
                                   "unix:" + s->socket_,     "--data-dir", dir + "/data"};
  // Tests run in parallel: /metrics goes to a free port unless a test
  // names one.
  if (std::find(extra.begin(), extra.end(), "--http") == extra.end()) {
    argv.push_back("--http");
    argv.push_back("127.0.0.1:0");
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  // The HTTP port opens before the gRPC ones: wait for both lines.
  auto http_flag = std::find(argv.begin(), argv.end(), "--http");
  bool serves_http = http_flag != argv.end() && std::next(http_flag) != argv.end() && *std::next(http_flag) != "off";
  std::string log = dir + "/server.log";
  ::unlink(log.c_str());  // a restart waits for its own "listening" line
  s->process_ = Process::Start(argv, {}, log);
  bool up = WaitFor(
      [&] {
        std::string text = ReadLog(log);
        return absl::StrContains(text, "listening on " + s->address_) && absl::StrContains(text, "unix:") &&
               (!serves_http || absl::StrContains(text, "/healthz on http"));
      },
      absl::Seconds(10));
  if (!up) ADD_FAILURE() << "corral-server did not start:\n" << ReadLog(log);
  std::string text = ReadLog(log);
  // "serving the fleet pages, /metrics and /healthz on http://HOST:PORT"
  // (or https://, and a note after a space).
  size_t at = text.find("/healthz on http");
  if (at != std::string::npos) at = text.find("://", at);
  if (at != std::string::npos) {
    at += 3;
    s->http_address_ = text.substr(at, text.find_first_of(" \n", at) - at);
  }
  return s;
}

std::unique_ptr<Container> Container::Start(const std::string& dir, const ContainerOptions& o) {
  // Every container sees its app at the same path, like an image's WORKDIR.
  std::string app = dir + "/" + o.instance;
  GunicornProcess::WriteApp(app);
  std::filesystem::create_directories(dir + "/workdir");
  std::string stub = dir + "/nospt";
  WriteFile(stub + "/setproctitle/__init__.py", "raise ImportError('not installed in this container')\n");
  std::vector<std::string> argv = {
      "/usr/bin/unshare",
      "--pid",
      "--fork",
      "--mount-proc",
      "--net",
      "--kill-child",
      "/bin/sh",
      "-c",
      "ip link set lo up; mount --bind \"$1\" \"$0\" && cd \"$0\"; shift; agent=\"$1\"; server=\"$2\"; service=\"$3\"; "
      "instance=\"$4\"; "
      "interval=\"$5\"; extra=\"$6\"; shift 6; "
      "/usr/bin/gunicorn \"$@\" & "
      "\"$agent\" --server \"$server\" --service \"$service\" --instance \"$instance\" --interval \"$interval\" "
      "$extra & wait",
      dir + "/workdir",
      app,
      BinPath("corral-agent"),
      o.server,
      o.service,
      o.instance,
      o.interval};
  std::string extra;
  for (const std::string& a : o.agent_args) extra += (extra.empty() ? "" : " ") + a;
  argv.push_back(extra);
  argv.insert(argv.end(), o.gunicorn_args.begin(), o.gunicorn_args.end());
  auto c = std::unique_ptr<Container>(new Container());
  c->process_ = Process::Start(argv, {{"PYTHONPATH", stub}}, dir + "/" + o.instance + ".log");
  return c;
}

Container::~Container() = default;

int Container::gunicorn_master() const { return FindInContainer(process_->pid(), "/usr/bin/gunicorn"); }
int Container::agent() const { return FindInContainer(process_->pid(), "corral-agent"); }

bool Container::WaitForWorkers(int n, absl::Duration timeout) const {
  return WaitFor(
      [&] {
        int master = gunicorn_master();
        return master > 0 && static_cast<int>(WorkerPids(master).size()) == n;
      },
      timeout);
}

std::vector<std::unique_ptr<Container>> StartIncidentFleet(const std::string& dir, const ServerProcess& server,
                                                           const std::vector<std::string>& agent_args) {
  std::vector<std::unique_ptr<Container>> fleet;
  for (const char* name : {"replica-1", "replica-2", "replica-3"}) {
    const std::vector<std::string>& args = std::string(name) == "replica-3" ? kStaleArgs : kDeclaredArgs;
    fleet.push_back(
        Container::Start(dir, ContainerOptions{"api-backend", name, args, server.unix_target(), "500ms", agent_args}));
  }
  bool up = WaitFor([&] { return OnlineInstances(server.address(), agent_args) == 3; }, absl::Seconds(30)) &&
            fleet[0]->WaitForWorkers(3, absl::Seconds(20)) && fleet[1]->WaitForWorkers(3, absl::Seconds(20));
  if (!up) {
    ADD_FAILURE() << "the incident's fleet did not come up:\n" << Corral({"instances"}, server.address()).out;
    fleet.clear();
  }
  return fleet;
}

RunResult Corral(const std::vector<std::string>& args, const std::string& server) {
  std::vector<std::string> argv = {BinPath("corral")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--server");
  argv.push_back(server);
  return RunCommand(argv, {}, "", absl::Seconds(20));
}

int OnlineInstances(const std::string& server, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"instances", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = Corral(args, server);
  corral::v1::InstanceList list;
  if (r.exit_code != 0 || !google::protobuf::util::JsonStringToMessage(r.out, &list).ok()) return -1;
  int online = 0;
  for (const auto& i : list.instances()) online += i.state() == "online";
  return online;
}

std::string InstanceState(const std::string& server, const std::string& instance) {
  RunResult r = Corral({"instances", "--json"}, server);
  corral::v1::InstanceList list;
  if (r.exit_code != 0 || !google::protobuf::util::JsonStringToMessage(r.out, &list).ok()) return "";
  for (const auto& i : list.instances()) {
    if (i.instance() == instance) return i.state();
  }
  return "";
}

}  // namespace corral::testing
