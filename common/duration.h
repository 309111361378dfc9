// Durations as people write them on command lines and read them in tables:
// "500ms", "5s", "1m30s", "2h", "1d".
#ifndef CORRAL_COMMON_DURATION_H_
#define CORRAL_COMMON_DURATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace corral {

// Parses a positive duration made of number+unit pairs (ms, s, m, h, d).
// A bare number is rejected: "5" could mean anything.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// Formats a duration compactly for tables: "850ms", "42s", "3m12s",
// "5h02m", "3d04h". Negative durations are formatted as zero.
std::string FormatDurationShort(absl::Duration d);

}  // namespace corral

#endif  // CORRAL_COMMON_DURATION_H_
