#include "gunicorn/config_loader.h"

#include <map>

#include "common/edit_distance.h"
#include "gtest/gtest.h"

namespace corral::gunicorn {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

struct Files {
  std::map<std::string, MasterFile> files;
  std::function<absl::StatusOr<MasterFile>(const std::string&)> Reader() const {
    auto copy = files;
    return [copy](const std::string& path) -> absl::StatusOr<MasterFile> {
      auto it = copy.find(path);
      if (it == copy.end()) return absl::NotFoundError(path + ": No such file or directory");
      if (it->second.content == "<denied>") return absl::PermissionDeniedError(path + ": Permission denied");
      return it->second;
    };
  }
};

LoaderInputs Inputs(std::vector<std::string> args, Env env = {}, Files files = {}) {
  LoaderInputs in;
  in.args = std::move(args);
  in.environ = std::move(env);
  in.cwd = "/app";
  in.table = TableFor(Release{20, 1, 0}).table;  // these stories run Debian's 20.1
  in.python_cpu_count = 4;
  in.uid = 1000;
  in.gid = 1000;
  in.master_start_unix_ms = 2000;
  in.read_file = files.Reader();
  return in;
}

MasterFile File(std::string content, int64_t mtime = 1000) { return MasterFile{std::move(content), mtime}; }

std::string Show(const ReconstructedConfig& c, const std::string& name) {
  const corral::v1::Setting& s = c.settings.at(name);
  std::string out = s.source() + ":" + s.value();
  if (s.source() == "config_file") out += "@" + s.file() + ":" + std::to_string(s.line());
  return out;
}

bool HasWarning(const ReconstructedConfig& c, const std::string& code) {
  for (const auto& w : c.warnings) {
    if (w.code() == code) return true;
  }
  return false;
}

TEST(ReconstructConfig, DefaultsWhenNothingIsSet) {
  ReconstructedConfig c = ReconstructConfig(Inputs({"app:app"}));
  EXPECT_EQ(Show(c, "workers"), "default:1");
  EXPECT_EQ(Show(c, "timeout"), "default:30");
  EXPECT_EQ(Show(c, "worker_class"), "default:sync");
  EXPECT_EQ(Show(c, "bind"), "default:127.0.0.1:8000");
  EXPECT_EQ(Show(c, "preload_app"), "default:false");
  EXPECT_EQ(Show(c, "chdir"), "default:/app");
  EXPECT_EQ(Show(c, "user"), "default:1000");
  EXPECT_EQ(Show(c, "app_uri"), "cmdline:app:app");
  EXPECT_EQ(c.app_uri, "app:app");
  EXPECT_TRUE(c.inputs.config_file().empty());
  EXPECT_TRUE(c.warnings.empty());
}

TEST(ReconstructConfig, WebConcurrencyAndPortAreEnvDefaults) {
  ReconstructedConfig c = ReconstructConfig(Inputs({"app"}, {{"WEB_CONCURRENCY", "5"}, {"PORT", "9000"}}));
  EXPECT_EQ(Show(c, "workers"), "env:5");
  EXPECT_EQ(c.settings.at("workers").note(), "WEB_CONCURRENCY=5");
  EXPECT_EQ(Show(c, "bind"), "env:0.0.0.0:9000");
  EXPECT_EQ(c.inputs.loader_environment().at("WEB_CONCURRENCY"), "5");
}

TEST(ReconstructConfig, BuildRevisionComesFromTheEnvironment) {
  ReconstructedConfig corral = ReconstructConfig(
      Inputs({"app"}, {{"OCI_IMAGE_REVISION", "old"}, {"CORRAL_BUILD_REVISION", "4f2a9c1"}, {"SECRET", "x"}}));
  EXPECT_EQ(corral.inputs.build_revision(), "4f2a9c1");
  EXPECT_EQ(corral.inputs.build_revision_variable(), "CORRAL_BUILD_REVISION");
  EXPECT_EQ(corral.inputs.loader_environment().count("SECRET"), 0u);

  ReconstructedConfig oci = ReconstructConfig(Inputs({"app"}, {{"OCI_IMAGE_REVISION", "9e1b"}}));
  EXPECT_EQ(oci.inputs.build_revision(), "9e1b");
  EXPECT_EQ(oci.inputs.build_revision_variable(), "OCI_IMAGE_REVISION");

  LoaderInputs erased = Inputs({"app"});
  erased.environ.reset();
  erased.environ_erased = true;
  EXPECT_EQ(ReconstructConfig(erased).inputs.build_revision(), "");
}

TEST(ReconstructConfig, DefaultConfigFileInTheWorkingDirectoryBeatsEnvDefaults) {
  Files files;
  files.files["/app/gunicorn.conf.py"] = File("workers = 4\ntimeout = 120\n");
  ReconstructedConfig c = ReconstructConfig(Inputs({"app"}, {{"WEB_CONCURRENCY", "5"}}, files));
  EXPECT_EQ(Show(c, "workers"), "config_file:4@/app/gunicorn.conf.py:1");
  EXPECT_EQ(Show(c, "timeout"), "config_file:120@/app/gunicorn.conf.py:2");
  EXPECT_EQ(c.inputs.config_file(), "/app/gunicorn.conf.py");
  EXPECT_EQ(c.inputs.config_file_source(), "default");
}

TEST(ReconstructConfig, FullPrecedenceChain) {
  Files files;
  files.files["/app/conf/g.py"] = File("workers = 2\ntimeout = 50\nkeepalive = 9\nmax_requests = 100\n");
  files.files["/app/gunicorn.conf.py"] = File("workers = 99\n");  // not loaded: -c wins
  ReconstructedConfig c = ReconstructConfig(Inputs(
      {"-c", "conf/g.py", "--workers=3", "app:app"},
      {{"GUNICORN_CMD_ARGS", "--timeout 60 --workers 7 --keep-alive 4 ignored:app"}, {"WEB_CONCURRENCY", "5"}}, files));
  EXPECT_EQ(Show(c, "workers"), "cmdline:3");
  EXPECT_EQ(Show(c, "timeout"), "gunicorn_cmd_args:60");
  EXPECT_EQ(Show(c, "keepalive"), "gunicorn_cmd_args:4");
  EXPECT_EQ(Show(c, "max_requests"), "config_file:100@/app/conf/g.py:4");
  EXPECT_EQ(Show(c, "app_uri"), "cmdline:app:app");  // GUNICORN_CMD_ARGS positionals are ignored
  EXPECT_EQ(c.inputs.config_file(), "/app/conf/g.py");
  EXPECT_EQ(c.inputs.config_file_source(), "cmdline");
  EXPECT_EQ(c.settings.at("timeout").note(), "via --timeout");
}

TEST(ReconstructConfig, ConfigFileFromGunicornCmdArgs) {
  Files files;
  files.files["/etc/g.py"] = File("workers = 6\n");
  ReconstructedConfig c = ReconstructConfig(Inputs({"app"}, {{"GUNICORN_CMD_ARGS", "-c /etc/g.py"}}, files));
  EXPECT_EQ(Show(c, "workers"), "config_file:6@/etc/g.py:1");
  EXPECT_EQ(c.inputs.config_file_source(), "gunicorn_cmd_args");
}

TEST(ReconstructConfig, ConfigFileForms) {
  Files files;
  files.files["/app/settings/gconf.py"] = File("workers = 11\n");
  files.files["/srv/x.conf"] = File("workers = 12\n");
  EXPECT_EQ(Show(ReconstructConfig(Inputs({"-c", "python:settings.gconf", "a"}, {}, files)), "workers"),
            "config_file:11@/app/settings/gconf.py:1");
  EXPECT_EQ(Show(ReconstructConfig(Inputs({"--config=file:/srv/x.conf", "a"}, {}, files)), "workers"),
            "config_file:12@/srv/x.conf:1");
}

TEST(ReconstructConfig, WsgiAppFromTheConfigFileWhenNoPositional) {
  Files files;
  files.files["/app/gunicorn.conf.py"] = File("wsgi_app = 'wsgi:application'\n");
  ReconstructedConfig c = ReconstructConfig(Inputs({"-w", "2"}, {}, files));
  EXPECT_EQ(Show(c, "app_uri"), "config_file:wsgi:application@/app/gunicorn.conf.py:1");
  EXPECT_EQ(c.app_uri, "wsgi:application");
  ReconstructedConfig positional = ReconstructConfig(Inputs({"other:app"}, {}, files));
  EXPECT_EQ(Show(positional, "app_uri"), "cmdline:other:app");
}

TEST(ReconstructConfig, ValuesAreValidatedAsGunicornDoes) {
  Files files;
  files.files["/app/gunicorn.conf.py"] = File(
      "workers = '0x10'\npreload_app = 'True'\nbind = '127.0.0.1:5000'\nforwarded_allow_ips = 'a, b,'\n"
      "reload = 1\ntimeout = 2.5\n");
  ReconstructedConfig c = ReconstructConfig(Inputs({"--umask", "022", "app"}, {}, files));
  EXPECT_EQ(Show(c, "workers"), "config_file:16@/app/gunicorn.conf.py:1");
  EXPECT_EQ(Show(c, "preload_app"), "config_file:true@/app/gunicorn.conf.py:2");
  EXPECT_EQ(Show(c, "bind"), "config_file:127.0.0.1:5000@/app/gunicorn.conf.py:3");
  EXPECT_EQ(Show(c, "forwarded_allow_ips"), "config_file:a,b@/app/gunicorn.conf.py:4");
  EXPECT_EQ(Show(c, "umask"), "cmdline:18");  // auto_int: leading zero is octal
  // Gunicorn refuses 1 for a boolean and 2.5 for an integer.
  EXPECT_EQ(c.settings.at("reload").source(), "unknown");
  EXPECT_EQ(c.settings.at("timeout").source(), "unknown");
  EXPECT_NE(c.settings.at("timeout").note().find("invalid value for timeout: 2.5"), std::string::npos);
  EXPECT_TRUE(HasWarning(c, "CONFIG_VALUE_INVALID"));
}

TEST(ReconstructConfig, ThreadsTurnSyncIntoGthread) {
  ReconstructedConfig c = ReconstructConfig(Inputs({"--threads", "4", "app"}));
  EXPECT_EQ(Show(c, "worker_class"), "default:gthread");
  EXPECT_NE(c.settings.at("worker_class").note().find("threads=4"), std::string::npos);
  ReconstructedConfig gevent = ReconstructConfig(Inputs({"--threads", "4", "-k", "gevent", "app"}));
  EXPECT_EQ(Show(gevent, "worker_class"), "cmdline:gevent");
}

TEST(ReconstructConfig, IgnoredKeysAreFlaggedWithASuggestion) {
  Files files;
  files.files["/app/gunicorn.conf.py"] =
      File("import os\nworker = 4\nWORKERS = 5\ntimout = 3\nhelper = 12\ndef post_fork(s, w):\n    pass\n");
  ReconstructedConfig c = ReconstructConfig(Inputs({"app"}, {}, files));
  std::vector<std::string> messages;
  for (const auto& w : c.warnings) {
    if (w.code() == "CONFIG_KEY_IGNORED") messages.push_back(w.message());
  }
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0],
            "/app/gunicorn.conf.py:3 sets 'WORKERS', which is not a Gunicorn setting, so Gunicorn silently ignores "
            "it; did you mean 'workers'?");
  EXPECT_NE(messages[1].find("'timout'"), std::string::npos);
  EXPECT_NE(messages[1].find("did you mean 'timeout'?"), std::string::npos);
  EXPECT_NE(messages[2].find(":2 sets 'worker'"), std::string::npos);
  EXPECT_EQ(Show(c, "workers"), "default:1");
}

