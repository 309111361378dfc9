#include "compose/invocation_finder.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "common/path_util.h"
#include "compose/shell_lexer.h"

namespace corral::compose {
namespace {

using Vars = std::map<std::string, Declared>;

// Nested `sh -c` deeper than this is not followed.
constexpr int kMaxShellDepth = 4;

bool IsShell(absl::string_view name) {
  return name == "sh" || name == "bash" || name == "dash" || name == "ash" || name == "zsh" || name == "ksh";
}

// Programs that run their arguments as a command after their own options.
bool IsPassThroughWrapper(absl::string_view name) {
  static const std::set<absl::string_view> kWrappers = {"exec",      "command",     "nohup",
                                                        "tini",      "tini-static", "dumb-init",
                                                        "catatonit", "ddtrace-run", "opentelemetry-instrument"};
  // Entrypoint scripts conventionally end with `exec "$@"`.
  return kWrappers.count(name) > 0 || absl::EndsWith(name, ".sh") || absl::StrContains(name, "entrypoint");
}

// Programs that take a user before the command.
bool IsUserWrapper(absl::string_view name) { return name == "gosu" || name == "su-exec" || name == "setuidgid"; }

// Programs whose `run` subcommand runs the command.
bool IsRunner(absl::string_view name) {
  return name == "poetry" || name == "pipenv" || name == "uv" || name == "pdm" || name == "hatch" || name == "rye" ||
         name == "newrelic-admin";
}

class InvocationFinder {
 public:
  explicit InvocationFinder(const DeclaredService& service) : service_(service) {}

  std::optional<GunicornInvocation> Find() { return InArgv(service_.command, service_.environment, 0); }

 private:
  Declared FromCommand(const std::string& value) const {
    return Declared{value, service_.command_origin, service_.command_declared_by};
  }

  void SkipOptions(const std::vector<std::string>& words, size_t& i) const {
    while (i < words.size() && absl::StartsWith(words[i], "-")) ++i;
  }

  std::optional<GunicornInvocation> InArgv(const std::vector<std::string>& words, Vars env, int depth) {
    size_t i = 0;
    // Prefix assignments (`WORKERS=3 gunicorn ...`) are the command's own
    // environment.
    while (i < words.size()) {
      std::optional<std::pair<std::string, std::string>> assignment = ParseAssignment(words[i]);
      if (!assignment) break;
      env[assignment->first] = FromCommand(assignment->second);
      ++i;
    }
    while (i < words.size()) {
      std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(i), words.end());
      if (std::optional<gunicorn::GunicornCommand> gunicorn = gunicorn::RecognizeGunicorn(rest)) {
        if (gunicorn->is_title()) return std::nullopt;
        return GunicornInvocation{std::move(rest), std::move(*gunicorn), std::move(env)};
      }
      const absl::string_view name = Basename(words[i]);
      if (IsShell(name)) {
        size_t j = i + 1;
        bool script = false;
        while (j < words.size() && words[j].size() > 1 && (words[j][0] == '-' || words[j][0] == '+')) {
          if (words[j] == "-o" || words[j] == "+o")
            ++j;
          else if (words[j][1] != '-' && absl::StrContains(words[j], 'c'))
            script = true;
          ++j;
        }
        if (!script || j >= words.size() || depth >= kMaxShellDepth) return std::nullopt;
        return InScript(words[j], env, depth + 1);
      }
      ++i;
      if (name == "env") {
        while (i < words.size()) {
          if (std::optional<std::pair<std::string, std::string>> a = ParseAssignment(words[i])) {
            env[a->first] = FromCommand(a->second);
          } else if (words[i] == "-u" && i + 1 < words.size()) {
            env.erase(words[++i]);
          } else if (!absl::StartsWith(words[i], "-")) {
            break;
          }
          ++i;
        }
      } else if (IsPassThroughWrapper(name)) {
        SkipOptions(words, i);
      } else if (IsUserWrapper(name)) {
        SkipOptions(words, i);
        ++i;
      } else if (IsRunner(name) && i < words.size() && (words[i] == "run" || words[i] == "run-program")) {
        ++i;
        SkipOptions(words, i);
      } else {
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // The first command of the script that runs Gunicorn. Assignments and
  // `export` on the way change the variables later commands see.
  std::optional<GunicornInvocation> InScript(const std::string& script, Vars env, int depth) {
    std::map<std::string, std::string> shell_vars;
    VarLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
      auto local = shell_vars.find(name);
      if (local != shell_vars.end()) return local->second;
      auto exported = env.find(name);
      if (exported != env.end()) return exported->second.value;
      return std::nullopt;
    };
    ShellLexer lexer(script);
    while (std::optional<std::vector<std::string>> words = lexer.Next(lookup)) {
      if (words->empty()) continue;
      if (std::all_of(words->begin(), words->end(),
                      [](const std::string& w) { return ParseAssignment(w).has_value(); })) {
        for (const std::string& word : *words) {
          auto [name, value] = *ParseAssignment(word);
          if (env.count(name) > 0) {
            env[name] = FromCommand(value);
          } else {
            shell_vars[name] = value;
          }
        }
        continue;
      }
      if ((*words)[0] == "export") {
        for (size_t k = 1; k < words->size(); ++k) {
          if (std::optional<std::pair<std::string, std::string>> a = ParseAssignment((*words)[k])) {
            env[a->first] = FromCommand(a->second);
            shell_vars.erase(a->first);
          } else if (auto local = shell_vars.find((*words)[k]); local != shell_vars.end()) {
            env[local->first] = FromCommand(local->second);
            shell_vars.erase(local);
          }
        }
        continue;
      }
      // `if ...; then exec gunicorn ...; fi`: a reserved word opens the command.
      static const std::set<absl::string_view> kReserved = {"if",    "then", "else", "elif", "while",
                                                            "until", "do",   "{",    "!"};
      auto first =
          std::find_if(words->begin(), words->end(), [](const std::string& w) { return kReserved.count(w) == 0; });
      words->erase(words->begin(), first);
      if (std::optional<GunicornInvocation> found = InArgv(*words, env, depth)) return found;
    }
    return std::nullopt;
  }

  const DeclaredService& service_;
};

}  // namespace

std::optional<GunicornInvocation> FindGunicornInvocation(const DeclaredService& service) {
  return InvocationFinder(service).Find();
}

}  // namespace corral::compose
