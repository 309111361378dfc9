// The CLI's documented exit codes. Scripts and CI gates rely on them.
#ifndef CORRAL_CLI_EXIT_CODES_H_
#define CORRAL_CLI_EXIT_CODES_H_

namespace corral::cli {

inline constexpr int kExitOk = 0;        // ran; consistent (or nothing to report)
inline constexpr int kExitFindings = 1;  // findings at or above --fail-on
inline constexpr int kExitUsage = 2;     // usage error, or server unreachable

}  // namespace corral::cli

#endif  // CORRAL_CLI_EXIT_CODES_H_