TEST(ReconstructConfig, UnevaluableExpressionsAreUnknownWithTheirText) {
  Files files;
  files.files["/app/gunicorn.conf.py"] = File("import app_settings\nworkers = app_settings.WORKERS\n");
  ReconstructedConfig c = ReconstructConfig(Inputs({"app"}, {}, files));
  const corral::v1::Setting& w = c.settings.at("workers");
  EXPECT_EQ(w.source(), "unknown");
  EXPECT_EQ(w.expression(), "app_settings.WORKERS");
  EXPECT_EQ(w.file(), "/app/gunicorn.conf.py");
  EXPECT_EQ(w.line(), 2);
  EXPECT_TRUE(w.value().empty());
}

TEST(ReconstructConfig, ArgvErasedKeepsConfigFileValuesAndNothingElse) {
  Files files;
  files.files["/app/gunicorn.conf.py"] = File("workers = 3\ntimeout = 120\n");
  LoaderInputs in = Inputs({}, {}, files);
  in.args.reset();
  in.argv_erased = true;
  in.environ.reset();
  in.environ_erased = true;
  in.title_name = "api";
  ReconstructedConfig c = ReconstructConfig(in);
  EXPECT_EQ(Show(c, "workers"), "config_file:3@/app/gunicorn.conf.py:1");
  EXPECT_NE(c.settings.at("workers").note().find("a command-line flag would override it"), std::string::npos);
  // Never a default when the command line could have set it.
  const corral::v1::Setting& keepalive = c.settings.at("keepalive");
  EXPECT_EQ(keepalive.source(), "unknown");
  EXPECT_EQ(keepalive.value(), "");
  EXPECT_EQ(keepalive.default_value(), "2");
  EXPECT_EQ(c.settings.at("bind").source(), "unknown");
  EXPECT_EQ(c.settings.at("app_uri").source(), "unknown");
  EXPECT_NE(c.settings.at("app_uri").note().find("title shows 'api'"), std::string::npos);
  EXPECT_EQ(c.app_uri, "");
  EXPECT_TRUE(c.inputs.argv_erased());
  EXPECT_TRUE(c.inputs.environ_erased());
  ASSERT_TRUE(HasWarning(c, "SETTINGS_UNKNOWABLE"));
  EXPECT_NE(c.warnings[0].message().find("SPT_NOENV=1"), std::string::npos);
}

