// dotenv files (compose/env_file.h): a compose project's .env and its services'
// env_file files.
#include <optional>
#include <string>
#include <vector>

#include "compose/env_file.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::compose;
  VarLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/home/app");
    if (name == "EMPTY") return std::string();
    return std::nullopt;
  };
  std::vector<std::string> warnings;
  std::string content(corral::fuzz::AsText(data, size));
  int last_line = 0;
  for (const EnvFileVar& var : ParseEnvFile("app.env", content, lookup, &warnings)) {
    CORRAL_FUZZ_CHECK(!var.name.empty());
    CORRAL_FUZZ_CHECK(var.line > last_line);
    last_line = var.line;
  }
  return 0;
}
