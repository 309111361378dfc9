// What the fuzz targets share: the libFuzzer entry point's declaration and
// the splitting of one input into the several files or fields a parser
// family reads together.
#ifndef CORRAL_FUZZ_FUZZ_INPUT_H_
#define CORRAL_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// A property every input must keep; a violation aborts, which libFuzzer
// reports as a crash and the corpus replay as a failed test.
#define CORRAL_FUZZ_CHECK(condition)                                                     \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace corral::fuzz {

inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// The input cut at each `separator` into at most `max_parts` parts (the last
// part keeps any further separators); missing parts are empty.
inline std::vector<std::string> SplitParts(absl::string_view input, char separator, size_t max_parts) {
  std::vector<std::string> parts;
  while (parts.size() + 1 < max_parts) {
    size_t at = input.find(separator);
    if (at == absl::string_view::npos) break;
    parts.emplace_back(input.substr(0, at));
    input.remove_prefix(at + 1);
  }
  parts.emplace_back(input);
  parts.resize(max_parts);
  return parts;
}

}  // namespace corral::fuzz

#endif  // CORRAL_FUZZ_FUZZ_INPUT_H_