TEST(ReconstructConfig, SptNoenvKeepsTheEnvironmentVisible) {
  LoaderInputs in = Inputs({}, {{"GUNICORN_CMD_ARGS", "--workers 4"}, {"SPT_NOENV", "1"}});
  in.args.reset();
  in.argv_erased = true;
  ReconstructedConfig c = ReconstructConfig(in);
  EXPECT_EQ(Show(c, "workers"), "gunicorn_cmd_args:4");
  EXPECT_NE(c.settings.at("workers").note().find("a command-line flag would override it"), std::string::npos);
  EXPECT_EQ(c.settings.at("timeout").source(), "unknown");
  EXPECT_EQ(c.inputs.loader_environment().at("SPT_NOENV"), "1");
}

TEST(ReconstructConfig, EnvironErasedButArgvVisible) {
  LoaderInputs in = Inputs({"-w", "3", "app"});
  in.environ.reset();
  in.environ_erased = true;
  ReconstructedConfig c = ReconstructConfig(in);
  EXPECT_EQ(Show(c, "workers"), "cmdline:3");
  EXPECT_EQ(c.settings.at("timeout").source(), "unknown");
  EXPECT_NE(c.settings.at("timeout").note().find("GUNICORN_CMD_ARGS there may have set it"), std::string::npos);
}

