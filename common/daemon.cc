#include "common/daemon.h"

#include <pthread.h>

#include "absl/strings/str_cat.h"
#include "common/grpc_security.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace corral {

absl::Status CheckLogLevel(const std::string& level) {
  if (level == "debug" || level == "info" || level == "warn" || level == "error") return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--log-level '", level, "' is not one of debug, info, warn, error"));
}

void SetUpLogging(const std::string& name, const std::string& level) {
  spdlog::set_default_logger(spdlog::stderr_color_mt(name));
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
}

sigset_t BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

absl::StatusOr<std::optional<std::string>> ReadOptionalToken(const std::string& path) {
  if (path.empty()) return std::optional<std::string>();
  absl::StatusOr<std::string> token = ReadTokenFile(path);
  if (!token.ok()) return token.status();
  return std::optional<std::string>(*std::move(token));
}

}  // namespace corral
