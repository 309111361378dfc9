#include "agent/gunicorn_config.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/gunicorn_args.h"
#include "agent/gunicorn_settings.h"
#include "agent/procfs.h"
#include "agent/python_config.h"

namespace corral::agent {

int EditDistance(const std::string& a, const std::string& b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

namespace {

using corral::v1::Setting;
using Environ = std::vector<std::pair<std::string, std::string>>;

constexpr char kAppUri[] = "app_uri";

std::string JoinPath(const std::string& dir, const std::string& path) {
  if (absl::StartsWith(path, "/")) return path;
  if (dir.empty()) return "";
  return absl::StrCat(absl::StripSuffix(dir, "/"), "/", path);
}

// os.path.normpath for absolute paths.
std::string NormalizePath(const std::string& path) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return "/" + absl::StrJoin(parts, "/");
}

// A validated value: what Gunicorn stores, shown as text.
struct Validated {
  std::string display;
  PyValue value;
};

std::string Display(const PyValue& v) {
  switch (v.kind) {
    case PyValue::Kind::kNone:
      return "";
    case PyValue::Kind::kBool:
      return v.boolean ? "true" : "false";
    case PyValue::Kind::kList:
    case PyValue::Kind::kTuple:
      return absl::StrJoin(v.items, ",", [](std::string* out, const PyValue& item) { out->append(Display(item)); });
    default:
      return v.ToStr();
  }
}

// Gunicorn's validate_* functions, applied to a value from any source.
// `cwd` resolves relative chdir values.
absl::StatusOr<Validated> Validate(const GunicornSetting& setting, const PyValue& v, const std::string& cwd) {
  using K = PyValue::Kind;
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value for ", setting.name, ": ", v.Repr(), " (", why, ")"));
  };
  switch (setting.validator) {
    case Validator::kPosInt: {
      int64_t n = 0;
      if (v.kind == K::kInt || v.kind == K::kBool) {
        n = v.integer;
      } else if (v.kind == K::kStr) {
        std::optional<int64_t> parsed = ParsePythonInt(v.text, 0);
        if (!parsed) return invalid("not an integer");
        n = *parsed;
      } else {
        return invalid(absl::StrCat("a ", v.TypeName(), " is not an integer"));
      }
      if (n < 0) return invalid("must be positive");
      return Validated{absl::StrCat(n), PyValue::Int(n)};
    }
    case Validator::kBool: {
      if (v.kind == K::kNone) return Validated{"", v};
      if (v.kind == K::kBool) return Validated{Display(v), v};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a boolean"));
      std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v.text));
      if (lower == "true") return Validated{"true", PyValue::Bool(true)};
      if (lower == "false") return Validated{"false", PyValue::Bool(false)};
      return invalid("not true or false");
    }
    case Validator::kString:
    case Validator::kClass:
    case Validator::kHostPort:
    case Validator::kReloadEngine: {
      if (v.kind == K::kNone) return Validated{"", v};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a string"));
      std::string text(absl::StripAsciiWhitespace(v.text));
      if (setting.validator == Validator::kHostPort && !text.empty() &&
          std::count(text.begin(), text.end(), ':') != 1) {
        return invalid("must be hostname:port");
      }
      if (setting.validator == Validator::kReloadEngine && text != "auto" && text != "poll" && text != "inotify") {
        return invalid("not auto, poll or inotify");
      }
      return Validated{text, PyValue::Str(text)};
    }
    case Validator::kListString: {
      std::optional<bool> truth = v.Truthy();
      if (truth && !*truth) return Validated{"", PyValue::List({})};
      std::vector<PyValue> items;
      if (v.kind == K::kStr) {
        items.push_back(PyValue::Str(std::string(absl::StripAsciiWhitespace(v.text))));
      } else if (v.is_sequence()) {
        for (const PyValue& item : v.items) {
          if (item.kind != K::kStr) return invalid(absl::StrCat("a ", item.TypeName(), " in the list is not a string"));
          items.push_back(PyValue::Str(std::string(absl::StripAsciiWhitespace(item.text))));
        }
      } else {
        return invalid(absl::StrCat("a ", v.TypeName(), " is not a list of strings"));
      }
      PyValue list = PyValue::List(std::move(items));
      return Validated{Display(list), list};
    }
    case Validator::kStringToList: {
      if (v.kind == K::kNone) return Validated{"", PyValue::List({})};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a string"));
      std::vector<PyValue> items;
      for (absl::string_view part : absl::StrSplit(absl::StripAsciiWhitespace(v.text), ',', absl::SkipEmpty())) {
        items.push_back(PyValue::Str(std::string(absl::StripAsciiWhitespace(part))));
      }
      PyValue list = PyValue::List(std::move(items));
      return Validated{Display(list), list};
    }
    case Validator::kUser:
    case Validator::kGroup: {
      if (v.kind == K::kInt) return Validated{absl::StrCat(v.integer), v};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a user or group"));
      return Validated{v.text, v};
    }
    case Validator::kChdir: {
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a path"));
      std::string text(absl::StripAsciiWhitespace(v.text));
      std::string joined = JoinPath(cwd, text);
      if (joined.empty()) return Validated{text, PyValue::Str(text)};
      std::string normalized = NormalizePath(joined);
      return Validated{normalized, PyValue::Str(normalized)};
    }
    case Validator::kDict:
    case Validator::kCallable:
    case Validator::kSslVersion:
      return Validated{Display(v), v};
  }
  return Validated{Display(v), v};
}