TEST(ReconstructConfig, UnreadableConfigFileMakesDefaultsUnknown) {
  Files files;
  files.files["/app/gunicorn.conf.py"] = File("<denied>");
  ReconstructedConfig c = ReconstructConfig(Inputs({"-w", "2", "app"}, {}, files));
  EXPECT_TRUE(HasWarning(c, "CONFIG_FILE_UNREADABLE"));
  EXPECT_EQ(c.settings.at("timeout").source(), "unknown");
  EXPECT_EQ(Show(c, "workers"), "cmdline:2");
  EXPECT_NE(c.inputs.config_file_error().find("Permission denied"), std::string::npos);
}

TEST(ReconstructConfig, UnreadableConfigFileMakesWhatTheEnvironmentSetUnknownToo) {
  // WEB_CONCURRENCY is only the default of workers: the file overrides it.
  Files files;
  files.files["/app/gunicorn.conf.py"] = File("<denied>");
  ReconstructedConfig c = ReconstructConfig(Inputs({"app"}, {{"WEB_CONCURRENCY", "4"}}, files));
  EXPECT_EQ(c.settings.at("workers").source(), "unknown");
  EXPECT_EQ(c.settings.at("workers").value(), "");
  EXPECT_NE(c.settings.at("workers").note().find("is unreadable and may set it"), std::string::npos);
  // Readable and silent on workers, the environment's value stands.
  files.files["/app/gunicorn.conf.py"] = File("timeout = 60\n");
  EXPECT_EQ(Show(ReconstructConfig(Inputs({"app"}, {{"WEB_CONCURRENCY", "4"}}, files)), "workers"), "env:4");
}

