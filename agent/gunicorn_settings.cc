#include "agent/gunicorn_settings.h"

#include "absl/container/flat_hash_map.h"

namespace corral::agent {

const std::vector<GunicornSetting>& GunicornSettings() {
  // clang-format off
  static const auto* settings = new std::vector<GunicornSetting>{
      {"config", {"-c", "--config"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "./gunicorn.conf.py", "", false},
      {"wsgi_app", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kString, "", "", true},
      {"bind", {"-b", "--bind"}, ArgAction::kAppend, ArgType::kStr, Validator::kListString, "127.0.0.1:8000", "", true},
      {"backlog", {"--backlog"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "2048", "", true},
      {"workers", {"-w", "--workers"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "1", "", true},
      {"worker_class", {"-k", "--worker-class"}, ArgAction::kStore, ArgType::kStr, Validator::kClass, "sync", "", true},
      {"threads", {"--threads"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "1", "", true},
      {"worker_connections", {"--worker-connections"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "1000", "", true},
      {"max_requests", {"--max-requests"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "0", "", true},
      {"max_requests_jitter", {"--max-requests-jitter"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "0", "", true},
      {"timeout", {"-t", "--timeout"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "30", "", true},
      {"graceful_timeout", {"--graceful-timeout"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "30", "", true},
      {"keepalive", {"--keep-alive"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "2", "", true},
      {"limit_request_line", {"--limit-request-line"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "4094", "", true},
      {"limit_request_fields", {"--limit-request-fields"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "100", "", true},
      {"limit_request_field_size", {"--limit-request-field_size"}, ArgAction::kStore, ArgType::kInt, Validator::kPosInt, "8190", "", true},
      {"reload", {"--reload"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", true},
      {"reload_engine", {"--reload-engine"}, ArgAction::kStore, ArgType::kStr, Validator::kReloadEngine, "auto", "", false},
      {"reload_extra_files", {"--reload-extra-file"}, ArgAction::kAppend, ArgType::kStr, Validator::kListString, "", "", false},
      {"spew", {"--spew"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"check_config", {"--check-config"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"print_config", {"--print-config"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"preload_app", {"--preload"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", true},
      {"sendfile", {"--no-sendfile"}, ArgAction::kStoreConst, ArgType::kStr, Validator::kBool, "", "false", false},
      {"reuse_port", {"--reuse-port"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", true},
      {"chdir", {"--chdir"}, ArgAction::kStore, ArgType::kStr, Validator::kChdir, "", "", true},
      {"daemon", {"-D", "--daemon"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", true},
      {"raw_env", {"-e", "--env"}, ArgAction::kAppend, ArgType::kStr, Validator::kListString, "", "", true},
      {"pidfile", {"-p", "--pid"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", true},
      {"worker_tmp_dir", {"--worker-tmp-dir"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", true},
      {"user", {"-u", "--user"}, ArgAction::kStore, ArgType::kStr, Validator::kUser, "", "", true},
      {"group", {"-g", "--group"}, ArgAction::kStore, ArgType::kStr, Validator::kGroup, "", "", true},
      {"umask", {"-m", "--umask"}, ArgAction::kStore, ArgType::kAutoInt, Validator::kPosInt, "0", "", true},
      {"initgroups", {"--initgroups"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"tmp_upload_dir", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kString, "", "", false},
      {"secure_scheme_headers", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kDict, "", "", false},
      {"forwarded_allow_ips", {"--forwarded-allow-ips"}, ArgAction::kStore, ArgType::kStr, Validator::kStringToList, "127.0.0.1", "", true},
      {"accesslog", {"--access-logfile"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", true},
      {"disable_redirect_access_to_syslog", {"--disable-redirect-access-to-syslog"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"access_log_format", {"--access-logformat"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "%(h)s %(l)s %(u)s %(t)s \"%(r)s\" %(s)s %(b)s \"%(f)s\" \"%(a)s\"", "", false},
      {"errorlog", {"--error-logfile", "--log-file"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "-", "", true},
      {"loglevel", {"--log-level"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "info", "", true},
      {"capture_output", {"--capture-output"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", true},
      {"logger_class", {"--logger-class"}, ArgAction::kStore, ArgType::kStr, Validator::kClass, "gunicorn.glogging.Logger", "", false},
      {"logconfig", {"--log-config"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", false},
      {"logconfig_dict", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kDict, "", "", false},
      {"syslog_addr", {"--log-syslog-to"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "udp://localhost:514", "", false},
      {"syslog", {"--log-syslog"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"syslog_prefix", {"--log-syslog-prefix"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", false},
      {"syslog_facility", {"--log-syslog-facility"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "user", "", false},
      {"enable_stdio_inheritance", {"-R", "--enable-stdio-inheritance"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"statsd_host", {"--statsd-host"}, ArgAction::kStore, ArgType::kStr, Validator::kHostPort, "", "", true},
      {"dogstatsd_tags", {"--dogstatsd-tags"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", false},
      {"statsd_prefix", {"--statsd-prefix"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", true},
      {"proc_name", {"-n", "--name"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", true},
      {"default_proc_name", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kString, "gunicorn", "", false},
      {"pythonpath", {"--pythonpath"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", true},
      {"paste", {"--paste", "--paster"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", false},
      {"on_starting", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"on_reload", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"when_ready", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"pre_fork", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"post_fork", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"post_worker_init", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"worker_int", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"worker_abort", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"pre_exec", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"pre_request", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"post_request", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"child_exit", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"worker_exit", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"nworkers_changed", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"on_exit", {}, ArgAction::kNoFlag, ArgType::kStr, Validator::kCallable, "", "", false},
      {"proxy_protocol", {"--proxy-protocol"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"proxy_allow_ips", {"--proxy-allow-from"}, ArgAction::kStore, ArgType::kStr, Validator::kStringToList, "127.0.0.1", "", false},
      {"keyfile", {"--keyfile"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", false},
      {"certfile", {"--certfile"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", false},
      {"ssl_version", {"--ssl-version"}, ArgAction::kStore, ArgType::kStr, Validator::kSslVersion, "2", "", false},
      {"cert_reqs", {"--cert-reqs"}, ArgAction::kStore, ArgType::kStr, Validator::kPosInt, "0", "", false},
      {"ca_certs", {"--ca-certs"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", false},
      {"suppress_ragged_eofs", {"--suppress-ragged-eofs"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "true", "", false},
      {"do_handshake_on_connect", {"--do-handshake-on-connect"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"ciphers", {"--ciphers"}, ArgAction::kStore, ArgType::kStr, Validator::kString, "", "", false},
      {"raw_paste_global_conf", {"--paste-global"}, ArgAction::kAppend, ArgType::kStr, Validator::kListString, "", "", false},
      {"strip_header_spaces", {"--strip-header-spaces"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
      {"tolerate_dangerous_framing", {"--tolerate-dangerous-framing"}, ArgAction::kStoreTrue, ArgType::kStr, Validator::kBool, "false", "", false},
  };
  // clang-format on
  return *settings;
}

const GunicornSetting* FindSetting(absl::string_view name) {
  static const auto* by_name = [] {
    auto* map = new absl::flat_hash_map<absl::string_view, const GunicornSetting*>();
    for (const GunicornSetting& setting : GunicornSettings()) (*map)[setting.name] = &setting;
    return map;
  }();
  auto it = by_name->find(name);
  return it == by_name->end() ? nullptr : it->second;
}

}  // namespace corral::agent
