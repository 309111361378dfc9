// Gunicorn 25.1+'s control socket protocol (gunicorn/ctl/protocol.py):
// every message is a 4-byte big-endian length and that many bytes of JSON.
//   request:  {"id": 1, "command": "show config", "args": []}
//   response: {"id": 1, "status": "ok", "data": {...}}
//             {"id": 1, "status": "error", "error": "message"}
// Corral only ever sends `show` commands (config, all, stats): nothing that
// adds, removes, kills or reloads. Pure encoding and decoding; the socket
// I/O lives in agent/control_socket.
#ifndef CORRAL_GUNICORN_CONTROL_PROTOCOL_H_
#define CORRAL_GUNICORN_CONTROL_PROTOCOL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json_reader.h"

namespace corral::gunicorn {

// Replies larger than this are refused (Gunicorn allows 16 MiB; a `show`
// answer is a few KiB).
inline constexpr uint32_t kMaxControlReplyBytes = 1 << 20;

// The three read-only queries the agent sends, in order.
inline constexpr const char* kControlQueries[] = {"show config", "show all", "show stats"};

// A framed request. `command` must start with "show ": anything else is
// refused (InvalidArgument), so no caller can make the agent change a
// master.
absl::StatusOr<std::string> EncodeControlRequest(int id, absl::string_view command);

// The payload length a 4-byte header announces; OutOfRange above `cap`.
absl::StatusOr<uint32_t> DecodeControlFrameLength(absl::string_view header, uint32_t cap = kMaxControlReplyBytes);

// The `data` of a response to request `id`. An "error" status, another id
// or a malformed document is an error that says which.
absl::StatusOr<Json> ParseControlReply(absl::string_view payload, int id);

// What a master said about itself.
struct ControlAnswers {
  // `show config`: settings as snapshots show values ("3", "true",
  // "127.0.0.1:8000,[::1]:8000", "" for None), keyed by setting name.
  // worker_class is Corral's short name ("sync", "gthread", or the class
  // path for classes Gunicorn does not ship). proc_name is left out: the
  // socket reports the process title's name, which is the app URI when the
  // setting is unset.
  std::map<std::string, std::string> settings;
  // `show all`: pids in the master's PID namespace.
  std::vector<int> web_worker_pids;
  std::optional<int> dirty_arbiter_pid;
  std::vector<int> dirty_worker_pids;
  // `show stats`: the master's current worker target (TTIN/TTOU move it).
  std::optional<int64_t> workers_target;
};

// Reads the three answers (any may be null when that query failed).
// Values of unexpected types are skipped rather than guessed; `problems`
// receives a line for each.
ControlAnswers ReadControlAnswers(const Json* config, const Json* all, const Json* stats,
                                  std::vector<std::string>* problems);

// Gunicorn's worker class as the socket reports it ("<class
// 'gunicorn.workers.sync.SyncWorker'>") -> the name users write ("sync").
std::string WorkerClassName(absl::string_view reported);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_CONTROL_PROTOCOL_H_
