// A docker compose project as `corral expect import` reads it
// (compose/compose_file.h) and the expectations it derives from each service
// (compose/declared_expectations.h). The input is up to five files separated
// by NUL bytes: the main compose file, its override, the project's .env,
// the Dockerfile of every service that builds one (any path whose name
// holds "Dockerfile" or "dockerfile"), and every other file a service names
// (env_file). A file left empty does not exist.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "compose/compose_file.h"
#include "compose/declared_expectations.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::compose;
  std::vector<std::string> files = corral::fuzz::SplitParts(corral::fuzz::AsText(data, size), '\0', 5);
  const std::string main_file = "/project/docker-compose.yml";
  ReadFileFn read = [&](const std::string& path) -> absl::StatusOr<std::string> {
    const std::string* content = &files[4];
    std::string name = path.substr(path.rfind('/') + 1);
    if (path == main_file) {
      content = &files[0];
    } else if (path == "/project/docker-compose.override.yml") {
      content = &files[1];
    } else if (path == "/project/.env") {
      content = &files[2];
    } else if (absl::StrContains(absl::AsciiStrToLower(name), "dockerfile")) {
      content = &files[3];
    } else if (absl::StartsWith(path, "/project/compose.override") ||
               absl::StartsWith(path, "/project/docker-compose.override")) {
      return absl::NotFoundError(path);
    }
    if (content->empty()) return absl::NotFoundError(path);
    return *content;
  };
  std::map<std::string, std::string> environment = {{"TAG", "1.4"}, {"WORKERS", "3"}, {"EMPTY", ""}};
  LookupEnvFn env = [&environment](const std::string& name) -> std::optional<std::string> {
    auto it = environment.find(name);
    if (it == environment.end()) return std::nullopt;
    return it->second;
  };
  absl::StatusOr<ComposeProject> project = LoadComposeProject(main_file, {}, read, env);
  if (!project.ok()) return 0;
  for (const DeclaredService& service : project->services) {
    ImportedExpectations imported = ExpectationsFromDeclaration(service);
    CORRAL_FUZZ_CHECK(imported.expectations.service() == service.name);
  }
  return 0;
}
