// Limits a snapshot must respect before the server keeps it. Anything
// outside them -- negative pids, a million workers, megabyte strings -- is
// refused with INVALID_ARGUMENT naming the first problem.
#ifndef CORRAL_SERVER_SNAPSHOT_VALIDATION_H_
#define CORRAL_SERVER_SNAPSHOT_VALIDATION_H_

#include <cstddef>

#include "absl/status/status.h"
#include "corral/v1/snapshot.pb.h"

namespace corral::server {

inline constexpr size_t kMaxSnapshotBytes = 1 << 20;
inline constexpr int kMaxMasters = 64;
inline constexpr int kMaxWorkersPerMaster = 4096;
inline constexpr int kMaxOtherChildren = 4096;
inline constexpr int kMaxSettings = 512;
inline constexpr int kMaxArgs = 4096;
inline constexpr size_t kMaxStringBytes = 16 * 1024;
inline constexpr size_t kMaxNameBytes = 253;
inline constexpr int kMaxPid = 1 << 22;      // the kernel's pid_max ceiling
inline constexpr double kMaxCpus = 1 << 20;  // CPU quota and cpuset sizes
inline constexpr int64_t kMinIntervalMs = 50;
inline constexpr int64_t kMaxIntervalMs = 3600 * 1000;

// Checked on the bytes before parsing: a report larger than
// kMaxSnapshotBytes is refused without being parsed.
absl::Status ValidateWireSize(size_t bytes);

absl::Status ValidateSnapshot(const corral::v1::Snapshot& snapshot);

// Service and instance names: 1 to 253 printable ASCII characters without
// spaces.
absl::Status ValidateName(const std::string& what, const std::string& name);

}  // namespace corral::server

#endif  // CORRAL_SERVER_SNAPSHOT_VALIDATION_H_
