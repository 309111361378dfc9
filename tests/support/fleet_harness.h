// A real fleet for end-to-end tests: corral-server, and "containers" --
// PID, mount and network namespaces made with unshare, each running
// Debian's Gunicorn and a corral-agent that reports over a unix socket.
#ifndef CORRAL_TESTS_SUPPORT_FLEET_HARNESS_H_
#define CORRAL_TESTS_SUPPORT_FLEET_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/support/subprocess.h"

namespace corral::testing {

class ServerProcess {
 public:
  // Starts corral-server on 127.0.0.1:`port` (0: a free one) and a unix
  // socket in `dir`, with `extra` flags; waits until it listens.
  static std::unique_ptr<ServerProcess> Start(const std::string& dir, std::vector<std::string> extra = {},
                                              int port = 0);
  const std::string& address() const { return address_; }
  std::string unix_target() const { return "unix:" + socket_; }
  int port() const { return port_; }
  // HOST:PORT of /metrics and /healthz ("" when turned off).
  const std::string& http_address() const { return http_address_; }
  Process& process() { return *process_; }

 private:
  std::unique_ptr<Process> process_;
  std::string address_;
  std::string socket_;
  std::string http_address_;
  int port_ = 0;
};

struct ContainerOptions {
  std::string service;
  std::string instance;
  std::vector<std::string> gunicorn_args;
  std::string server;  // the agent's --server
  std::string interval = "500ms";
  std::vector<std::string> agent_args;
};

class Container {
 public:
  static std::unique_ptr<Container> Start(const std::string& dir, const ContainerOptions& options);
  ~Container();

  // Pids in the test's namespace, once they exist (0 before).
  int gunicorn_master() const;
  int agent() const;
  // Waits until the master has `n` workers.
  bool WaitForWorkers(int n, absl::Duration timeout) const;

 private:
  std::unique_ptr<Process> process_;  // unshare
};

// The incident's two Gunicorn command lines: what examples/incident's
// Dockerfile.dev declares, and what the stale image runs.
inline const std::vector<std::string> kDeclaredArgs = {"--workers", "3",      "--timeout",    "120",
                                                       "--preload", "--bind", "0.0.0.0:8000", "wsgi:application"};
inline const std::vector<std::string> kStaleArgs = {"--workers", "1", "--bind", "0.0.0.0:8000", "--reload", "app:app"};

// The incident's api-backend reporting to `server` every 500ms:
// replica-1 and replica-2 run kDeclaredArgs, replica-3 kStaleArgs. Returns
// once all three are online and the good ones have their workers; an empty
// fleet (and a test failure) when they do not come up.
// `agent_args` go to every agent (and the readiness check's `corral`, e.g.
// --token-file).
std::vector<std::unique_ptr<Container>> StartIncidentFleet(const std::string& dir, const ServerProcess& server,
                                                           const std::vector<std::string>& agent_args = {});

// `corral ARGS --server ADDRESS`, as a subprocess.
RunResult Corral(const std::vector<std::string>& args, const std::string& server);

// Instances whose state is "online" in `corral instances --json`.
int OnlineInstances(const std::string& server, const std::vector<std::string>& extra = {});
// The state of one instance ("" when absent).
std::string InstanceState(const std::string& server, const std::string& instance);

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_FLEET_HARNESS_H_
