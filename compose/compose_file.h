// Reads a docker compose project the way `docker compose` reads it -- the
// main file, its override files, the .env file, env_file files and the
// Dockerfiles of services it builds -- and says what each service declares
// about the process it runs: the argv, the environment, the replica count and
// the build revision, each with the file and line that declared it.
//
// Pure logic over injected I/O: every file is read through a ReadFileFn and
// every variable looked up through a LookupEnvFn, so tests feed literal
// strings. What is not interpreted is named in a warning, never dropped
// silently.
#ifndef CORRAL_COMPOSE_COMPOSE_FILE_H_
#define CORRAL_COMPOSE_COMPOSE_FILE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "compose/declared.h"

namespace corral::compose {

// Reads a file by path (tests pass a lambda over a map, the CLI the real
// filesystem). A missing file must be reported as NotFound: that is how an
// absent override or .env file is told from an unreadable one.
using ReadFileFn = std::function<absl::StatusOr<std::string>(const std::string& path)>;
// Looks up a variable of the environment `docker compose` would run in.
using LookupEnvFn = std::function<std::optional<std::string>(const std::string& name)>;

// What one service declares, after merging every file.
struct DeclaredService {
  std::string name;
  // The argv the container runs: ENTRYPOINT + CMD as Docker combines the
  // compose file's and the image's. Empty when unknown (a CMD that only the
  // base image or a pre-built image knows, a variable that is not set, ...).
  std::vector<std::string> command;
  // Where the part that names the program was declared (the CMD/command when
  // it is not empty, else the ENTRYPOINT/entrypoint):
  // "docker-compose.yml:12" or "services/api/Dockerfile.dev:7".
  std::string command_origin;
  // "compose" or "dockerfile", for that same part.
  std::string command_declared_by;
  // Every variable the container is declared to get, interpolated: the
  // image's ENV (when compose builds it), then env_file files, then
  // `environment` (list or map form), later ones winning.
  std::map<std::string, Declared> environment;
  // deploy.replicas (or the legacy `scale`).
  std::optional<Declared> replicas;
  // build.args CORRAL_BUILD_REVISION, else build.labels
  // org.opencontainers.image.revision; literal after interpolation.
  std::optional<Declared> build_revision;
  // `image:`, if any.
  std::string image;
};

struct ComposeProject {
  // The files merged, in order: main, auto-picked override, explicit overrides.
  std::vector<std::string> files;
  // Ordered by name.
  std::vector<DeclaredService> services;
  // Each names the file:line and what was not interpreted.
  std::vector<std::string> warnings;
};

// Loads `main_file` and merges `overrides` over it in order, as `docker
// compose -f main_file -f override...` does. With no explicit overrides, the
// first of compose.override.yml, compose.override.yaml,
// docker-compose.override.yml and docker-compose.override.yaml next to the
// main file is merged too, as `docker compose` does when it finds the main
// file by itself.
//
// Compose semantics followed:
//  - later files replace scalars and lists (command, entrypoint, image,
//    replicas, build context/dockerfile/target) and merge `environment`,
//    build.args and build.labels per key; env_file lists append; the YAML
//    tags !reset and !override and merge keys (<<) are honoured;
//  - relative paths (build context, env_file) are relative to the main
//    file's directory; a Dockerfile is relative to its context;
//  - interpolation of ${VAR}, $VAR, ${VAR:-default}, ${VAR-default},
//    ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt} and $$, looking
//    variables up in `env`, then in the .env file next to the main file. A
//    value that cannot be interpolated (a variable without a value or
//    default, a required one, bad syntax) is not used: the field counts as
//    not declared and a warning names the variable and file:line;
//  - a string command/entrypoint is split shell-style, not run through sh;
//  - a service that builds an image and sets no command/entrypoint runs its
//    Dockerfile's ENTRYPOINT/CMD from the last stage (or build.target), exec
//    or shell form; compose `entrypoint` drops the image's CMD unless compose
//    also sets `command`; compose `command` alone follows the image's
//    ENTRYPOINT. An ENTRYPOINT that only a base image or a pre-built image
//    could set is taken as none (entrypoint scripts that exec "$@" leave the
//    command recognisable anyway).
// Warned about and not interpreted: extends, include, profiles, deploy mode
// global, a Dockerfile that cannot be read (the warning names its path), a
// remote build context, a CMD inherited from a base image, ENV values whose
// variables are not known.
//
// Errors: a main or explicit override file that cannot be read (the read
// error), YAML that does not parse or a file whose structure compose would
// refuse (InvalidArgument naming "file:line").
absl::StatusOr<ComposeProject> LoadComposeProject(const std::string& main_file,
                                                  const std::vector<std::string>& overrides, const ReadFileFn& read,
                                                  const LookupEnvFn& env);

}  // namespace corral::compose

#endif  // CORRAL_COMPOSE_COMPOSE_FILE_H_
