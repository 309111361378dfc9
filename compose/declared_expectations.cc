#include "compose/declared_expectations.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "gunicorn/args.h"
#include "gunicorn/command.h"
#include "gunicorn/config_loader.h"

namespace corral::compose {
namespace {

using Vars = std::map<std::string, Declared>;
using VarLookup = std::function<std::optional<std::string>(const std::string&)>;

// Brackets the source text of a shell expansion whose value is not declared
// ("\x1f${WORKERS}\x1f"), so a setting built from it can be recognised and
// left out instead of being expected as the literal text.
constexpr char kUnresolved = '\x1f';

// Nested `sh -c` deeper than this is not followed.
constexpr int kMaxShellDepth = 4;

bool IsNameStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// "NAME=value" as a shell reads an assignment word.
std::optional<std::pair<std::string, std::string>> Assignment(const std::string& word) {
  const size_t eq = word.find('=');
  if (eq == std::string::npos || eq == 0 || !IsNameStart(word[0])) return std::nullopt;
  for (size_t i = 1; i < eq; ++i) {
    if (!IsNameChar(word[i])) return std::nullopt;
  }
  return std::make_pair(word.substr(0, eq), word.substr(eq + 1));
}

std::string StripMarkers(const std::string& text) {
  std::string out = text;
  out.erase(std::remove(out.begin(), out.end(), kUnresolved), out.end());
  return out;
}

// The expansions in `text` that had no value, as written ("${WORKERS}").
void CollectUnresolved(const std::string& text, std::set<std::string>* out) {
  size_t start = text.find(kUnresolved);
  while (start != std::string::npos) {
    const size_t end = text.find(kUnresolved, start + 1);
    if (end == std::string::npos) return;
    out->insert(text.substr(start + 1, end - start - 1));
    start = text.find(kUnresolved, end + 1);
  }
}

// Quotes a word as Python's shlex.quote does, so ShlexSplit reads it back.
std::string ShellQuote(const std::string& word) {
  if (word.empty()) return "''";
  const bool safe = std::all_of(word.begin(), word.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           absl::string_view("@%+=:,./-_").find(c) != absl::string_view::npos;
  });
  if (safe) return word;
  return absl::StrCat("'", absl::StrReplaceAll(word, {{"'", "'\"'\"'"}}), "'");
}

std::string ShellJoin(const std::vector<std::string>& words) {
  return absl::StrJoin(words, " ",
                       [](std::string* out, const std::string& w) { out->append(ShellQuote(StripMarkers(w))); });
}

absl::string_view Basename(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

// Splits a POSIX shell script into simple commands, one at a time, so that
// assignments in one command can affect the expansion of the next. Handles
// quotes, backslashes, comments, the separators ; & && | || ( ) and
// newlines, redirections (dropped), and parameter expansion ($VAR, ${VAR},
// ${VAR:-word}, ${VAR:+word}, ...) with field splitting of unquoted values.
// Command substitution and special parameters are left unresolved.
class ShellLexer {
 public:
  explicit ShellLexer(absl::string_view script) : s_(script) {}

  // The next simple command's words; nullopt after the last one.
  std::optional<std::vector<std::string>> Next(const VarLookup& lookup) {
    if (pos_ >= s_.size()) return std::nullopt;
    words_.clear();
    word_.clear();
    in_word_ = false;
    drop_next_ = false;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r') {
        Finish();
        ++pos_;
      } else if (c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')') {
        Finish();
        ++pos_;
        if (c != '\n' && c != '(' && c != ')' && pos_ < s_.size() && s_[pos_] == c) ++pos_;
        return words_;
      } else if (c == '#' && !in_word_) {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else if (c == '<' || c == '>') {
        // "2>&1", "> log", ">>log": the operator and its target are not
        // arguments.
        if (in_word_ && !word_.empty() && std::all_of(word_.begin(), word_.end(), absl::ascii_isdigit)) {
          word_.clear();
          in_word_ = false;
        }
        Finish();
        while (pos_ < s_.size() && absl::string_view("<>&|").find(s_[pos_]) != absl::string_view::npos) ++pos_;
        drop_next_ = true;
      } else if (c == '\\') {
        if (pos_ + 1 < s_.size() && s_[pos_ + 1] != '\n') {
          word_.push_back(s_[pos_ + 1]);
          in_word_ = true;
        }
        pos_ += 2;
      } else if (c == '\'') {
        size_t end = s_.find('\'', pos_ + 1);
        if (end == absl::string_view::npos) end = s_.size();
        word_.append(s_.data() + pos_ + 1, end - pos_ - 1);
        in_word_ = true;
        pos_ = end + 1;
      } else if (c == '"') {
        DoubleQuoted(lookup);
      } else if (c == '$') {
        Dollar(lookup, /*quoted=*/false);
      } else if (c == '`') {
        Backtick();
      } else {
        word_.push_back(c);
        in_word_ = true;
        ++pos_;
      }
    }
    Finish();
    return words_;
  }

 private:
  void Finish() {
    if (!in_word_) return;
    if (drop_next_) {
      drop_next_ = false;
    } else {
      words_.push_back(word_);
    }
    word_.clear();
    in_word_ = false;
  }

  void Unresolved(size_t start) {
    word_.push_back(kUnresolved);
    word_.append(s_.data() + start, pos_ - start);
    word_.push_back(kUnresolved);
    in_word_ = true;
  }

  void DoubleQuoted(const VarLookup& lookup) {
    ++pos_;
    in_word_ = true;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      const char d = s_[pos_];
      if (d == '\\' && pos_ + 1 < s_.size() &&
          absl::string_view("$`\"\\\n").find(s_[pos_ + 1]) != absl::string_view::npos) {
        if (s_[pos_ + 1] != '\n') word_.push_back(s_[pos_ + 1]);
        pos_ += 2;
      } else if (d == '$') {
        Dollar(lookup, /*quoted=*/true);
      } else if (d == '`') {
        Backtick();
      } else {
        word_.push_back(d);
        ++pos_;
      }
    }
    ++pos_;
  }

