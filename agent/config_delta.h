// What an uplink leaves out of a stream message: a master's configuration
// (config, inputs, app_uri, launcher, title_name, master argv and cwd) when
// it is unchanged since that stream last carried it. Most of a snapshot's
// bytes are configuration, and it changes rarely; the server resolves the
// omission against the earlier message (server/report.h).
#ifndef CORRAL_AGENT_CONFIG_DELTA_H_
#define CORRAL_AGENT_CONFIG_DELTA_H_

#include <cstdint>
#include <map>

#include "corral/v1/snapshot.pb.h"

namespace corral::agent {

// A hash of the configuration fields of `instance`; equal content, equal
// hash, whatever the map order.
uint64_t ConfigFingerprint(const corral::v1::GunicornInstance& instance);

// Per stream: strips configurations already sent. Start a new one for every
// new stream: its first message carries everything.
class ConfigDelta {
 public:
  void Apply(corral::v1::Snapshot& snapshot);

 private:
  std::map<int, uint64_t> sent_;  // master pid -> fingerprint last carried
};

}  // namespace corral::agent

#endif  // CORRAL_AGENT_CONFIG_DELTA_H_
