// Tells what changed in a service between two evaluations, as history
// events: findings opened or resolved, instances coming online, going
// offline or forgotten, live worker counts and effective settings changing.
// Pure: the memory of the previous evaluation goes in and comes out
// updated.
#ifndef CORRAL_SERVER_CHANGE_DETECTOR_H_
#define CORRAL_SERVER_CHANGE_DETECTOR_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "corral/v1/fleet.pb.h"
#include "corral/v1/server_state.pb.h"
#include "server/registry.h"

namespace corral::server {

// How one comparison treats what is not in front of it.
enum class Coverage {
  // `views` are every instance the server knows of the service.
  kComplete,
  // The server restarted and some remembered instances have not reported
  // again yet: only the instances in `views` and their own findings are
  // compared. Absent instances keep their remembered state, and findings
  // that compare replicas (rules.h, ComparesReplicas) are neither opened
  // nor resolved until the comparison is complete.
  kSettling,
};

// Compares the service's instances and findings now with `memory` and
// updates it. Instances the registry no longer lists (the server restarted,
// or forgot them) are kept as offline until `forget_after` past their last
// report; their findings stay open until then, so a restart does not
// resolve and reopen everything.
std::vector<corral::v1::Event> DetectChanges(const std::string& service, absl::Span<const InstanceView> views,
                                             const std::vector<corral::v1::Finding>& findings, absl::Time now,
                                             absl::Duration forget_after, corral::v1::ServiceMemory* memory,
                                             Coverage coverage = Coverage::kComplete);

}  // namespace corral::server

#endif  // CORRAL_SERVER_CHANGE_DETECTOR_H_
