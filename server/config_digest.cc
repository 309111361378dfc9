#include "server/config_digest.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "common/setting_source.h"
#include "common/snapshot_facts.h"

namespace corral::server {

bool IsPerReplicaSetting(const std::string& name) { return name == "pidfile"; }

ConfigDigest DigestConfig(const corral::v1::GunicornInstance& carrier) {
  ConfigDigest d;
  d.configured_workers = ConfiguredWorkers(carrier);
  auto workers = carrier.config().find("workers");
  if (workers != carrier.config().end()) d.workers_source = workers->second.source();
  d.app_uri = carrier.app_uri();
  d.gunicorn_version = carrier.gunicorn_version();
  const corral::v1::ConfigInputs& inputs = carrier.inputs();
  d.settings_unknowable = inputs.argv_erased() || inputs.environ_erased();
  if (d.settings_unknowable) {
    d.erased = inputs.argv_erased() && inputs.environ_erased() ? "command line and environment"
               : inputs.argv_erased()                          ? "command line"
                                                               : "environment";
  }
  for (const auto& [name, value] : {std::pair<const char*, const char*>{"reload", "true"}, {"loglevel", "debug"}}) {
    auto it = carrier.config().find(name);
    if (it != carrier.config().end() && IsKnown(it->second) && it->second.value() == value) {
      d.dev_settings.push_back(absl::StrCat(name, "=", value, " (", it->second.source(), ")"));
    }
  }
  // Map iteration order is unspecified: combine per-entry hashes with a
  // commutative operation.
  uint64_t fingerprint = 0;
  for (const auto& [name, setting] : carrier.config()) {
    if (IsPerReplicaSetting(name)) continue;
    fingerprint += absl::HashOf(name, !IsKnown(setting), setting.value());
  }
  d.settings_fingerprint = fingerprint;
  return d;
}

}  // namespace corral::server