TEST(ReconstructConfig, SyncWithThreadsUnknownIsNotClaimed) {
  // With environ erased, GUNICORN_CMD_ARGS could have set --threads 4, and
  // Gunicorn would then run gthread although the command line says sync.
  LoaderInputs in = Inputs({"-k", "sync", "app"});
  in.environ.reset();
  in.environ_erased = true;
  ReconstructedConfig c = ReconstructConfig(in);
  ASSERT_EQ(c.settings.at("threads").source(), "unknown");
  EXPECT_EQ(c.settings.at("worker_class").source(), "unknown");
  EXPECT_NE(c.settings.at("worker_class").note().find("threads is unknown"), std::string::npos)
      << c.settings.at("worker_class").note();
  // Known threads: sync stays sync, or becomes gthread.
  EXPECT_EQ(Show(ReconstructConfig(Inputs({"-k", "sync", "app"})), "worker_class"), "cmdline:sync");
  EXPECT_EQ(ReconstructConfig(Inputs({"-k", "sync", "--threads", "4", "app"})).settings.at("worker_class").value(),
            "gthread");
}

TEST(ReconstructConfig, ConfigFileNewerThanTheMasterIsFlagged) {
  Files files;
  files.files["/app/gunicorn.conf.py"] = File("workers = 3\n", /*mtime=*/5000);
  ReconstructedConfig c = ReconstructConfig(Inputs({"app"}, {}, files));
  EXPECT_TRUE(c.inputs.config_file_changed_after_start());
  EXPECT_TRUE(HasWarning(c, "CONFIG_FILE_CHANGED"));
}

TEST(ReconstructConfig, ChdirMovesTheStartingDirectoryToPwd) {
  Files files;
  files.files["/home/u/gunicorn.conf.py"] = File("timeout = 5\n");
  ReconstructedConfig c = ReconstructConfig(Inputs({"--chdir", "/srv/code", "app"}, {{"PWD", "/home/u"}}, files));
  EXPECT_EQ(Show(c, "timeout"), "config_file:5@/home/u/gunicorn.conf.py:1");
  EXPECT_EQ(Show(c, "chdir"), "cmdline:/srv/code");
}

