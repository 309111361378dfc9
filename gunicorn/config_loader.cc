#include "gunicorn/config_loader.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/edit_distance.h"
#include "common/path_util.h"
#include "common/snapshot_facts.h"
#include "gunicorn/args.h"
#include "gunicorn/environ.h"
#include "gunicorn/python_config.h"
#include "gunicorn/settings.h"
#include "gunicorn/value_validation.h"

namespace corral::gunicorn {

namespace {

using corral::v1::Setting;

constexpr char kAppUri[] = "app_uri";

class Reconstruction {
 public:
  explicit Reconstruction(const LoaderInputs& in) : in_(in), table_(in.table != nullptr ? *in.table : NewestTable()) {}

  ReconstructedConfig Run() {
    RecordInputs();
    ResolveArgs();
    ResolveStartDirectory();
    ApplyDefaults();
    LoadConfigFile();
    ApplyFlags(env_args_, kSourceCmdArgs);
    ApplyFlags(args_, kSourceCmdline);
    ResolveAppUri();
    MarkWhatUnknownOptionsCouldSet();
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
           absl::StrCat(
               "setproctitle erased the master's ", what,
               "; settings that could come from there are reported as unknown. To make them visible: ", how,
               "; or let Gunicorn report them itself: Corral's exact-config hook (corral_hook.py) in any release, the "
               "control socket in 25.1 and later."));
    }
  }

  void ResolveArgs() {
    if (in_.args) {
      args_ = ParseGunicornArgs(*in_.args, table_);
      WarnProblems("command line", *args_);
    }
    if (std::optional<std::string> cmd_args = Env("GUNICORN_CMD_ARGS")) {
      absl::StatusOr<std::vector<std::string>> words = ShlexSplit(*cmd_args);
      if (!words.ok()) {
        Warn("ARGV_UNPARSED", absl::StrCat("GUNICORN_CMD_ARGS: ", words.status().message()));
        env_args_ = ParsedArgs();
      } else {
        env_args_ = ParseGunicornArgs(*words, table_);
        WarnProblems("GUNICORN_CMD_ARGS", *env_args_);
      }
    } else if (in_.environ) {
      env_args_ = ParsedArgs();  // known to be absent
    }
  }

