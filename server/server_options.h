// corral-server's flags (each also from the CORRAL_* variable of the same
// name), parsed into options. Pure, so usage errors are unit-tested.
#ifndef CORRAL_SERVER_SERVER_OPTIONS_H_
#define CORRAL_SERVER_SERVER_OPTIONS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_security.h"

namespace corral::server {

struct ServerOptions {
  std::vector<std::string> listen;  // "HOST:PORT" or "unix:PATH"
  // HOST:PORT for /metrics and /healthz; empty when turned off.
  std::string http;
  // HTTPS for --http when both are set.
  std::string http_tls_cert;
  std::string http_tls_key;
  std::string data_dir;
  // Expectations and history: an SQLite file (default DATA_DIR/corral.db)
  // or a postgresql:// URI (Store::Open).
  std::string database;
  absl::Duration history_retention = absl::Hours(24 * 30);
  absl::Duration expire = absl::Hours(1);
  absl::Duration agent_interval = absl::ZeroDuration();
  std::string token_file;
  TlsFiles tls;
  std::string log_level = "info";
  bool help = false;
};

// Parses args (after the program name). Errors name the flag.
absl::StatusOr<ServerOptions> ParseServerOptions(
    const std::vector<std::string>& args, const std::function<std::optional<std::string>(const std::string&)>& getenv);

std::string ServerHelp();

}  // namespace corral::server

#endif  // CORRAL_SERVER_SERVER_OPTIONS_H_