TEST(ReconstructConfig, CpuCountIsTracked) {
  Files files;
  files.files["/app/gunicorn.conf.py"] =
      File("import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n");
  ReconstructedConfig c = ReconstructConfig(Inputs({"app"}, {}, files));
  EXPECT_EQ(Show(c, "workers"), "config_file:9@/app/gunicorn.conf.py:2");
  EXPECT_EQ(c.settings.at("workers").expression(), "multiprocessing.cpu_count() * 2 + 1");
  EXPECT_TRUE(c.used_cpu_count);
}

TEST(ReconstructConfig, ArgvProblemsAreWarnings) {
  ReconstructedConfig c = ReconstructConfig(Inputs({"--frobnicate", "app"}));
  ASSERT_TRUE(HasWarning(c, "ARGV_UNPARSED"));
}

std::string Warning(const ReconstructedConfig& c, const std::string& code) {
  for (const auto& w : c.warnings) {
    if (w.code() == code) return w.message();
  }
  return "<none>";
}

LoaderInputs Release(int major, int minor, LoaderInputs in) {
  in.table = TableFor(gunicorn::Release{major, minor, 0}).table;
  return in;
}

TEST(ReconstructConfig, AFlagOfANewerReleaseNamesThatRelease) {
  ReconstructedConfig c = ReconstructConfig(Inputs({"--header-map", "drop", "-w", "2", "wsgi:application"}));
  EXPECT_EQ(Warning(c, "ARGV_UNPARSED"),
            "command line: unrecognized argument: --header-map (--header-map is a flag of Gunicorn 22.0 and later, "
            "not of 20.1, so this master runs another release than the table read it with)");
  // Its possible value is not taken for the app.
  EXPECT_EQ(c.settings.at("app_uri").source(), "unknown");
  EXPECT_EQ(c.app_uri, "");
  EXPECT_EQ(Show(c, "workers"), "cmdline:2");
  ReconstructedConfig unknown = ReconstructConfig(Inputs({"--frobnicate", "app"}));
  EXPECT_EQ(Warning(unknown, "ARGV_UNPARSED"),
            "command line: unrecognized argument: --frobnicate (no Gunicorn release Corral knows (20.1 to 26.2) "
            "has --frobnicate)");
}

TEST(ReconstructConfig, AnUnknownFlagThatSetsAReportedSettingElsewhereMakesItUnknown) {
  // --dirty-workers sets dirty_workers in 25.0+; read with 24.1's table,
  // which has no dirty_workers, nothing is claimed; read with a table that
  // has the setting but not the flag, it would be unknown. The 26.2 table
  // knows it: exact.
  ReconstructedConfig c26 = ReconstructConfig(
      Release(26, 2, Inputs({"--dirty-app", "dapp:Heavy", "--dirty-workers", "2", "-w", "2", "wsgi:application"})));
  EXPECT_EQ(Show(c26, "dirty_workers"), "cmdline:2");
  EXPECT_EQ(Show(c26, "dirty_apps"), "cmdline:dapp:Heavy");
  EXPECT_EQ(c26.app_uri, "wsgi:application");
  EXPECT_FALSE(HasWarning(c26, "ARGV_UNPARSED"));
  ReconstructedConfig c24 = ReconstructConfig(
      Release(24, 1, Inputs({"--dirty-app", "dapp:Heavy", "--dirty-workers", "2", "-w", "2", "wsgi:application"})));
  EXPECT_EQ(c24.settings.count("dirty_workers"), 0u);
  EXPECT_EQ(c24.settings.at("app_uri").source(), "unknown");
}

