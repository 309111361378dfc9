// Corral's version, reported by every binary and in each snapshot.
#ifndef CORRAL_COMMON_VERSION_H_
#define CORRAL_COMMON_VERSION_H_

namespace corral {

inline constexpr char kCorralVersion[] = "0.1.0";

}  // namespace corral

#endif  // CORRAL_COMMON_VERSION_H_
