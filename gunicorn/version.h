// Which Gunicorn release a master runs, found the way Python found the
// package it imported: the first directory of the master's sys.path that
// holds `gunicorn/__init__.py`, read through the master's own root.
//
// sys.path, as far as the agent can rebuild it:
//   1. the script's directory, or the working directory for `python -m`;
//   2. $PYTHONPATH (when the environment is visible);
//   3. the site directories of the interpreter's prefix (Debian's
//      dist-packages, /usr/local's site-packages), a virtualenv's when the
//      interpreter lives in one, and every site directory a loaded C
//      extension is mapped from (/proc/PID/maps: this finds virtualenvs
//      even when setproctitle erased argv);
//   4. the user site ($HOME/.local/lib/pythonX.Y/site-packages).
// The release is `version_info` in that gunicorn/__init__.py, else the
// gunicorn-X.Y.Z.dist-info or .egg-info beside it.
//
// When the environment is not visible, a PYTHONPATH there could have chosen
// another installation: the result says so in `note`.
#ifndef CORRAL_GUNICORN_VERSION_H_
#define CORRAL_GUNICORN_VERSION_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gunicorn/environ.h"
#include "gunicorn/settings.h"

namespace corral::gunicorn {

// What the agent saw of the interpreter that runs a master.
struct InterpreterFacts {
  // The master's argv; empty when erased or unreadable.
  std::vector<std::string> argv;
  // GunicornCommand::launcher: "gunicorn", "python script",
  // "python -m gunicorn" or "title".
  std::string launcher;
  // /proc/PID/exe as the master sees it ("/usr/bin/python3.11"); empty when
  // unreadable.
  std::string exe;
  // The master's environment; nullopt when erased or unreadable.
  std::optional<Environ> environ;
  // Why the environment is not visible, for the note.
  std::string environ_unknown_reason;
  // The directory the master started in; empty when unknown.
  std::string start_dir;
  // Paths of the files /proc/PID/maps shows mapped, in order.
  std::vector<std::string> mapped_files;
};

// The master's files, as it sees them.
struct MasterFiles {
  std::function<bool(const std::string& path)> is_file;
  std::function<bool(const std::string& path)> is_dir;
  // Entries of a directory (names only).
  std::function<absl::StatusOr<std::vector<std::string>>(const std::string& dir)> list_dir;
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_file;
};

struct DetectedRelease {
  std::optional<Release> release;
  // The release as the package writes it ("26.2.2").
  std::string text;
  // The file it was read from, as the master sees it.
  std::string evidence;
  // A caveat about a known release, or why it is unknown.
  std::string note;
};

DetectedRelease DetectRelease(const InterpreterFacts& facts, const MasterFiles& files);

// The directories searched, in order, without reading anything but what
// names the interpreter (pyvenv.cfg, lib/). Exposed for tests and messages.
std::vector<std::string> SearchPath(const InterpreterFacts& facts, const MasterFiles& files);

// `version_info = (26, 2, 2)` or `__version__ = "20.1.0"` in a
// gunicorn/__init__.py.
std::optional<Release> ReleaseFromInitPy(absl::string_view content, std::string* text);

// "Version: 26.2.2" in a METADATA or PKG-INFO file.
std::optional<Release> ReleaseFromMetadata(absl::string_view content, std::string* text);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_VERSION_H_
