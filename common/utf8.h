// UTF-8 encoding, for the parsers that decode escapes (Python string
// literals, JSON \u escapes), and validation, for the writers that must
// emit valid text whatever /proc held (JSON, HTML).
#ifndef CORRAL_COMMON_UTF8_H_
#define CORRAL_COMMON_UTF8_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace corral {

// Appends `code_point` (at most U+10FFFF) to `out` as UTF-8.
void AppendUtf8(uint32_t code_point, std::string* out);

// The length of the well-formed UTF-8 sequence that starts at text[i] (1
// for ASCII), or 0 when the bytes there are not one: a stray continuation
// byte, a truncated sequence, an overlong form, a surrogate, or a code
// point past U+10FFFF.
size_t Utf8SequenceLength(absl::string_view text, size_t i);

// Whether every byte of `text` belongs to a well-formed sequence.
bool IsValidUtf8(absl::string_view text);

// `text` with each byte that does not begin a well-formed sequence
// replaced by U+FFFD.
std::string ToValidUtf8(absl::string_view text);

}  // namespace corral

#endif  // CORRAL_COMMON_UTF8_H_
