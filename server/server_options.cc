#include "server/server_options.h"

#include "absl/strings/str_cat.h"
#include "common/daemon.h"
#include "common/duration.h"
#include "common/flags.h"
#include "server/http_endpoint.h"

namespace corral::server {
namespace {

const std::vector<FlagSpec>& Specs() {
  static const auto* specs = new std::vector<FlagSpec>{
      {"listen", "HOST:PORT", "Serve gRPC here (HOST:PORT, or unix:PATH)", "0.0.0.0:7400", "CORRAL_LISTEN", true},
      {"http", "HOST:PORT",
       "Serve /metrics (Prometheus) and /healthz over HTTP here; \"off\" to turn off. With --token-file, "
       "/metrics needs the token as a bearer token; /healthz stays open",
       "0.0.0.0:7401", "CORRAL_HTTP"},
      {"http-tls-cert", "FILE", "Serve --http as HTTPS with this certificate chain (PEM)", "", "CORRAL_HTTP_TLS_CERT"},
      {"http-tls-key", "FILE", "Private key of --http-tls-cert (PEM)", "", "CORRAL_HTTP_TLS_KEY"},
      {"data-dir", "DIR", "Directory for the server's state (created if missing)", "/var/lib/corral",
       "CORRAL_DATA_DIR"},
      {"database", "FILE|URI",
       "Where expectations and history live: an SQLite file (default DATA_DIR/corral.db), or a PostgreSQL "
       "database (postgresql://USER@HOST:PORT/DB) that several servers share",
       "", "CORRAL_DATABASE"},
      {"history-retention", "DURATION", "Delete history events older than this", "30d", "CORRAL_HISTORY_RETENTION"},
      {"expire", "DURATION", "Forget instances offline for this long", "1h", "CORRAL_EXPIRE"},
      {"agent-interval", "DURATION", "Tell agents to sample at this interval", "", "CORRAL_AGENT_INTERVAL"},
      {"token-file", "FILE", "Require this bearer token on every call", "", "CORRAL_TOKEN_FILE"},
      {"tls-cert", "FILE", "Serve TLS with this certificate chain (PEM)", "", "CORRAL_TLS_CERT"},
      {"tls-key", "FILE", "Private key of --tls-cert (PEM)", "", "CORRAL_TLS_KEY"},
      {"tls-ca", "FILE", "Require client certificates signed by this CA (mutual TLS)", "", "CORRAL_TLS_CA"},
      {"log-level", "LEVEL", "debug, info, warn or error", "info", "CORRAL_LOG_LEVEL"},
  };
  return *specs;
}

}  // namespace

std::string ServerHelp() {
  return absl::StrCat(
      "Usage: corral-server [FLAGS]\n\n"
      "Collects snapshots from corral-agents (gRPC Collector service), keeps the latest per\n"
      "instance, evaluates consistency rules per service against what is expected of it, records\n"
      "every state change in its history, and answers `corral` (Fleet service). Expectations and\n"
      "history live in one SQLite file, or in PostgreSQL shared by several servers (--database),\n"
      "and survive restarts.\n"
      "The standard grpc.health.v1 health service and server reflection are enabled.\n\n"
      "Flags:\n",
      FlagsHelp(Specs()), "\nDurations are written 500ms, 5s, 1m30s, 1h. SIGTERM or SIGINT shuts down gracefully.\n");
}

absl::StatusOr<ServerOptions> ParseServerOptions(
    const std::vector<std::string>& args, const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  absl::StatusOr<Flags> flags = ParseFlags(Specs(), args, getenv);
  if (!flags.ok()) return flags.status();
  ServerOptions options;
  options.help = flags->help_requested();
  if (!flags->positionals().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", flags->positionals()[0], "'"));
  }
  options.listen = flags->GetAll("listen");
  if (options.listen.empty()) return absl::InvalidArgumentError("--listen needs at least one address");
  options.http = flags->Get("http");
  if (options.http == "off") options.http.clear();
  if (!options.http.empty()) {
    absl::StatusOr<std::pair<std::string, int>> http = SplitHostPort(options.http);
    if (!http.ok()) return absl::InvalidArgumentError(absl::StrCat("--http: ", http.status().message()));
  }
  options.http_tls_cert = flags->Get("http-tls-cert");
  options.http_tls_key = flags->Get("http-tls-key");
  if (options.http_tls_cert.empty() != options.http_tls_key.empty()) {
    return absl::InvalidArgumentError("--http-tls-cert and --http-tls-key go together");
  }
  options.data_dir = flags->Get("data-dir");
  options.database = flags->Get("database");
  if (options.database.empty()) options.database = absl::StrCat(options.data_dir, "/corral.db");
  absl::StatusOr<absl::Duration> retention = ParseDuration(flags->Get("history-retention"));
  if (!retention.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--history-retention: ", retention.status().message()));
  }
  options.history_retention = *retention;
  absl::StatusOr<absl::Duration> expire = ParseDuration(flags->Get("expire"));
  if (!expire.ok()) return absl::InvalidArgumentError(absl::StrCat("--expire: ", expire.status().message()));
  options.expire = *expire;
  if (!flags->Get("agent-interval").empty()) {
    absl::StatusOr<absl::Duration> interval = ParseDuration(flags->Get("agent-interval"));
    if (!interval.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--agent-interval: ", interval.status().message()));
    }
    options.agent_interval = *interval;
  }
  options.token_file = flags->Get("token-file");
  options.tls = {flags->Get("tls-ca"), flags->Get("tls-cert"), flags->Get("tls-key")};
  options.log_level = flags->Get("log-level");
  if (absl::Status level = CheckLogLevel(options.log_level); !level.ok()) return level;
  return options;
}

}  // namespace corral::server
