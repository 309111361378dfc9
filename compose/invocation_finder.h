// Finds where a service's declared command starts Gunicorn, following the
// programs on the way as they would run: Gunicorn itself (`gunicorn ...`,
// `python -m gunicorn ...`); programs that exec their arguments after their
// own options (exec, command, nohup, tini, dumb-init, catatonit,
// ddtrace-run, opentelemetry-instrument, and entrypoint scripts -- *.sh or
// *entrypoint*, which conventionally end in `exec "$@"`); `env`, with its
// assignments and -u; programs that take a user first (gosu, su-exec,
// setuidgid); `run` (or `run-program`) of poetry, pipenv, uv, pdm, hatch, rye
// and newrelic-admin; and `sh -c SCRIPT` (also bash, dash, ash, zsh, ksh), whose
// commands are searched in order, up to four shells deep, variables
// expanding from the declared environment and from assignments and `export`s
// earlier in the script. `if ...; then`, pipes and lists are seen through.
//
// Reads only the declaration: nothing is run and no file is read.
#ifndef CORRAL_COMPOSE_INVOCATION_FINDER_H_
#define CORRAL_COMPOSE_INVOCATION_FINDER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compose/compose_file.h"
#include "compose/declared.h"
#include "gunicorn/command.h"

namespace corral::compose {

// A Gunicorn invocation found in a declared command.
struct GunicornInvocation {
  // From the launcher on: {"gunicorn", "--workers", "3", "app:app"}. A word
  // built from an expansion without a value holds that expansion's text
  // between kUnresolvedMarker characters (compose/shell_lexer.h).
  std::vector<std::string> argv;
  // `argv` as Gunicorn reads it; never a setproctitle title.
  gunicorn::GunicornCommand command;
  // The environment Gunicorn starts with: the service's, changed by the
  // assignments, `env` and `export`s on the way (those credited to the
  // service's command origin).
  std::map<std::string, Declared> environ;
};

// The invocation `service.command` reaches, or nullopt when it reaches none:
// a program that is neither Gunicorn nor one of those above, a shell
// without -c, shells nested too deep, or a setproctitle title.
std::optional<GunicornInvocation> FindGunicornInvocation(const DeclaredService& service);

}  // namespace corral::compose

#endif  // CORRAL_COMPOSE_INVOCATION_FINDER_H_
