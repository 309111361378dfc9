// Finding and querying a Gunicorn 25.1+ master's control socket.
//
// Finding: the master's own listening unix sockets (its fd table matched
// against /proc/PID/net/unix) give the path; Gunicorn's HTTP listeners on
// unix sockets are told apart by the bind setting, the control socket by
// the control_socket setting or its ".ctl" name. When the fd table is
// unreadable, the control_socket setting (or its default) is tried.
//
// Querying: the path is the master's; the agent connects through
// /proc/PID/root (another mount namespace is fine), sends only `show`
// commands (gunicorn/control_protocol.h), under one deadline for the whole
// exchange and a cap on each reply.
#ifndef CORRAL_AGENT_CONTROL_SOCKET_H_
#define CORRAL_AGENT_CONTROL_SOCKET_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/proc_reader.h"
#include "gunicorn/control_protocol.h"

namespace corral::agent {

// What the reconstruction knows that helps find the socket.
struct ControlSocketHints {
  // The control_socket setting (absolute or relative to `cwd`), when known.
  std::optional<std::string> setting;
  // The bind setting's unix: paths, when bind is known; nullopt otherwise.
  std::optional<std::vector<std::string>> bind_paths;
  std::string cwd;
};

struct FoundControlSocket {
  // As the master sees it.
  std::string path;
  // "listening socket" or "control_socket setting".
  std::string found_by;
};

// The listening unix sockets of `pid` that could be its control socket,
// best first. Pure: `fd_targets` are the master's fd link targets,
// `net_unix` the content of /proc/PID/net/unix.
std::vector<std::string> ControlSocketCandidates(const std::vector<std::string>& fd_targets, absl::string_view net_unix,
                                                 const ControlSocketHints& hints);

// Finds master `pid`'s control socket, or nullopt.
std::optional<FoundControlSocket> FindControlSocket(const ProcReader& reader, int pid, const ControlSocketHints& hints);

// Sends the `show` queries to the socket at `path` (as master `pid` sees
// it) and reads the answers, all within `deadline`. A socket another
// process listens on (masters sharing one path) is FailedPrecondition. A query Gunicorn
// answers with an error leaves its part empty and is listed in `problems`;
// a socket that cannot be reached, answers garbage or too much, or does not
// answer in time is an error.
absl::StatusOr<gunicorn::ControlAnswers> QueryControlSocket(const ProcReader& reader, int pid, const std::string& path,
                                                            absl::Duration deadline,
                                                            std::vector<std::string>* problems);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_CONTROL_SOCKET_H_