// argparse's `type=` conversion of a flag's text(s).
absl::StatusOr<PyValue> FlagValue(const OptionValue& option) {
  const GunicornSetting& s = *option.setting;
  switch (s.action) {
    case ArgAction::kStoreTrue:
      return PyValue::Bool(true);
    case ArgAction::kStoreConst:
      return PyValue::Bool(absl::string_view(s.const_value) == "true");
    case ArgAction::kAppend: {
      std::vector<PyValue> items;
      for (const std::string& text : option.texts) items.push_back(PyValue::Str(text));
      return PyValue::List(std::move(items));
    }
    case ArgAction::kStore:
    case ArgAction::kNoFlag:
      break;
  }
  if (option.texts.empty()) return absl::InvalidArgumentError(absl::StrCat(option.spelling, " has no value"));
  const std::string& text = option.texts.back();
  if (s.type == ArgType::kInt || s.type == ArgType::kAutoInt) {
    std::string literal = text;
    // auto_int: a leading zero followed by a digit means octal ("022").
    if (s.type == ArgType::kAutoInt && literal.size() > 1 && literal[0] == '0' &&
        absl::ascii_isdigit(static_cast<unsigned char>(literal[1]))) {
      literal = "0o" + literal.substr(1);
    }
    std::optional<int64_t> n = ParsePythonInt(literal, s.type == ArgType::kInt ? 10 : 0);
    if (!n)
      return absl::InvalidArgumentError(
          absl::StrCat("argument ", option.spelling, ": invalid int value: '", text, "'"));
    return PyValue::Int(*n);
  }
  return PyValue::Str(text);
}

class Reconstruction {
 public:
  explicit Reconstruction(const LoaderInputs& in) : in_(in) {}

  ReconstructedConfig Run() {
    RecordInputs();
    ResolveArgs();
    ResolveStartDirectory();
    ApplyDefaults();
    LoadConfigFile();
    ApplyFlags(env_args_, kSourceCmdArgs);
    ApplyFlags(args_, kSourceCmdline);
    ResolveAppUri();
    MarkWhatErasedInputsCouldOverride();
    DeriveWorkerClass();
    const Setting& app_uri = out_.settings[kAppUri];
    if (app_uri.source() != kSourceUnknown) out_.app_uri = app_uri.value();
    return std::move(out_);
  }

 private:
  void Warn(const std::string& code, const std::string& message) {
    corral::v1::Warning w;
    w.set_code(code);
    w.set_message(message);
    out_.warnings.push_back(std::move(w));
  }