TEST(ReconstructConfig, ForwardedAllowIpsDefaultsToItsVariable) {
  ReconstructedConfig c =
      ReconstructConfig(Release(26, 2, Inputs({"app"}, {{"FORWARDED_ALLOW_IPS", "10.0.0.1, 10.0.0.2"}})));
  EXPECT_EQ(Show(c, "forwarded_allow_ips"), "env:10.0.0.1,10.0.0.2");
  ReconstructedConfig unset = ReconstructConfig(Release(26, 2, Inputs({"app"})));
  EXPECT_EQ(Show(unset, "forwarded_allow_ips"), "default:127.0.0.1,::1");
}

TEST(ReconstructConfig, ControlSocketDefaultFollowsXdgRuntimeDirElseHome) {
  LoaderInputs in = Release(26, 2, Inputs({"app"}, {{"XDG_RUNTIME_DIR", "/run/user/1000"}, {"HOME", "/home/app"}}));
  in.is_dir = [](const std::string& path) { return path == "/run/user/1000"; };
  EXPECT_EQ(Show(ReconstructConfig(in), "control_socket"), "env:/run/user/1000/gunicorn.ctl");
  in.is_dir = [](const std::string&) { return false; };
  ReconstructedConfig home = ReconstructConfig(in);
  EXPECT_EQ(Show(home, "control_socket"), "env:/home/app/.gunicorn/gunicorn.ctl");
  EXPECT_EQ(home.settings.at("control_socket").note(), "HOME=/home/app; XDG_RUNTIME_DIR=/run/user/1000 does not exist");
  // 25.1 put it in the working directory.
  EXPECT_EQ(Show(ReconstructConfig(Release(25, 1, Inputs({"app"}))), "control_socket"), "default:gunicorn.ctl");
  // No environment: unknown, never a guess.
  LoaderInputs erased = Release(26, 2, Inputs({"app"}));
  erased.environ.reset();
  erased.environ_erased = true;
  ReconstructedConfig hidden = ReconstructConfig(erased);
  const corral::v1::Setting& s = hidden.settings.at("control_socket");
  EXPECT_EQ(s.source(), "unknown");
  EXPECT_EQ(s.note(),
            "defaults to $XDG_RUNTIME_DIR/gunicorn.ctl, else ~/.gunicorn/gunicorn.ctl, but setproctitle erased the "
            "environment");
}

TEST(ReconstructConfig, StatsdHostIsAnAddressSince21) {
  // 21.0+ stores (host, port), the port defaulting to 8125; 20.1 wants host:port.
  ReconstructedConfig c23 = ReconstructConfig(Release(23, 0, Inputs({"--statsd-host", "metrics", "app"})));
  EXPECT_EQ(Show(c23, "statsd_host"), "cmdline:metrics:8125");
  ReconstructedConfig unix23 = ReconstructConfig(Release(23, 0, Inputs({"--statsd-host", "unix:/run/s.sock", "app"})));
  EXPECT_EQ(Show(unix23, "statsd_host"), "cmdline:unix:/run/s.sock");
  ReconstructedConfig c20 = ReconstructConfig(Inputs({"--statsd-host", "metrics", "app"}));
  EXPECT_EQ(c20.settings.at("statsd_host").source(), "unknown");
  EXPECT_TRUE(HasWarning(c20, "CONFIG_VALUE_INVALID"));
}

TEST(ReconstructConfig, ProtocolsAndChoicesAreValidated) {
  ReconstructedConfig c = ReconstructConfig(Release(26, 2, Inputs({"--http-protocols", "H2, h1", "app"})));
  EXPECT_EQ(Show(c, "http_protocols"), "cmdline:h2,h1");
  ReconstructedConfig bad = ReconstructConfig(Release(26, 2, Inputs({"--http-protocols", "h3", "app"})));
  EXPECT_EQ(bad.settings.at("http_protocols").source(), "unknown");
  EXPECT_EQ(Warning(bad, "CONFIG_VALUE_INVALID"),
            "command line: invalid value for http_protocols: 'h3' ('h3' is not h1 or h2)");
}

}  // namespace
}  // namespace corral::gunicorn
