// What the server derives from one master's configuration. Computed once
// when the configuration arrives and shared by every later report that
// leaves it out (server/report.h), so steady-state reports cost no hashing
// of settings.
#ifndef CORRAL_SERVER_CONFIG_DIGEST_H_
#define CORRAL_SERVER_CONFIG_DIGEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "corral/v1/snapshot.pb.h"

namespace corral::server {

// Settings that replicas of one service are not compared on: they name
// per-process files.
bool IsPerReplicaSetting(const std::string& name);

struct ConfigDigest {
  // The effective workers setting and its source.
  std::optional<int64_t> configured_workers;
  std::string workers_source;
  std::string app_uri;
  // The Gunicorn release the master runs ("26.2.2"); empty when unknown.
  // Kept apart from the settings fingerprint: it is not a setting, and the
  // history compares that fingerprint with what it stored.
  std::string gunicorn_version;
  bool settings_unknowable = false;
  // "command line", "environment" or "command line and environment".
  std::string erased;
  // Development settings in effect, as "reload=true (cmdline)".
  std::vector<std::string> dev_settings;
  // Hash of the compared settings (value and whether it is known): equal
  // hashes mean nothing to compare.
  uint64_t settings_fingerprint = 0;
};

ConfigDigest DigestConfig(const corral::v1::GunicornInstance& carrier);

}  // namespace corral::server

#endif  // CORRAL_SERVER_CONFIG_DIGEST_H_
