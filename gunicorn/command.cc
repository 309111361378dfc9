#include "gunicorn/command.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/path_util.h"

namespace corral::gunicorn {
namespace {

GunicornCommand Launched(const char* launcher, const std::vector<std::string>& argv, size_t first_arg) {
  GunicornCommand command;
  command.launcher = launcher;
  command.args.assign(argv.begin() + static_cast<std::ptrdiff_t>(std::min(first_arg, argv.size())), argv.end());
  return command;
}

// "python", "python3", "python3.11", "pypy3".
bool IsPythonInterpreter(absl::string_view path) {
  absl::string_view name = Basename(path);
  if (absl::ConsumePrefix(&name, "python") || absl::ConsumePrefix(&name, "pypy")) {
    for (char c : name) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
    }
    return true;
  }
  return false;
}

bool IsGunicornScript(absl::string_view path) {
  absl::string_view name = Basename(path);
  return name == "gunicorn" || name == "gunicorn3";
}

bool IsGunicornModule(absl::string_view module) { return module == "gunicorn" || module == "gunicorn.app.wsgiapp"; }

std::optional<GunicornCommand> FromTitle(absl::string_view title) {
  if (!absl::ConsumePrefix(&title, "gunicorn: ")) return std::nullopt;
  GunicornCommand command;
  command.launcher = "title";
  size_t bracket = title.find(" [");
  if (bracket == absl::string_view::npos) {
    command.title_role = std::string(title);
    command.title_truncated = true;
  } else {
    command.title_role = std::string(title.substr(0, bracket));
    absl::string_view name = title.substr(bracket + 2);
    if (absl::ConsumeSuffix(&name, "]")) {
      command.title_name = std::string(name);
    } else {
      command.title_name = std::string(name);
      command.title_truncated = true;
    }
  }
  // A truncated role ("mast") still tells master from worker.
  for (const char* role : {"master", "worker"}) {
    if (command.title_truncated && !command.title_role.empty() && absl::StartsWith(role, command.title_role)) {
      command.title_role = role;
    }
  }
  return command;
}

// Walks CPython's own options to find the script or -m module.
std::optional<GunicornCommand> FromPython(const std::vector<std::string>& argv) {
  for (size_t i = 1; i < argv.size(); ++i) {
    absl::string_view arg = argv[i];
    if (arg == "-" || arg.empty()) return std::nullopt;
    if (arg[0] != '-') {
      if (!IsGunicornScript(arg)) return std::nullopt;
      return Launched("python script", argv, i + 1);
    }
    if (absl::StartsWith(arg, "--")) {
      if (arg == "--check-hash-based-pycs") ++i;  // takes a value
      continue;
    }
    // A cluster of short options such as -u, -OO, -Wignore, -mgunicorn.
    for (size_t j = 1; j < arg.size(); ++j) {
      char option = arg[j];
      if (option == 'c') return std::nullopt;  // python -c CODE
      if (option == 'm' || option == 'W' || option == 'X') {
        absl::string_view value;
        if (j + 1 < arg.size()) {
          value = arg.substr(j + 1);
        } else if (i + 1 < argv.size()) {
          value = argv[++i];
        }
        if (option == 'm') {
          if (!IsGunicornModule(value)) return std::nullopt;
          return Launched("python -m gunicorn", argv, i + 1);
        }
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<GunicornCommand> RecognizeGunicorn(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::nullopt;
  if (absl::StartsWith(argv[0], "gunicorn: ")) return FromTitle(argv[0]);
  if (IsGunicornScript(argv[0])) {
    return Launched("gunicorn", argv, 1);
  }
  if (IsPythonInterpreter(argv[0])) return FromPython(argv);
  return std::nullopt;
}

bool MightBeGunicorn(absl::string_view comm) {
  return absl::StartsWith(comm, "gunicorn") || absl::StartsWith(comm, "python") || absl::StartsWith(comm, "pypy");
}

}  // namespace corral::gunicorn
