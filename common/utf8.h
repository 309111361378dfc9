// UTF-8 encoding, for the parsers that decode escapes (Python string
// literals, JSON \u escapes).
#ifndef CORRAL_COMMON_UTF8_H_
#define CORRAL_COMMON_UTF8_H_

#include <cstdint>
#include <string>

namespace corral {

// Appends `code_point` (at most U+10FFFF) to `out` as UTF-8.
void AppendUtf8(uint32_t code_point, std::string* out);

}  // namespace corral

#endif  // CORRAL_COMMON_UTF8_H_