  Setting& Set(const std::string& name, const std::string& value, const std::string& source) {
    Setting& s = out_.settings[name];
    s.Clear();
    s.set_value(value);
    s.set_source(source);
    return s;
  }

  Setting& SetUnknown(const std::string& name, const std::string& note) {
    Setting& s = Set(name, "", kSourceUnknown);
    s.set_note(note);
    return s;
  }

  std::optional<std::string> Env(absl::string_view name) const {
    if (!in_.environ) return std::nullopt;
    return LookupEnv(*in_.environ, name);
  }

  void RecordInputs() {
    corral::v1::ConfigInputs& inputs = out_.inputs;
    inputs.set_argv_erased(in_.argv_erased);
    inputs.set_environ_erased(in_.environ_erased);
    inputs.set_argv_error(in_.argv_error);
    inputs.set_environ_error(in_.environ_error);
    inputs.set_python_cpu_count(in_.python_cpu_count);
    if (in_.environ) {
      for (const char* name : {"GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "PORT", "SPT_NOENV"}) {
        if (std::optional<std::string> v = Env(name)) (*inputs.mutable_loader_environment())[name] = *v;
      }
      // Images that bake their revision into the environment let the server
      // tell a stale image from a current one even when argv is erased.
      for (const char* name : {"CORRAL_BUILD_REVISION", "OCI_IMAGE_REVISION"}) {
        std::optional<std::string> v = Env(name);
        if (!v || v->empty()) continue;
        inputs.set_build_revision(*v);
        inputs.set_build_revision_variable(name);
        break;
      }
    }
    if (in_.argv_erased || in_.environ_erased) {
      std::string what = in_.argv_erased && in_.environ_erased ? "command line and environment"
                         : in_.argv_erased                     ? "command line"
                                                               : "environment";
      std::string how =
          in_.environ_erased
              ? "set SPT_NOENV=1 in the master's environment so setproctitle keeps it, and pass flags through "
                "GUNICORN_CMD_ARGS or a config file instead of the command line"
              : "pass flags through GUNICORN_CMD_ARGS (kept visible by SPT_NOENV=1) or a config file instead of "
                "the command line";
      Warn("SETTINGS_UNKNOWABLE",
           absl::StrCat("setproctitle erased the master's ", what,
                        "; settings that could come from there are reported as unknown. To make them visible: ", how,
                        " (Corral's exact-config hook will close this gap entirely)."));
    }
  }

  void ResolveArgs() {
    if (in_.args) {
      args_ = ParseGunicornArgs(*in_.args);
      for (const std::string& problem : args_->problems) {
        Warn("ARGV_UNPARSED", absl::StrCat("command line: ", problem,
                                           " (Gunicorn refuses this; Corral's table of Gunicorn flags may differ "
                                           "from this Gunicorn's version)"));
      }
    }
    if (std::optional<std::string> cmd_args = Env("GUNICORN_CMD_ARGS")) {
      absl::StatusOr<std::vector<std::string>> words = ShlexSplit(*cmd_args);
      if (!words.ok()) {
        Warn("ARGV_UNPARSED", absl::StrCat("GUNICORN_CMD_ARGS: ", words.status().message()));
        env_args_ = ParsedArgs();
      } else {
        env_args_ = ParseGunicornArgs(*words);
        for (const std::string& problem : env_args_->problems) {
          Warn("ARGV_UNPARSED", absl::StrCat("GUNICORN_CMD_ARGS: ", problem));
        }
      }
    } else if (in_.environ) {
      env_args_ = ParsedArgs();  // known to be absent
    }
  }

  bool FlagSets(const std::optional<ParsedArgs>& parsed, const char* name) const {
    return parsed && parsed->options.count(name) > 0;
  }

  // Gunicorn resolves the config file against the directory it started in;
  // /proc/PID/cwd is where it is now, which differs only when chdir moved it.
  void ResolveStartDirectory() {
    start_dir_ = in_.cwd;
    if (start_dir_.empty()) start_dir_note_ = "the master's working directory is unreadable";
    if (FlagSets(args_, "chdir") || FlagSets(env_args_, "chdir")) {
      std::optional<std::string> pwd = Env("PWD");
      start_dir_ = pwd ? *pwd : "";
      start_dir_note_ = pwd ? "the starting directory is taken from $PWD because --chdir moved the master"
                            : "--chdir moved the master and $PWD is not visible, so its starting directory is unknown";
    }
  }

  void ApplyDefaults() {
    for (const GunicornSetting& s : GunicornSettings()) {
      if (!s.reported) continue;
      Set(s.name, s.default_value, kSourceDefault);
    }
    const std::string environ_reason = EnvironUnknownReason();
    if (!in_.environ) {
      SetUnknown("workers", absl::StrCat("defaults to $WEB_CONCURRENCY, but ", environ_reason)).set_default_value("1");
      SetUnknown("bind", absl::StrCat("defaults to 0.0.0.0:$PORT when PORT is set, but ", environ_reason))
          .set_default_value("127.0.0.1:8000");
    } else {
      if (std::optional<std::string> wc = Env("WEB_CONCURRENCY")) {
        std::optional<int64_t> n = ParsePythonInt(*wc, 10);
        if (n) {
          Set("workers", absl::StrCat(*n), kSourceEnv).set_note(absl::StrCat("WEB_CONCURRENCY=", *wc));
        } else {
          SetUnknown("workers", absl::StrCat("WEB_CONCURRENCY='", *wc, "' is not an integer"));
        }
      }
      if (std::optional<std::string> port = Env("PORT")) {
        Set("bind", absl::StrCat("0.0.0.0:", *port), kSourceEnv).set_note(absl::StrCat("PORT=", *port));
      }
    }
    if (start_dir_.empty()) {
      SetUnknown("chdir", start_dir_note_.empty() ? "the working directory is unknown" : start_dir_note_);
    } else {
      Set("chdir", start_dir_, kSourceDefault);
    }
    if (in_.uid) {
      Set("user", absl::StrCat(*in_.uid), kSourceDefault).set_note("the master's effective uid");
    } else {
      SetUnknown("user", "the master's uid is unreadable");
    }
    if (in_.gid) {
      Set("group", absl::StrCat(*in_.gid), kSourceDefault).set_note("the master's effective gid");
    } else {
      SetUnknown("group", "the master's gid is unreadable");
    }
  }

  std::string EnvironUnknownReason() const {
    if (in_.environ_erased) return "setproctitle erased the environment";
    if (!in_.environ_error.empty()) return absl::StrCat("the environment is unreadable (", in_.environ_error, ")");
    return "the environment is unknown";
  }

  std::string ArgvUnknownReason() const {
    if (in_.argv_erased) return "setproctitle erased the command line";
    if (!in_.argv_error.empty()) return absl::StrCat("the command line is unreadable (", in_.argv_error, ")");
    return "the command line is unknown";
  }

  // Picks the one config file Gunicorn loaded and evaluates it.
  void LoadConfigFile() {
    std::string location;
    std::string source;
    std::string caveat;
    auto flag_config = [](const std::optional<ParsedArgs>& parsed) -> std::optional<std::string> {
      if (!parsed) return std::nullopt;
      auto it = parsed->options.find("config");
      if (it == parsed->options.end() || it->second.texts.empty()) return std::nullopt;
      return it->second.texts.back();
    };
    if (std::optional<std::string> c = flag_config(args_)) {
      location = *c;
      source = kSourceCmdline;
    } else if (std::optional<std::string> c = flag_config(env_args_)) {
      location = *c;
      source = kSourceCmdArgs;
      if (!args_) caveat = absl::StrCat("unless -c on the command line chose another file (", ArgvUnknownReason(), ")");
    } else {
      location = "gunicorn.conf.py";
      source = kSourceDefault;
      if (!args_) {
        caveat = absl::StrCat("unless -c on the command line chose another file (", ArgvUnknownReason(), ")");
      } else if (!env_args_) {
        caveat = absl::StrCat("unless -c in GUNICORN_CMD_ARGS chose another file (", EnvironUnknownReason(), ")");
      }
    }
    corral::v1::ConfigInputs& inputs = out_.inputs;

    std::string path;
    if (absl::StartsWith(location, "python:")) {
      std::string module(location.substr(7));
      std::replace(module.begin(), module.end(), '.', '/');
      path = JoinPath(start_dir_, module + ".py");
    } else {
      path = JoinPath(start_dir_, std::string(absl::StripPrefix(location, "file:")));
    }
    if (path.empty()) {
      inputs.set_config_file(location);
      inputs.set_config_file_source(kSourceUnknown);
      inputs.set_config_file_error(start_dir_note_);
      Warn("CONFIG_FILE_UNREADABLE", absl::StrCat("config file ", location, " cannot be located: ", start_dir_note_));
      config_file_unreadable_ = true;
      return;
    }
    path = NormalizePath(path);
    if (!in_.read_file) return;
    absl::StatusOr<MasterFile> file = in_.read_file(path);
    if (!file.ok()) {
      if (absl::IsNotFound(file.status()) && source == kSourceDefault) {
        // No gunicorn.conf.py: no config file applies.
        if (!caveat.empty()) {
          inputs.set_config_file_source(kSourceUnknown);
          inputs.set_config_file_error(absl::StrCat("no gunicorn.conf.py in ", start_dir_, "; ", caveat));
        }
        return;
      }
      inputs.set_config_file(path);
      inputs.set_config_file_source(source);
      inputs.set_config_file_error(std::string(file.status().message()));
      Warn("CONFIG_FILE_UNREADABLE", absl::StrCat("config file ", path, " (", source, ") cannot be read: ",
                                                  file.status().message(), "; settings it may set are unknown"));
      config_file_unreadable_ = true;
      return;
    }
    inputs.set_config_file(path);
    inputs.set_config_file_source(source);
    config_caveat_ = caveat;
    if (in_.master_start_unix_ms > 0 && file->mtime_unix_ms > in_.master_start_unix_ms) {
      inputs.set_config_file_changed_after_start(true);
      Warn("CONFIG_FILE_CHANGED",
           absl::StrCat(path,
                        " was modified after the master started; the running values may come from an "
                        "earlier version (send HUP to reload)"));
    }

    PythonConfigContext context;
    context.environ = in_.environ;
    context.environ_unknown_reason = EnvironUnknownReason();
    context.cpu_count = in_.python_cpu_count;
    context.file_path = path;
    absl::StatusOr<PythonConfigResult> evaluated = EvaluatePythonConfig(file->content, context);
    if (!evaluated.ok()) {
      inputs.set_config_file_error(std::string(evaluated.status().message()));
      Warn("CONFIG_FILE_UNREADABLE",
           absl::StrCat(path, " does not parse as Python (", evaluated.status().message(),
                        "); Gunicorn would have refused it, so the file changed since the master started"));
      config_file_unreadable_ = true;
      return;
    }
    for (const std::string& note : evaluated->notes) {
      Warn("CONFIG_NOT_EVALUATED", absl::StrCat(path, ": ", note));
    }
    for (const auto& [name, binding] : evaluated->names) ApplyConfigName(path, name, binding);
    out_.used_cpu_count = evaluated->used_cpu_count;
  }

  void ApplyConfigName(const std::string& path, const std::string& name, const PythonBinding& binding) {
    const GunicornSetting* setting = FindSetting(name);
    if (setting == nullptr) {
      WarnIfIgnoredKey(path, name, binding);
      return;
    }
    if (name == "wsgi_app") {
      wsgi_app_ = binding;
      wsgi_app_path_ = path;
    }
    if (!setting->reported) return;
    if (binding.value.is_unknown()) {
      Setting& s = Set(name, "", kSourceUnknown);
      s.set_file(path);
      s.set_line(binding.line);
      s.set_expression(binding.expression);
      s.set_note(absl::StrCat("set in ", path, ":", binding.line,
                              " to an expression Corral cannot evaluate: ", binding.value.text));
      return;
    }
    absl::StatusOr<Validated> validated = Validate(*setting, binding.value, start_dir_);
    if (!validated.ok()) {
      Setting& s = SetUnknown(name, std::string(validated.status().message()));
      s.set_file(path);
      s.set_line(binding.line);
      s.set_expression(binding.expression);
      Warn("CONFIG_VALUE_INVALID", absl::StrCat(path, ":", binding.line, ": ", validated.status().message(),
                                                "; Gunicorn would refuse to start with it"));
      return;
    }
    Setting& s = Set(name, validated->display, kSourceConfigFile);
    s.set_file(path);
    s.set_line(binding.line);
    if (binding.value.kind != PyValue::Kind::kStr || binding.expression.empty() || binding.expression.front() != '"') {
      s.set_expression(binding.expression);
    }
  }

  void WarnIfIgnoredKey(const std::string& path, const std::string& name, const PythonBinding& binding) {
    using K = PyValue::Kind;
    if (name.empty() || name[0] == '_') return;
    if (binding.value.kind == K::kModule || binding.value.kind == K::kFunction || binding.value.kind == K::kBuiltin ||
        binding.value.kind == K::kEnviron) {
      return;
    }
    std::string lower = absl::AsciiStrToLower(name);
    const GunicornSetting* closest = nullptr;
    int best = 3;
    for (const GunicornSetting& s : GunicornSettings()) {
      if (s.validator == Validator::kCallable) continue;
      int d = lower == s.name ? 0 : EditDistance(name, s.name);
      if (d < best && (d == 0 || name.size() >= 4)) {
        best = d;
        closest = &s;
      }
    }
    if (closest == nullptr) return;
    Warn("CONFIG_KEY_IGNORED",
         absl::StrCat(path, ":", binding.line, " sets '", name,
                      "', which is not a Gunicorn setting, so Gunicorn silently ignores it; did you mean '",
                      closest->name, "'?"));
  }

  void ApplyFlags(const std::optional<ParsedArgs>& parsed, const char* source) {
    if (!parsed) return;
    for (const auto& [name, option] : parsed->options) {
      if (!option.setting->reported) continue;
      absl::StatusOr<PyValue> value = FlagValue(option);
      absl::StatusOr<Validated> validated =
          value.ok() ? Validate(*option.setting, *value, start_dir_) : absl::StatusOr<Validated>(value.status());
      if (!validated.ok()) {
        SetUnknown(name, std::string(validated.status().message()));
        Warn("CONFIG_VALUE_INVALID",
             absl::StrCat(source == std::string(kSourceCmdline) ? "command line" : "GUNICORN_CMD_ARGS", ": ",
                          validated.status().message()));
        continue;
      }
      Setting& s = Set(name, validated->display, source);
      s.set_note(absl::StrCat("via ", option.spelling));
    }
  }

  void ResolveAppUri() {
    if (args_ && !args_->positionals.empty()) {
      Set(kAppUri, args_->positionals.front(), kSourceCmdline);
      return;
    }
    if (wsgi_app_ && !wsgi_app_->value.is_unknown() && wsgi_app_->value.kind == PyValue::Kind::kStr) {
      Setting& s = Set(kAppUri, wsgi_app_->value.text, kSourceConfigFile);
      s.set_file(wsgi_app_path_);
      s.set_line(wsgi_app_->line);
      return;
    }
    if (!args_) {
      std::string note = ArgvUnknownReason();
      if (!in_.title_name.empty()) {
        absl::StrAppend(&note, "; the process title shows '", in_.title_name,
                        "', which is the app URI unless proc_name (--name) is set");
      }
      SetUnknown(kAppUri, note);
      return;
    }
    SetUnknown(kAppUri, "no app URI on the command line and no wsgi_app in a config file");
  }

  // With argv or environ erased, any value that a higher-precedence source
  // could have replaced is no longer certain.
  void MarkWhatErasedInputsCouldOverride() {
    for (auto& [name, setting] : out_.settings) {
      const std::string source = setting.source();
      if (source == kSourceUnknown) continue;
      if (!args_) {
        if (source == kSourceDefault || source == kSourceEnv) {
          MakeUnknownButDefault(setting, absl::StrCat(ArgvUnknownReason(), "; a flag there may have set it"));
          continue;
        }
        if (source == kSourceConfigFile || source == kSourceCmdArgs) {
          AppendNote(setting, absl::StrCat("a command-line flag would override it, and ", ArgvUnknownReason()));
        }
      }
      if (!env_args_ && source == kSourceDefault) {
        MakeUnknownButDefault(setting,
                              absl::StrCat(EnvironUnknownReason(), "; GUNICORN_CMD_ARGS there may have set it"));
        continue;
      }
      if (!env_args_ && source == kSourceConfigFile) {
        AppendNote(setting, absl::StrCat("GUNICORN_CMD_ARGS would override it, and ", EnvironUnknownReason()));
      }
      if (source == kSourceConfigFile && !config_caveat_.empty()) AppendNote(setting, config_caveat_);
    }
    if (config_file_unreadable_) {
      for (auto& [name, setting] : out_.settings) {
        if (setting.source() == kSourceDefault) {
          MakeUnknownButDefault(
              setting, absl::StrCat("the config file ", out_.inputs.config_file(), " is unreadable and may set it"));
        }
      }
    }
  }

  static void MakeUnknownButDefault(Setting& setting, const std::string& why) {
    setting.set_default_value(setting.value());
    setting.set_value("");
    setting.set_source(kSourceUnknown);
    setting.set_note(why);
  }

  static void AppendNote(Setting& setting, const std::string& note) {
    setting.set_note(setting.note().empty() ? note : absl::StrCat(setting.note(), "; ", note));
  }

  // Gunicorn runs the gthread worker when worker_class is sync and
  // threads > 1 (Config.worker_class).
  void DeriveWorkerClass() {
    Setting& worker_class = out_.settings["worker_class"];
    const Setting& threads = out_.settings["threads"];
    bool sync = worker_class.value() == "sync" || absl::EndsWith(worker_class.value(), "SyncWorker");
    int64_t n = 0;
    if (sync && threads.source() != kSourceUnknown && absl::SimpleAtoi(threads.value(), &n) && n > 1) {
      worker_class.set_value("gthread");
      AppendNote(worker_class,
                 absl::StrCat("worker_class is 'sync' but threads=", n, ", so Gunicorn runs the gthread worker"));
    }
  }

  const LoaderInputs& in_;
  ReconstructedConfig out_;
  std::optional<ParsedArgs> args_;
  std::optional<ParsedArgs> env_args_;
  std::string start_dir_;
  std::string start_dir_note_;
  std::string config_caveat_;
  bool config_file_unreadable_ = false;
  std::optional<PythonBinding> wsgi_app_;
  std::string wsgi_app_path_;
};

}  // namespace

ReconstructedConfig ReconstructConfig(const LoaderInputs& inputs) { return Reconstruction(inputs).Run(); }

absl::StatusOr<std::string> NormalizeSettingText(const GunicornSetting& setting, const std::string& text) {
  PyValue value = PyValue::Str(text);
  if (setting.validator == Validator::kListString) {
    std::vector<PyValue> items;
    for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
      items.push_back(PyValue::Str(std::string(absl::StripAsciiWhitespace(item))));
    }
    value = PyValue::List(std::move(items));
  }
  absl::StatusOr<Validated> validated = Validate(setting, value, "");
  if (!validated.ok()) return validated.status();
  return validated->display;
}

}  // namespace corral::agent
