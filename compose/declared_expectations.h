// Turns what a compose service declares into the expectations Corral checks
// its running Gunicorn against, computing Gunicorn's settings with the
// agent's own reconstruction so a declaration and a running master are read
// by the same rules.
#ifndef CORRAL_COMPOSE_DECLARED_EXPECTATIONS_H_
#define CORRAL_COMPOSE_DECLARED_EXPECTATIONS_H_

#include <string>
#include <vector>

#include "compose/compose_file.h"
#include "corral/v1/fleet.pb.h"

namespace corral::compose {

struct ImportedExpectations {
  // service = the service's name; expectations ordered by key,
  // updated_at_unix_ms left 0.
  corral::v1::ServiceExpectations expectations;
  // Each starts with "SERVICE: " and says what was not imported and why.
  std::vector<std::string> warnings;
};

// Finds the Gunicorn invocation in `service.command` -- directly
// (`gunicorn ...`, `python -m gunicorn ...`), behind wrappers that exec their
// arguments (exec, env, tini, dumb-init, gosu, `poetry run`, an
// entrypoint script, ...), or inside `sh -c "..."`, as FindGunicornInvocation
// (compose/invocation_finder.h) does -- and expects:
//  - every Gunicorn setting the invocation itself sets (source cmdline),
//    GUNICORN_CMD_ARGS sets (gunicorn_cmd_args) or WEB_CONCURRENCY/PORT set
//    (env), keyed by setting name with the value as the agent's
//    reconstruction shows it ("3", "true", "0.0.0.0:8000"), plus "app_uri".
//    Defaults are never expected: a config file in the image may change them;
//  - "command": the invocation, shell-quoted;
//  - "replicas" and "build_revision" when declared.
// Origins: the command's for command-line settings and "command", the
// variable's for settings from the environment.
// Warned about: a config file (-c, or gunicorn.conf.py in the working
// directory when none is given) whose values are not imported; variables
// the script uses that are not declared (settings depending on them are not
// imported); flags Gunicorn would refuse; a command that does not run
// Gunicorn or is not known (then only replicas and build_revision are
// imported).
ImportedExpectations ExpectationsFromDeclaration(const DeclaredService& service);

}  // namespace corral::compose

#endif  // CORRAL_COMPOSE_DECLARED_EXPECTATIONS_H_
