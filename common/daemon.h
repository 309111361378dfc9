// What corral-server and corral-agent both do at start: logs on stderr in
// one format, termination signals routed to a waiting thread, an optional
// bearer token.
#ifndef CORRAL_COMMON_DAEMON_H_
#define CORRAL_COMMON_DAEMON_H_

#include <signal.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace corral {

// "debug", "info", "warn" or "error"; anything else is an error naming it.
absl::Status CheckLogLevel(const std::string& level);

// The default logger, named `name`, writes to stderr at `level`; stdout
// stays free for what a caller may parse.
void SetUpLogging(const std::string& name, const std::string& level);

// Blocks SIGTERM and SIGINT in this thread and in every thread it creates
// afterwards; returns the set for one thread to sigwait() on.
sigset_t BlockTerminationSignals();

// The token in `path`, or nullopt when `path` is empty.
absl::StatusOr<std::optional<std::string>> ReadOptionalToken(const std::string& path);

}  // namespace corral

#endif  // CORRAL_COMMON_DAEMON_H_
