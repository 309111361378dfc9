// Recognises a Gunicorn process from its argv: the launch forms people use
// and the titles setproctitle leaves. Pure functions over values.
#ifndef CORRAL_GUNICORN_COMMAND_H_
#define CORRAL_GUNICORN_COMMAND_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace corral::gunicorn {

// What a process's argv says about it.
struct GunicornCommand {
  // "gunicorn", "python script", "python -m gunicorn", or "title".
  std::string launcher;
  // Gunicorn's own arguments (argv after the launcher). Empty for "title".
  std::vector<std::string> args;
  // For "title": the role ("master", "worker", ...) and NAME in
  // "gunicorn: ROLE [NAME]". A title cut short by a small argv area keeps
  // what is there and sets title_truncated.
  std::string title_role;
  std::string title_name;
  bool title_truncated = false;

  bool is_title() const { return launcher == "title"; }
  bool title_says_master() const { return is_title() && title_role == "master"; }
  bool title_says_worker() const { return is_title() && title_role == "worker"; }
};

// Returns what argv says, or nullopt when it is not a Gunicorn process.
// Recognised: `gunicorn ARGS` (any path, also gunicorn3),
// `python[X.Y] [OPTIONS] /path/to/gunicorn ARGS`,
// `python[X.Y] [OPTIONS] -m gunicorn ARGS` (also gunicorn.app.wsgiapp),
// and setproctitle titles `gunicorn: ROLE [NAME]`.
std::optional<GunicornCommand> RecognizeGunicorn(const std::vector<std::string>& argv);

// Cheap pre-filter on /proc/PID/stat's comm, so a full scan reads cmdline
// only for processes that can be Gunicorn: comm starts with "gunicorn",
// "python" or "pypy".
bool MightBeGunicorn(absl::string_view comm);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_COMMAND_H_