  void Backtick() {
    const size_t start = pos_;
    size_t end = s_.find('`', pos_ + 1);
    pos_ = end == absl::string_view::npos ? s_.size() : end + 1;
    Unresolved(start);
  }

  // Skips to just past the bracket closing the one at pos_.
  void SkipBalanced(char open, char close) {
    int depth = 0;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == open) ++depth;
      if (c == close && --depth == 0) return;
    }
  }

  void Dollar(const VarLookup& lookup, bool quoted) {
    const size_t start = pos_++;
    const char next = pos_ < s_.size() ? s_[pos_] : '\0';
    std::optional<std::string> value;
    if (next == '{') {
      SkipBalanced('{', '}');
      absl::string_view inner = s_.substr(start + 2, pos_ - start - 3);
      value = Braced(inner, lookup);
    } else if (next == '(') {
      SkipBalanced('(', ')');
    } else if (IsNameStart(next)) {
      size_t end = pos_;
      while (end < s_.size() && IsNameChar(s_[end])) ++end;
      value = lookup(std::string(s_.substr(pos_, end - pos_)));
      pos_ = end;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(next)) ||
               (next != '\0' && absl::string_view("@*#?$!-").find(next) != absl::string_view::npos)) {
      ++pos_;
    } else {
      word_.push_back('$');
      in_word_ = true;
      return;
    }
    if (!value) {
      Unresolved(start);
      return;
    }
    if (quoted) {
      word_.append(*value);
      in_word_ = true;
      return;
    }
    for (char ch : *value) {
      if (ch == ' ' || ch == '\t' || ch == '\n') {
        Finish();
      } else {
        word_.push_back(ch);
        in_word_ = true;
      }
    }
  }

  // NAME, NAME:-word, NAME-word, NAME:=word, NAME:+word, NAME:?word; other
  // forms (${#NAME}, ${NAME%suffix}, ...) are not evaluated. A word that
  // itself expands something is not evaluated either.
  static std::optional<std::string> Braced(absl::string_view inner, const VarLookup& lookup) {
    size_t n = 0;
    while (n < inner.size() && IsNameChar(inner[n])) ++n;
    if (n == 0 || !IsNameStart(inner[0])) return std::nullopt;
    const std::optional<std::string> value = lookup(std::string(inner.substr(0, n)));
    absl::string_view rest = inner.substr(n);
    if (rest.empty()) return value;
    const bool colon = absl::ConsumePrefix(&rest, ":");
    if (rest.empty()) return std::nullopt;
    const char op = rest[0];
    const std::string word(rest.substr(1));
    const bool missing = !value || (colon && value->empty());
    if (word.find_first_of("$`\\'\"") != std::string::npos) return missing || op == '+' ? std::nullopt : value;
    switch (op) {
      case '-':
      case '=':
        return missing ? word : *value;
      case '+':
        return missing ? std::string() : word;
      case '?':
        return missing ? std::nullopt : value;
      default:
        return std::nullopt;
    }
  }

  absl::string_view s_;
  size_t pos_ = 0;
  std::vector<std::string> words_;
  std::string word_;
  bool in_word_ = false;
  bool drop_next_ = false;
};

