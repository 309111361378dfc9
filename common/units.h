// Quantities shown to people, the same way by every part.
#ifndef CORRAL_COMMON_UNITS_H_
#define CORRAL_COMMON_UNITS_H_

#include <cstdint>
#include <string>

namespace corral {

// "512 B", "1.5 KiB", "2.0 GiB".
std::string FormatBytes(int64_t bytes);

}  // namespace corral

#endif  // CORRAL_COMMON_UNITS_H_
