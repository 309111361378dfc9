// Dockerfiles (compose/dockerfile.h) as compose builds them: the chosen stage's
// ENTRYPOINT, CMD and ENV, for the last stage and for a named target, with
// build arguments.
#include <string>
#include <vector>

#include "compose/dockerfile.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::compose;
  for (const char* target : {"", "app"}) {
    DockerfileSource source;
    source.path = "services/api/Dockerfile";
    source.content = std::string(corral::fuzz::AsText(data, size));
    source.target = target;
    source.build_args = {{"PYTHON_VERSION", "3.11"}, {"WORKERS", "3"}};
    std::vector<std::string> warnings;
    std::optional<ImageFacts> facts = DockerfileEvaluator("api", source, &warnings).Run();
    if (!facts) continue;
    for (const std::optional<CommandPart>* part : {&facts->entrypoint, &facts->cmd}) {
      if (*part) CORRAL_FUZZ_CHECK(!(*part)->origin.empty());
    }
  }
  return 0;
}