  // Gunicorn refuses what argparse refuses, so a running master showing a
  // problem means the table read it with the wrong release's flags.
  void WarnProblems(absl::string_view where, const ParsedArgs& parsed) {
    for (const std::string& problem : parsed.problems) {
      std::string why = absl::StrCat("Gunicorn ", table_.line(), " refuses this, so this master runs another release");
      absl::string_view flag = problem;
      if (absl::ConsumePrefix(&flag, "unrecognized argument: ")) {
        flag = flag.substr(0, flag.find('='));
        if (std::optional<std::string> line = FirstLineWithFlag(flag)) {
          why = absl::StrCat(flag, " is a flag of Gunicorn ", *line, " and later, not of ", table_.line(),
                             ", so this master runs another release than the table read it with");
        } else {
          why = absl::StrCat("no Gunicorn release Corral knows (", AllTables().front()->line(), " to ",
                             NewestTable().line(), ") has ", flag);
        }
      }
      Warn("ARGV_UNPARSED", absl::StrCat(where, ": ", problem, " (", why, ")"));
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
    for (const GunicornSetting& s : table_) {
      if (!s.reported()) continue;
      Set(s.name, s.default_value, kSourceDefault);
    }
    const std::string environ_reason = EnvironUnknownReason();
    for (const GunicornSetting& s : table_) {
      if (!s.reported() || s.default_origin != DefaultOrigin::kEnvironment) continue;
      if (!in_.environ) {
        absl::string_view name = s.name;
        std::string from = name == "workers"               ? "defaults to $WEB_CONCURRENCY"
                           : name == "bind"                ? "defaults to 0.0.0.0:$PORT when PORT is set"
                           : name == "forwarded_allow_ips" ? "defaults to $FORWARDED_ALLOW_IPS when set"
                           : name == "control_socket"
                               ? "defaults to $XDG_RUNTIME_DIR/gunicorn.ctl, else ~/.gunicorn/gunicorn.ctl"
                               : "its default comes from the environment";
        SetUnknown(s.name, absl::StrCat(from, ", but ", environ_reason)).set_default_value(s.default_value);
      }
    }
    if (!in_.environ) return ApplyProcessDefaults();
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
    if (std::optional<std::string> ips = Env("FORWARDED_ALLOW_IPS")) {
      const GunicornSetting* s = table_.Find("forwarded_allow_ips");
      absl::StatusOr<Validated> v =
          s != nullptr ? Validate(*s, PyValue::Str(*ips), "") : absl::StatusOr<Validated>(absl::NotFoundError(""));
      if (v.ok())
        Set("forwarded_allow_ips", v->display, kSourceEnv).set_note(absl::StrCat("FORWARDED_ALLOW_IPS=", *ips));
    }
    if (const GunicornSetting* s = table_.Find("control_socket");
        s != nullptr && s->default_origin == DefaultOrigin::kEnvironment) {
      // _get_default_control_socket: $XDG_RUNTIME_DIR/gunicorn.ctl when that
      // directory exists, else ~/.gunicorn/gunicorn.ctl.
      std::optional<std::string> xdg = Env("XDG_RUNTIME_DIR");
      std::optional<std::string> home = Env("HOME");
      bool xdg_exists = xdg && !xdg->empty() && in_.is_dir && in_.is_dir(*xdg);
      if (xdg_exists) {
        Set("control_socket", JoinPath(*xdg, "gunicorn.ctl"), kSourceEnv)
            .set_note(absl::StrCat("XDG_RUNTIME_DIR=", *xdg));
      } else if (xdg && !xdg->empty() && !in_.is_dir) {
        SetUnknown("control_socket",
                   absl::StrCat("XDG_RUNTIME_DIR=", *xdg, ", and whether that directory exists is unknown"));
      } else if (home && absl::StartsWith(*home, "/")) {
        Set("control_socket", JoinPath(*home, ".gunicorn/gunicorn.ctl"), kSourceEnv)
            .set_note(
                absl::StrCat("HOME=", *home, xdg ? absl::StrCat("; XDG_RUNTIME_DIR=", *xdg, " does not exist") : ""));
      } else {
        SetUnknown("control_socket", "HOME is not set, so it depends on the user database");
      }
    }
    ApplyProcessDefaults();
  }

  void ApplyProcessDefaults() {
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
    const GunicornSetting* setting = table_.Find(name);
    if (setting == nullptr) {
      WarnIfIgnoredKey(path, name, binding);
      return;
    }
    if (name == "wsgi_app") {
      wsgi_app_ = binding;
      wsgi_app_path_ = path;
    }
    if (!setting->reported()) return;
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
    // `w = 3` or `Workers = 3`, but not every short variable name.
    NearestName::Options options;
    options.fuzzy_from_length = 4;
    NearestName closest(name, options);
    for (const GunicornSetting& s : table_) {
      if (s.validator != Validator::kCallable) closest.Offer(s.name);
    }
    if (closest.name().empty()) return;
    Warn("CONFIG_KEY_IGNORED",
         absl::StrCat(path, ":", binding.line, " sets '", name,
                      "', which is not a Gunicorn setting, so Gunicorn silently ignores it; did you mean '",
                      closest.name(), "'?"));
  }

  void ApplyFlags(const std::optional<ParsedArgs>& parsed, const char* source) {
    if (!parsed) return;
    for (const auto& [name, option] : parsed->options) {
      if (!option.setting->reported()) continue;
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
      std::string why;
      if (std::optional<std::string> uri = args_->AppUri(&why)) {
        Set(kAppUri, *uri, kSourceCmdline);
      } else {
        SetUnknown(kAppUri, why);
      }
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

  // An option the table does not know may be another release's spelling of
  // a setting: whatever it could set is unknown.
  void MarkWhatUnknownOptionsCouldSet() {
    for (const auto* parsed : {&env_args_, &args_}) {
      if (!*parsed) continue;
      for (const std::string& written : (*parsed)->unknown_options) {
        std::string flag = written.substr(0, written.find('='));
        for (const SettingsTable* other : AllTables()) {
          const GunicornSetting* s = other->FindFlag(flag);
          if (s == nullptr || !s->reported() || table_.Find(s->name) == nullptr) continue;
          auto it = out_.settings.find(s->name);
          if (it == out_.settings.end() || it->second.source() == kSourceUnknown) continue;
          std::string why = absl::StrCat(flag, " sets it in Gunicorn ", other->line(),
                                         ", and this master's table does not have that flag");
          if (it->second.source() == kSourceDefault) {
            MakeUnknownButDefault(it->second, why);
          } else {
            SetUnknown(s->name, absl::StrCat(why, "; otherwise ", SettingSourceText(it->second), " sets it to '",
                                             it->second.value(), "'"));
          }
        }
      }
    }
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
        // WEB_CONCURRENCY, PORT and the like only change the defaults: the
        // file would override them too.
        if (setting.source() == kSourceDefault || (setting.source() == kSourceEnv && !in_.declared)) {
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
    if (sync && threads.source() == kSourceUnknown) {
      SetUnknown("worker_class", absl::StrCat("'", worker_class.value(), "' from ", SettingSourceText(worker_class),
                                              ", but Gunicorn runs the gthread worker when threads > 1, and threads "
                                              "is unknown"));
      return;
    }
    int64_t n = 0;
    if (sync && absl::SimpleAtoi(threads.value(), &n) && n > 1) {
      worker_class.set_value("gthread");
      AppendNote(worker_class,
                 absl::StrCat("worker_class is 'sync' but threads=", n, ", so Gunicorn runs the gthread worker"));
    }
  }

  const LoaderInputs& in_;
  const SettingsTable& table_;
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

}  // namespace corral::gunicorn
