// Variable substitution (compose/variable_expansion.h) in both dialects:
// compose files and .env files, and Dockerfile ARG and ENV values.
#include <optional>
#include <string>

#include "compose/variable_expansion.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::compose;
  absl::string_view text = corral::fuzz::AsText(data, size);
  VarLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "TAG") return std::string("1.4");
    if (name == "EMPTY") return std::string();
    if (name == "DOLLAR") return std::string("$HOME");
    return std::nullopt;
  };
  for (bool compose : {true, false}) {
    std::string out;
    absl::Status status = Expand(text, lookup, Dialect{compose}, &out);
    // Text without a '$' (or, in a Dockerfile, without "\$") is its own expansion.
    if (text.find('$') == absl::string_view::npos) {
      CORRAL_FUZZ_CHECK(status.ok());
      CORRAL_FUZZ_CHECK(out == text);
    }
  }
  return 0;
}
