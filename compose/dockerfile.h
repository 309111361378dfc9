// What a Dockerfile says about the image it builds, as far as `docker build`
// would make it: the ENTRYPOINT, CMD and ENV of the stage compose builds, each
// with the file and line that set it.
//
// Pure logic: the Dockerfile's text, the build arguments and the target come
// in a DockerfileSource and nothing is read from disk or the environment.
// What is not interpreted is named in a warning, never dropped silently.
#ifndef CORRAL_COMPOSE_DOCKERFILE_H_
#define CORRAL_COMPOSE_DOCKERFILE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compose/declared.h"

namespace corral::compose {

// An ENTRYPOINT or CMD and where it was written.
struct CommandPart {
  std::vector<std::string> argv;
  std::string origin;
  // "compose" or "dockerfile", as Declared::declared_by.
  std::string declared_by;
};

// What the Dockerfile says about the image it builds.
struct ImageFacts {
  // nullopt: inherited from a base image outside the Dockerfile, unknown.
  std::optional<CommandPart> entrypoint;
  std::optional<CommandPart> cmd;
  // The image outside the Dockerfile the chosen stage descends from.
  std::string base_image;
  std::map<std::string, Declared> env;
};

// A Dockerfile to evaluate and how compose builds it.
struct DockerfileSource {
  // For origins: the Dockerfile's path, or the compose file holding
  // dockerfile_inline; `line_offset` is added to instruction lines.
  std::string path;
  int line_offset = 0;
  std::string content;
  // build.target; empty for the last stage.
  std::string target;
  // build.args, winning over ARG defaults.
  std::map<std::string, std::string> build_args;
};

// Evaluates a Dockerfile's stages far enough to know the chosen stage's
// ENTRYPOINT, CMD and ENV: stages built FROM an earlier stage inherit them;
// ENTRYPOINT resets a CMD the stage did not set itself (Docker's rule).
class DockerfileEvaluator {
 public:
  // `service` names the service in warnings; `source` and `warnings` must
  // outlive the evaluator.
  DockerfileEvaluator(const std::string& service, const DockerfileSource& source, std::vector<std::string>* warnings)
      : service_(service), source_(source), warnings_(warnings) {}

  // The facts of the stage named by `source.target` (compared in lower
  // case), else of the last stage; nullopt when the Dockerfile has no FROM. A
  // stage FROM an image outside the Dockerfile does not know that image's
  // ENTRYPOINT and CMD (nullopt) until it sets them; FROM scratch has none.
  // What is not interpreted is named in a warning, "file:line: service:
  // what", appended to `warnings`; an ENV value whose variables are not known
  // is left out of `env`.
  std::optional<ImageFacts> Run();

 private:
  struct Stage {
    std::string name;  // lower case
    ImageFacts facts;
    bool cmd_set_here = false;
    std::vector<std::string> shell = {"/bin/sh", "-c"};
    std::map<std::string, std::optional<std::string>> args;
  };

  void Warn(const std::string& origin, const std::string& what);
  void From(const std::string& args, const std::string& origin);
  std::optional<std::string> Lookup(const Stage* stage, const std::map<std::string, std::optional<std::string>>& args,
                                    const std::string& name) const;
  void DeclareArgs(const std::string& text, const std::string& origin,
                   const std::map<std::string, std::optional<std::string>>& global_args,
                   std::map<std::string, std::optional<std::string>>& into);
  void SetEnv(Stage& stage, const std::string& text, const std::string& origin);
  CommandPart CommandForm(const Stage& stage, const std::string& args, const std::string& origin);

  const std::string service_;
  const DockerfileSource& source_;
  std::vector<std::string>* warnings_;
  std::vector<Stage> stages_;
};

}  // namespace corral::compose

#endif  // CORRAL_COMPOSE_DOCKERFILE_H_