// A Gunicorn invocation found in a command.
struct Invocation {
  // From the launcher on: "gunicorn --workers 3 app:app".
  std::vector<std::string> argv;
  gunicorn::GunicornCommand command;
  // The environment Gunicorn starts with.
  Vars environ;
};

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

  std::optional<Invocation> Find() { return InArgv(service_.command, service_.environment, 0); }

 private:
  Declared FromCommand(const std::string& value) const {
    return Declared{value, service_.command_origin, service_.command_declared_by};
  }

  void SkipOptions(const std::vector<std::string>& words, size_t& i) const {
    while (i < words.size() && absl::StartsWith(words[i], "-")) ++i;
  }

  std::optional<Invocation> InArgv(const std::vector<std::string>& words, Vars env, int depth) {
    size_t i = 0;
    // Prefix assignments (`WORKERS=3 gunicorn ...`) are the command's own
    // environment.
    while (i < words.size()) {
      std::optional<std::pair<std::string, std::string>> assignment = Assignment(words[i]);
      if (!assignment) break;
      env[assignment->first] = FromCommand(assignment->second);
      ++i;
    }
    while (i < words.size()) {
      std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(i), words.end());
      if (std::optional<gunicorn::GunicornCommand> gunicorn = gunicorn::RecognizeGunicorn(rest)) {
        if (gunicorn->is_title()) return std::nullopt;
        return Invocation{std::move(rest), std::move(*gunicorn), std::move(env)};
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
          if (std::optional<std::pair<std::string, std::string>> a = Assignment(words[i])) {
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
  std::optional<Invocation> InScript(const std::string& script, Vars env, int depth) {
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
      if (std::all_of(words->begin(), words->end(), [](const std::string& w) { return Assignment(w).has_value(); })) {
        for (const std::string& word : *words) {
          auto [name, value] = *Assignment(word);
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
          if (std::optional<std::pair<std::string, std::string>> a = Assignment((*words)[k])) {
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
      if (std::optional<Invocation> found = InArgv(*words, env, depth)) return found;
    }
    return std::nullopt;
  }

  const DeclaredService& service_;
};

constexpr const char* kLoaderVariables[] = {"GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "PORT"};

}  // namespace

ImportedExpectations ExpectationsFromDeclaration(const DeclaredService& service) {
  ImportedExpectations out;
  out.expectations.set_service(service.name);
  std::map<std::string, corral::v1::Expectation> by_key;
  auto expect = [&](const std::string& key, const std::string& value, const std::string& origin,
                    const std::string& declared_by) {
    corral::v1::Expectation& e = by_key[key];
    e.set_key(key);
    e.set_value(value);
    e.set_origin(origin);
    e.set_declared_by(declared_by);
  };
  auto warn = [&](const std::string& what) { out.warnings.push_back(absl::StrCat(service.name, ": ", what)); };
  auto finish = [&] {
    for (auto& [key, e] : by_key) *out.expectations.add_expectations() = std::move(e);
    return std::move(out);
  };

  if (service.replicas)
    expect("replicas", service.replicas->value, service.replicas->origin, service.replicas->declared_by);
  if (service.build_revision) {
    expect("build_revision", service.build_revision->value, service.build_revision->origin,
           service.build_revision->declared_by);
  }
  const std::string only =
      service.build_revision ? "only replicas and build_revision imported" : "only replicas imported";

  if (service.command.empty()) {
    warn(absl::StrCat("no command is known for it",
                      service.image.empty() ? "" : absl::StrCat(" (the image ", service.image, " may set one)"), "; ",
                      only));
    return finish();
  }
  std::optional<Invocation> invocation = InvocationFinder(service).Find();
  if (!invocation) {
    warn(absl::StrCat("its command (", ShellJoin(service.command), ") does not run Gunicorn; ", only));
    return finish();
  }

  gunicorn::LoaderInputs inputs;
  inputs.args = invocation->command.args;
  inputs.environ.emplace();
  for (const auto& [name, declared] : invocation->environ) inputs.environ->emplace_back(name, declared.value);
  inputs.read_file = [](const std::string& path) -> absl::StatusOr<gunicorn::MasterFile> {
    return absl::NotFoundError(absl::StrCat(path, " is inside the image"));
  };
  gunicorn::ReconstructedConfig config = gunicorn::ReconstructConfig(inputs);

  auto variable = [&](const std::string& name) -> const Declared* {
    auto it = invocation->environ.find(name);
    return it == invocation->environ.end() ? nullptr : &it->second;
  };
  for (const auto& [key, setting] : config.settings) {
    const std::string& source = setting.source();
    if (absl::StrContains(setting.value(), kUnresolved)) continue;
    if (source == gunicorn::kSourceCmdline) {
      expect(key, setting.value(), service.command_origin, service.command_declared_by);
    } else if (source == gunicorn::kSourceCmdArgs || source == gunicorn::kSourceEnv) {
      // An env setting's note names the variable: "WEB_CONCURRENCY=4".
      const std::string name =
          source == gunicorn::kSourceCmdArgs ? "GUNICORN_CMD_ARGS" : setting.note().substr(0, setting.note().find('='));
      const Declared* from = variable(name);
      expect(key, setting.value(), from ? from->origin : service.command_origin,
             from ? from->declared_by : service.command_declared_by);
    }
  }

  std::set<std::string> unresolved;
  for (const std::string& word : invocation->argv) CollectUnresolved(word, &unresolved);
  for (const char* name : kLoaderVariables) {
    if (const Declared* v = variable(name)) CollectUnresolved(v->value, &unresolved);
  }
  if (unresolved.empty()) {
    expect("command", ShellJoin(invocation->argv), service.command_origin, service.command_declared_by);
  } else {
    warn(absl::StrCat("its command (", service.command_origin, ") uses ", absl::StrJoin(unresolved, ", "),
                      ", which the compose files and Dockerfile do not declare; the command and the settings that "
                      "depend on it are not imported"));
  }
  for (const corral::v1::Warning& w : config.warnings) {
    if ((w.code() == "ARGV_UNPARSED" || w.code() == "CONFIG_VALUE_INVALID") &&
        !absl::StrContains(w.message(), kUnresolved)) {
      warn(absl::StrCat(w.message(), " (", service.command_origin, ")"));
    }
  }

  const gunicorn::ParsedArgs parsed = gunicorn::ParseGunicornArgs(invocation->command.args, gunicorn::NewestTable());
  auto config_flag = [](const gunicorn::ParsedArgs& args) -> std::optional<std::string> {
    auto it = args.options.find("config");
    if (it == args.options.end() || it->second.texts.empty()) return std::nullopt;
    return it->second.texts.back();
  };
  std::optional<std::string> config_file = config_flag(parsed);
  std::string chosen_by = absl::StrCat("-c at ", service.command_origin);
  if (!config_file) {
    if (const Declared* cmd_args = variable("GUNICORN_CMD_ARGS")) {
      absl::StatusOr<std::vector<std::string>> words = gunicorn::ShlexSplit(cmd_args->value);
      if (words.ok()) config_file = config_flag(gunicorn::ParseGunicornArgs(*words, gunicorn::NewestTable()));
      chosen_by = absl::StrCat("-c in GUNICORN_CMD_ARGS at ", cmd_args->origin);
    }
  }
  if (config_file) {
    warn(absl::StrCat("Gunicorn loads the config file ", StripMarkers(*config_file), " (", chosen_by,
                      "); values set in it are not imported"));
  } else {
    warn(
        "no -c is given, so Gunicorn loads gunicorn.conf.py from the container's working directory if the image "
        "has one; values set in it are not imported");
  }
  return finish();
}

}  // namespace corral::compose
