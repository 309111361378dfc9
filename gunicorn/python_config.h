// Static evaluation of a Gunicorn config file (Python) without running it.
//
// Gunicorn executes its config file and keeps the module's top-level names
// that are settings. The agent never executes Python; it evaluates what is
// safe to evaluate statically:
//   literals (numbers, strings, f-strings, lists, tuples, dicts, True/False/
//   None); arithmetic, comparisons, `and`/`or`/`not`, `x if c else y`;
//   names assigned earlier in the file; `import os`, `import multiprocessing`
//   and `from ... import ...` of them; os.environ.get / os.getenv /
//   os.environ[...] with the master's environment; os.cpu_count() and
//   multiprocessing.cpu_count() with the CPU count Python sees; int(), str(),
//   float(), bool(), len(), abs(), min(), max(); str.split/strip/lower/upper/
//   format, `%` formatting; list.append/extend; `if`/`elif`/`else` whose
//   condition can be evaluated.
// Everything else -- function calls into the application, loops, try blocks,
// conditions that cannot be evaluated -- makes the affected names Unknown,
// with the reason and the expression text. Nothing is guessed.
#ifndef CORRAL_GUNICORN_PYTHON_CONFIG_H_
#define CORRAL_GUNICORN_PYTHON_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gunicorn/python_value.h"

namespace corral::gunicorn {

struct PythonConfigContext {
  // The environment os.environ holds in the master; nullopt when unknown.
  std::optional<std::vector<std::pair<std::string, std::string>>> environ;
  // Why the environment is unknown ("erased by setproctitle", ...).
  std::string environ_unknown_reason;
  // What os.cpu_count() returns in the master; 0 when unknown.
  int cpu_count = 0;
  // The file's path, for __file__.
  std::string file_path;
};

// A top-level name of the file after evaluation.
struct PythonBinding {
  PyValue value;
  // Line of the statement that last set it.
  int line = 0;
  // Source text of the expression assigned (single line, whitespace folded).
  std::string expression;
};

struct PythonConfigResult {
  std::map<std::string, PythonBinding> names;
  // Things a reader should know: dynamic namespace use, star imports.
  std::vector<std::string> notes;
  // True when a setting-relevant value used os.cpu_count() or
  // multiprocessing.cpu_count().
  bool used_cpu_count = false;
};

// Evaluates `source`. Fails only when the file would not even compile
// (unterminated string, unbalanced brackets), as Gunicorn would.
absl::StatusOr<PythonConfigResult> EvaluatePythonConfig(absl::string_view source, const PythonConfigContext& context);

// Python's int(text) for base 10 and int(text, 0) for base 0: surrounding
// whitespace, a sign, underscores between digits, and for base 0 the
// 0x/0o/0b prefixes (a leading zero in a decimal literal is an error).
std::optional<int64_t> ParsePythonInt(absl::string_view text, int base);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_PYTHON_CONFIG_H_
