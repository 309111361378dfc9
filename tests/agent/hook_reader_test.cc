// The exact-config hook's reader: the parser on literal JSON, the match of a
// report to a master, the merge into reconstructed settings, and the probe
// reading hook files beside the fixture proc tree.
#include "agent/hook_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/probe.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "gunicorn/settings.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

using ::testing::HasSubstr;

constexpr char kValid[] = R"json({
  "version": 1, "pid": 12, "started_at_unix": 1700000000.25, "written_at_unix": 1700000003.5,
  "gunicorn_version": "20.1.0", "app_uri": "wsgi:application",
  "worker_class": "gthread", "worker_class_path": "gunicorn.workers.gthread.ThreadWorker",
  "num_workers": 3, "listeners": ["http://0.0.0.0:8000", "unix:/run/app.sock"],
  "settings": {"workers": "3", "threads": "4", "worker_class": "sync", "preload_app": "true",
               "bind": "0.0.0.0:8000,unix:/run/app.sock", "pidfile": "",
               "access_log_format": "%(h)s \"%(r)s\"", "proc_name": "caf\u00e9 \ud83d\ude00"},
  "events": {"post_fork": 4, "child_exit": 1, "worker_abort": 1, "nworkers_changed": 0, "reload": 0},
  "last_event": {"name": "child_exit", "unix": 1700000003.4, "worker_pid": 31, "aborted": true, "extra": null},
  "a_field_from_a_later_hook": {"nested": [1, 2, {"x": null}]}
})json";

// A minimal valid report with `extra` spliced in before the closing brace.
std::string Report(const std::string& extra = "") {
  return absl::StrCat(R"({"version": 1, "pid": 12, "started_at_unix": 1700000000, "settings": {"workers": "2"})",
                      extra.empty() ? "" : ", ", extra, "}");
}

std::string ErrorOf(absl::string_view json) {
  absl::StatusOr<HookReport> r = ParseHookReport(json);
  EXPECT_FALSE(r.ok()) << json;
  EXPECT_TRUE(r.ok() || absl::IsInvalidArgument(r.status())) << r.status();
  return r.ok() ? "" : std::string(r.status().message());
}

TEST(ParseHookReport, ReadsEveryFieldOfAValidReport) {
  absl::StatusOr<HookReport> r = ParseHookReport(kValid);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, 1);
  EXPECT_EQ(r->pid, 12);
  EXPECT_DOUBLE_EQ(r->started_at_unix, 1700000000.25);
  EXPECT_DOUBLE_EQ(r->written_at_unix, 1700000003.5);
  EXPECT_EQ(r->gunicorn_version, "20.1.0");
  EXPECT_EQ(r->app_uri, "wsgi:application");
  EXPECT_EQ(r->worker_class, "gthread");
  EXPECT_EQ(r->worker_class_path, "gunicorn.workers.gthread.ThreadWorker");
  EXPECT_EQ(r->num_workers, 3);
  EXPECT_EQ(r->listeners, (std::vector<std::string>{"http://0.0.0.0:8000", "unix:/run/app.sock"}));
  EXPECT_EQ(r->settings.size(), 8u);
  EXPECT_EQ(r->settings.at("workers"), "3");
  EXPECT_EQ(r->settings.at("pidfile"), "");
  EXPECT_EQ(r->settings.at("access_log_format"), "%(h)s \"%(r)s\"");
  EXPECT_EQ(r->settings.at("proc_name"), "caf\xC3\xA9 \xF0\x9F\x98\x80");  // é and U+1F600 as UTF-8
  EXPECT_EQ(r->events,
            (std::map<std::string, int64_t>{
                {"post_fork", 4}, {"child_exit", 1}, {"worker_abort", 1}, {"nworkers_changed", 0}, {"reload", 0}}));
  ASSERT_TRUE(r->last_event.has_value());
  EXPECT_EQ(r->last_event->name, "child_exit");
  EXPECT_DOUBLE_EQ(r->last_event->unix_seconds, 1700000003.4);
  EXPECT_EQ(r->last_event->fields, (std::map<std::string, int64_t>{{"worker_pid", 31}, {"aborted", 1}}));
}

TEST(ParseHookReport, OptionalFieldsMayBeAbsentOrNull) {
  absl::StatusOr<HookReport> r = ParseHookReport(Report(R"("app_uri": null, "last_event": null)"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->app_uri, "");
  EXPECT_EQ(r->worker_class, "");
  EXPECT_FALSE(r->num_workers.has_value());
  EXPECT_TRUE(r->listeners.empty());
  EXPECT_TRUE(r->events.empty());
  EXPECT_FALSE(r->last_event.has_value());
  EXPECT_EQ(r->settings, (std::map<std::string, std::string>{{"workers", "2"}}));
}

TEST(ParseHookReport, ALaterDuplicateWinsAsInPython) {
  absl::StatusOr<HookReport> r = ParseHookReport(
      R"({"version": 1, "pid": 3, "pid": 12, "started_at_unix": 1, "settings": {"workers": "2", "workers": "4"}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pid, 12);
  EXPECT_EQ(r->settings.at("workers"), "4");
}

TEST(ParseHookReport, RefusesGarbage) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("not JSON: unexpected end"));
  EXPECT_THAT(ErrorOf("gunicorn: master [app]"), HasSubstr("not JSON: unexpected character at byte 0"));
  EXPECT_THAT(ErrorOf(R"({"version": 1,)"), HasSubstr("not JSON"));
  EXPECT_THAT(ErrorOf(R"({"version" 1})"), HasSubstr("expected ':' at byte 11"));
  EXPECT_THAT(ErrorOf(Report() + " trailing"), HasSubstr("unexpected data after the JSON value"));
  EXPECT_THAT(ErrorOf(R"({"version": 1, "pid": 12, "bad": "\q"})"), HasSubstr("bad escape"));
  EXPECT_THAT(ErrorOf("{\"a\": \"line\nbreak\"}"), HasSubstr("control character"));
  EXPECT_THAT(ErrorOf(R"({"a": 01.})"), HasSubstr("not JSON"));
  EXPECT_EQ(ErrorOf("[1, 2]"), "not a JSON object");
  EXPECT_THAT(ErrorOf(std::string(100, '[') + std::string(100, ']')), HasSubstr("nested too deeply"));
  EXPECT_THAT(ErrorOf(Report(absl::StrCat("\"", std::string(300, 'k'), "\": 1"))),
              HasSubstr("member name longer than 256 bytes"));
}

TEST(ParseHookReport, RefusesMissingRequiredFields) {
  EXPECT_EQ(ErrorOf(R"({"pid": 12, "started_at_unix": 1, "settings": {}})"), "version: missing");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "started_at_unix": 1, "settings": {}})"), "pid: missing");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12, "settings": {}})"), "started_at_unix: missing");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12, "started_at_unix": 1})"), "settings: missing");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12, "started_at_unix": 1, "settings": null})"), "settings: missing");
}

TEST(ParseHookReport, RefusesWrongTypesAndValues) {
  EXPECT_EQ(ErrorOf(R"({"version": 2, "pid": 12, "started_at_unix": 1, "settings": {}})"),
            "version: 2 is not supported (this agent reads 1)");
  EXPECT_EQ(ErrorOf(R"({"version": "1", "pid": 12, "started_at_unix": 1, "settings": {}})"), "version: not an integer");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": "12", "started_at_unix": 1, "settings": {}})"), "pid: not an integer");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12.5, "started_at_unix": 1, "settings": {}})"), "pid: not an integer");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": -4, "started_at_unix": 1, "settings": {}})"), "pid: -4 is not a pid");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12, "started_at_unix": "now", "settings": {}})"),
            "started_at_unix: not a number");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12, "started_at_unix": 1, "settings": ["workers"]})"),
            "settings: not an object");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12, "started_at_unix": 1, "settings": {"workers": 3}})"),
            "settings.workers: not a string");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12, "started_at_unix": 1, "settings": {"workers": null}})"),
            "settings.workers: not a string");
  EXPECT_EQ(ErrorOf(Report(R"("listeners": "http://0.0.0.0:8000")")), "listeners: not an array");
  EXPECT_EQ(ErrorOf(Report(R"("listeners": [8000])")), "listeners[]: not a string");
  EXPECT_EQ(ErrorOf(Report(R"("num_workers": "3")")), "num_workers: not an integer");
  EXPECT_EQ(ErrorOf(Report(R"("events": {"child_exit": -1})")), "events.child_exit: not a count");
  EXPECT_EQ(ErrorOf(Report(R"("last_event": {"unix": 1})")), "last_event.name: missing");
  EXPECT_EQ(ErrorOf(Report(R"("last_event": {"name": "x", "worker_pid": "31"})")),
            "last_event.worker_pid: not an integer");
  EXPECT_EQ(ErrorOf(Report(R"("worker_class": ["sync"])")), "worker_class: not a string");
}

TEST(ParseHookReport, RefusesTimesNoClockHolds) {
  // 1.7e61 seconds is beyond what milliseconds in 64 bits hold.
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12, "started_at_unix": 1.7e61, "settings": {}})"),
            "started_at_unix: not a time between 1970 and the year 5000");
  EXPECT_EQ(ErrorOf(R"({"version": 1, "pid": 12, "started_at_unix": -1, "settings": {}})"),
            "started_at_unix: not a time between 1970 and the year 5000");
  EXPECT_EQ(ErrorOf(Report(R"("written_at_unix": 1e300)")),
            "written_at_unix: not a time between 1970 and the year 5000");
  EXPECT_EQ(ErrorOf(Report(R"("last_event": {"name": "x", "unix": 1e20})")),
            "last_event.unix: not a time between 1970 and the year 5000");
}

TEST(ParseHookReport, RefusesWhatASnapshotCouldNotCarry) {
  std::string many;
  for (int i = 0; i < 401; ++i) absl::StrAppend(&many, i ? "," : "", "\"s", i, "\": \"1\"");
  EXPECT_EQ(ErrorOf(absl::StrCat(R"({"version": 1, "pid": 12, "started_at_unix": 1, "settings": {)", many, "}}")),
            "settings: 401 entries, more than 400");
  std::string long_value(16 * 1024 + 1, 'x');
  EXPECT_EQ(ErrorOf(absl::StrCat(R"({"version": 1, "pid": 12, "started_at_unix": 1, "settings": {"raw_env": ")",
                                 long_value, "\"}}")),
            "settings.raw_env: longer than 16384 bytes");
  std::string huge = Report(absl::StrCat("\"padding\": \"", std::string(kMaxHookFileBytes, ' '), "\""));
  EXPECT_EQ(ErrorOf(huge), "larger than 1 MiB");
}

TEST(HookFilePath, JoinsDirectoryAndMasterPid) {
  EXPECT_EQ(HookFilePath("/run/corral", 7), "/run/corral/gunicorn-7.json");
  EXPECT_EQ(HookFilePath("/run/corral//", 7), "/run/corral/gunicorn-7.json");
  EXPECT_EQ(HookFilePath("/", 1), "/gunicorn-1.json");
}

// A FIFO put where the hook file was: reading it must not wait for a
// writer (the sampling thread would stop). Without the check, the read
// below blocks until the test opens the FIFO's other end.
TEST(ReadHookFile, AFifoIsRefusedWithoutWaiting) {
  std::string dir = corral::testing::MakeTempDir("hook-fifo");
  std::string path = HookFilePath(dir, 42);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::optional<absl::StatusOr<std::string>> content =
      corral::testing::ReadFifoWithoutAWriter(path, [&] { return ReadHookFile(path); });
  ASSERT_TRUE(content.has_value()) << "reading a FIFO waited for a writer";
  EXPECT_EQ(content->status().code(), absl::StatusCode::kFailedPrecondition) << content->status();
  EXPECT_TRUE(absl::StrContains(content->status().message(), "is not a regular file")) << content->status();
}

TEST(MatchHookReport, AcceptsTheMastersOwnFileOnly) {
  HookReport report;
  report.pid = 12;
  report.started_at_unix = 1000.2;
  absl::Time start = absl::FromUnixSeconds(1000);
  EXPECT_TRUE(MatchHookReport(report, 12, absl::FromUnixSeconds(1003), start).ok());
  // The agent's and Python's reading of the start time differ by rounding.
  report.started_at_unix = 999.5;
  EXPECT_TRUE(MatchHookReport(report, 12, absl::FromUnixMillis(999600), start).ok());
  EXPECT_TRUE(MatchHookReport(report, 12, absl::FromUnixSeconds(1), absl::InfinitePast()).ok());

  absl::Status other = MatchHookReport(report, 13, absl::FromUnixSeconds(1003), start);
  EXPECT_TRUE(absl::IsInvalidArgument(other)) << other;
  EXPECT_EQ(other.message(), "written by pid 12, not by master 13");

  // Left behind by an earlier master with the same pid (a restarted
  // container's PID 1): written before this master started...
  absl::Status old_file = MatchHookReport(report, 12, absl::FromUnixSeconds(940), start);
  EXPECT_TRUE(absl::IsFailedPrecondition(old_file)) << old_file;
  EXPECT_EQ(old_file.message(), "last written 1m before master 12 started");
  // ...or touched since, but describing a process that started earlier.
  report.started_at_unix = 900;
  absl::Status old_process = MatchHookReport(report, 12, absl::FromUnixSeconds(1003), start);
  EXPECT_TRUE(absl::IsFailedPrecondition(old_process)) << old_process;
}

corral::v1::Setting Known(const std::string& value, const std::string& source, const std::string& file = "",
                          int line = 0) {
  corral::v1::Setting s;
  s.set_value(value);
  s.set_source(source);
  s.set_file(file);
  s.set_line(line);
  return s;
}

corral::v1::Setting Unknown(const std::string& default_value) {
  corral::v1::Setting s;
  s.set_source("unknown");
  s.set_default_value(default_value);
  s.set_note("setproctitle erased the master's command line; a flag there may have set it");
  return s;
}

// What the reconstruction makes of a setproctitle master with a config file.
corral::v1::GunicornInstance Reconstructed() {
  corral::v1::GunicornInstance inst;
  auto& config = *inst.mutable_config();
  config["workers"] = Known("5", "config_file", "/srv/gunicorn.conf.py", 3);
  config["timeout"] = Known("120", "config_file", "/srv/gunicorn.conf.py", 4);
  config["keepalive"] = Unknown("2");
  config["bind"] = Unknown("127.0.0.1:8000");
  config["worker_class"] = Unknown("sync");
  config["user"] = Known("www-data", "config_file", "/srv/gunicorn.conf.py", 5);
  config["app_uri"] = Unknown("");
  for (const char* code : {"SETTINGS_UNKNOWABLE", "CONFIG_KEY_IGNORED"}) {
    corral::v1::Warning* w = inst.add_warnings();
    w->set_code(code);
    w->set_message("...");
  }
  return inst;
}

HookReport Hooked() {
  HookReport report;
  report.pid = 12;
  report.app_uri = "wsgi:application";
  report.worker_class = "gthread";
  report.worker_class_path = "gunicorn.workers.gthread.ThreadWorker";
  report.num_workers = 2;
  report.listeners = {"http://0.0.0.0:8000"};
  report.settings = {{"workers", "2"},         {"timeout", "120"}, {"keepalive", "5"},
                     {"bind", "0.0.0.0:8000"}, {"user", "33"},     {"worker_class", "sync"},
                     {"threads", "4"},         {"wsgi_app", ""},   {"post_fork", "__config__.post_fork"}};
  return report;
}

std::vector<std::string> Codes(const corral::v1::GunicornInstance& inst) {
  std::vector<std::string> codes;
  for (const auto& w : inst.warnings()) codes.push_back(w.code());
  return codes;
}

TEST(ApplyHookReport, EverySettingBecomesTheHooksValue) {
  corral::v1::GunicornInstance inst = Reconstructed();
  ApplyHookReport(Hooked(), inst);
  std::map<std::string, std::string> values;
  for (const auto& [name, s] : inst.config()) {
    EXPECT_EQ(s.source(), "hook") << name;
    values[name] = s.value();
  }
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"workers", "2"},
                                                        {"timeout", "120"},
                                                        {"keepalive", "5"},
                                                        {"bind", "0.0.0.0:8000"},
                                                        {"user", "33"},
                                                        {"worker_class", "gthread"},
                                                        {"threads", "4"},
                                                        {"wsgi_app", ""},
                                                        {"post_fork", "__config__.post_fork"},
                                                        {"app_uri", "wsgi:application"}}));
  EXPECT_EQ(inst.app_uri(), "wsgi:application");
  EXPECT_EQ(inst.config().at("worker_class").note(),
            "the worker_class setting is 'sync'; class gunicorn.workers.gthread.ThreadWorker");
  EXPECT_EQ(inst.config().at("bind").note(), "listening on http://0.0.0.0:8000");
  EXPECT_EQ(inst.config().at("timeout").note(), "set by config_file /srv/gunicorn.conf.py:4");
  EXPECT_EQ(inst.config().at("keepalive").note(), "");
  EXPECT_EQ(inst.config().at("keepalive").default_value(), "");
}

TEST(ApplyHookReport, TheHooksGunicornVersionIsExact) {
  corral::v1::GunicornInstance inst = Reconstructed();
  inst.set_gunicorn_version("20.1.0");
  inst.set_gunicorn_version_source("/usr/lib/python3/dist-packages/gunicorn/__init__.py");
  HookReport report = Hooked();
  report.gunicorn_version = "26.2.2";
  ApplyHookReport(report, inst);
  EXPECT_EQ(inst.gunicorn_version(), "26.2.2");
  EXPECT_EQ(inst.gunicorn_version_source(), "corral hook");
  EXPECT_EQ(inst.gunicorn_version_note(),
            "reported by Gunicorn through Corral's hook; the package the agent found first "
            "(/usr/lib/python3/dist-packages/gunicorn/__init__.py) is 20.1.0");
  // The same version: the hook is the exact source, and the caveat goes.
  // No version in the report (an older hook): the detection stands.
  corral::v1::GunicornInstance older = Reconstructed();
  older.set_gunicorn_version("20.1.0");
  older.set_gunicorn_version_source("/x/gunicorn/__init__.py");
  ApplyHookReport(Hooked(), older);
  EXPECT_EQ(older.gunicorn_version_source(), "/x/gunicorn/__init__.py");
  corral::v1::GunicornInstance same = Reconstructed();
  same.set_gunicorn_version("20.1.0");
  same.set_gunicorn_version_source("/x/gunicorn/__init__.py");
  same.set_gunicorn_version_note("the environment is erased, so a PYTHONPATH there could have chosen another");
  HookReport same_report = Hooked();
  same_report.gunicorn_version = "20.1.0";
  ApplyHookReport(same_report, same);
  EXPECT_EQ(same.gunicorn_version(), "20.1.0");
  EXPECT_EQ(same.gunicorn_version_source(), "corral hook");
  EXPECT_EQ(same.gunicorn_version_note(), "reported by Gunicorn through Corral's hook");
}

TEST(ApplyHookReport, ADisagreementKeepsTheHooksValueAndSaysWhereTheOtherCameFrom) {
  corral::v1::GunicornInstance inst = Reconstructed();
  ApplyHookReport(Hooked(), inst);
  // Gunicorn resolved user 'www-data' to uid 33: not a disagreement.
  EXPECT_EQ(Codes(inst), (std::vector<std::string>{"CONFIG_KEY_IGNORED", "HOOK_DISAGREES"}));
  EXPECT_EQ(inst.warnings(1).message(),
            "workers: Gunicorn reports '2' through the hook, but Corral's reconstruction found '5' "
            "(config_file /srv/gunicorn.conf.py:3); the hook's value is the one in effect");
  EXPECT_EQ(inst.config().at("workers").value(), "2");
  EXPECT_EQ(inst.config().at("workers").note(),
            "Corral's reconstruction found '5' (config_file /srv/gunicorn.conf.py:3)");
}

TEST(ApplyHookReport, SettingsUnknowableStaysWhileSomethingIsStillUnknown) {
  corral::v1::GunicornInstance inst = Reconstructed();
  HookReport report = Hooked();
  report.app_uri.clear();  // a custom Gunicorn application without an app URI
  ApplyHookReport(report, inst);
  EXPECT_EQ(inst.config().at("app_uri").source(), "unknown");
  EXPECT_EQ(inst.app_uri(), "");
  EXPECT_EQ(Codes(inst), (std::vector<std::string>{"SETTINGS_UNKNOWABLE", "CONFIG_KEY_IGNORED", "HOOK_DISAGREES"}));
}

TEST(ApplyHookReport, ARuntimeTargetIsNotedOnWorkers) {
  corral::v1::GunicornInstance inst = Reconstructed();
  HookReport report = Hooked();
  report.num_workers = 4;
  ApplyHookReport(report, inst);
  EXPECT_EQ(inst.config().at("workers").value(), "2");
  EXPECT_THAT(inst.config().at("workers").note(),
              HasSubstr("the master's target is now 4 (changed at run time with TTIN/TTOU)"));
}

// The probe, reading hook files beside the fixture proc tree. Master 12
// there runs under setproctitle with workers = 17 from its config file and
// a bind the agent cannot evaluate.
class ProbeHookTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1800000000;

  ProbeHookTest() {
    std::string pattern = ::testing::TempDir() + "/hookXXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    dir_ = ::mkdtemp(buffer.data());
    ProbeOptions options;
    options.proc_root = std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/proc-fleet";
    options.now = [this] { return now_; };
    options.hook_dir = dir_;
    probe_ = std::make_unique<Probe>(options);
  }

  // Master 12 started 6000 ticks after boot. The fixture's uptime stays at
  // 10000 s while the injected clock moves, so to the probe the master's
  // start moves with the clock.
  double Master12Start() const {
    return absl::ToDoubleSeconds(now_ - absl::UnixEpoch()) - (10000.0 - 6000.0 / ::sysconf(_SC_CLK_TCK));
  }

  // A report for master `pid` covering every setting the reconstruction
  // reports, Gunicorn's defaults with `overrides`. The fixture holds no
  // Gunicorn package, so the probe reads with the newest release's table.
  std::string FullReport(int pid, const std::map<std::string, std::string>& overrides,
                         std::optional<double> started_at = std::nullopt) const {
    std::map<std::string, std::string> settings;
    for (const gunicorn::GunicornSetting& s : gunicorn::NewestTable()) settings[s.name] = s.default_value;
    for (const auto& [name, value] : overrides) settings[name] = value;
    std::vector<std::string> members;
    for (const auto& [name, value] : settings) {
      std::string escaped;
      for (char c : value) {
        if (c == '"' || c == '\\') escaped += '\\';
        escaped += c;
      }
      members.push_back(absl::StrCat("\"", name, "\": \"", escaped, "\""));
    }
    return absl::StrCat(R"({"version": 1, "pid": )", pid, R"(, "started_at_unix": )",
                        absl::StrFormat("%.3f", started_at.value_or(Master12Start())),
                        R"(, "app_uri": "api:app", "worker_class": "sync", "num_workers": 5, "settings": {)",
                        absl::StrJoin(members, ", "), "}}");
  }

  // Writes a hook file and sets its mtime.
  void WriteHook(int pid, const std::string& content, absl::Time mtime) const {
    std::string path = HookFilePath(dir_, pid);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    struct timespec times[2] = {absl::ToTimespec(mtime), absl::ToTimespec(mtime)};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  const corral::v1::GunicornInstance* Find(const corral::v1::Snapshot& s, int pid) const {
    for (const auto& inst : s.instances()) {
      if (inst.master().pid() == pid) return &inst;
    }
    return nullptr;
  }

  static bool HasWarning(const corral::v1::GunicornInstance& inst, const std::string& code) {
    for (const auto& w : inst.warnings()) {
      if (w.code() == code) return true;
    }
    return false;
  }

  std::string dir_;
  absl::Time now_ = absl::FromUnixSeconds(kNow);
  std::unique_ptr<Probe> probe_;
};

TEST_F(ProbeHookTest, TheHookFillsInWhatSetproctitleErased) {
  WriteHook(12, FullReport(12, {{"workers", "5"}, {"bind", "0.0.0.0:9000"}}), absl::FromUnixSeconds(kNow - 100));
  corral::v1::Snapshot s = probe_->Discover();
  const corral::v1::GunicornInstance* inst = Find(s, 12);
  ASSERT_NE(inst, nullptr);
  for (const auto& [name, setting] : inst->config()) EXPECT_EQ(setting.source(), "hook") << name;
  EXPECT_EQ(inst->config().at("workers").value(), "5");
  EXPECT_EQ(inst->config().at("bind").value(), "0.0.0.0:9000");
  EXPECT_EQ(inst->app_uri(), "api:app");
  EXPECT_FALSE(HasWarning(*inst, "SETTINGS_UNKNOWABLE"));
  ASSERT_TRUE(HasWarning(*inst, "HOOK_DISAGREES"));
  std::string disagreement;
  for (const auto& w : inst->warnings()) {
    if (w.code() == "HOOK_DISAGREES" && absl::StartsWith(w.message(), "workers:")) disagreement = w.message();
  }
  EXPECT_THAT(disagreement, HasSubstr("'5' through the hook"));
  EXPECT_THAT(disagreement, HasSubstr("found '17' (config_file /srv/gunicorn.conf.py:6)"));
  // The live count (1) is judged against the hook's value.
  EXPECT_TRUE(HasWarning(*inst, "FEWER_WORKERS_THAN_CONFIGURED"));
  EXPECT_FALSE(absl::StrContains(absl::StrJoin(inst->master().read_errors(), ";"), "corral hook"));

  // Masters without a file are left as reconstructed.
  const corral::v1::GunicornInstance* other = Find(s, 7);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->config().at("workers").source(), "cmdline");
}

TEST_F(ProbeHookTest, SampleRereadsTheFileOnlyWhenItChanged) {
  absl::Time mtime = absl::FromUnixSeconds(kNow - 100);
  std::string started = FullReport(12, {{"workers", "5"}});
  WriteHook(12, started, mtime);
  ASSERT_EQ(Find(probe_->Discover(), 12)->config().at("workers").value(), "5");

  // Rewritten in place, same size, same mtime: the probe does not look.
  std::string rewritten = started;
  rewritten.replace(rewritten.find("\"workers\": \"5\""), 14, "\"workers\": \"6\"");
  WriteHook(12, rewritten, mtime);
  now_ += absl::Seconds(5);
  corral::v1::Snapshot same = probe_->Sample();
  ASSERT_EQ(same.scan_kind(), corral::v1::STEADY_STATE);
  EXPECT_EQ(Find(same, 12)->config().at("workers").value(), "5");

  // A new mtime: read again.
  now_ += absl::Seconds(5);
  WriteHook(12, FullReport(12, {{"workers", "6"}}), now_ - absl::Seconds(1));
  corral::v1::Snapshot changed = probe_->Sample();
  ASSERT_EQ(changed.scan_kind(), corral::v1::STEADY_STATE);
  EXPECT_EQ(Find(changed, 12)->config().at("workers").value(), "6");
  EXPECT_EQ(Find(changed, 12)->config().at("workers").source(), "hook");

  // Gone: back to the reconstruction.
  ASSERT_EQ(::unlink(HookFilePath(dir_, 12).c_str()), 0);
  now_ += absl::Seconds(5);
  corral::v1::Snapshot gone = probe_->Sample();
  EXPECT_EQ(Find(gone, 12)->config().at("workers").value(), "17");
  EXPECT_EQ(Find(gone, 12)->config().at("workers").source(), "config_file");
  EXPECT_TRUE(HasWarning(*Find(gone, 12), "SETTINGS_UNKNOWABLE"));
}

TEST_F(ProbeHookTest, BadFilesAreReadErrorsAndTheReconstructionStands) {
  absl::Time mtime = absl::FromUnixSeconds(kNow - 100);
  WriteHook(12, "gunicorn: master [api]", mtime);
  WriteHook(7, FullReport(8, {}), mtime);  // another master's report under 7's name
  WriteHook(30, std::string(kMaxHookFileBytes + 10, ' '), mtime);
  corral::v1::Snapshot s = probe_->Discover();

  auto errors = [&](int pid) { return absl::StrJoin(Find(s, pid)->master().read_errors(), "; "); };
  EXPECT_THAT(errors(12), HasSubstr(absl::StrCat("corral hook file ", dir_,
                                                 "/gunicorn-12.json: not JSON: unexpected character at byte 0")));
  EXPECT_THAT(errors(7), HasSubstr(absl::StrCat("corral hook file ", dir_,
                                                "/gunicorn-7.json: written by pid 8, not by master 7")));
  EXPECT_THAT(errors(30), HasSubstr(absl::StrCat("corral hook file ", dir_, "/gunicorn-30.json: larger than")));
  EXPECT_EQ(Find(s, 12)->config().at("workers").source(), "config_file");
  EXPECT_EQ(Find(s, 7)->config().at("workers").source(), "cmdline");
  EXPECT_EQ(Find(s, 30)->config().at("workers").source(), "cmdline");
}

TEST_F(ProbeHookTest, AFileLeftByAnEarlierMasterWithTheSamePidIsIgnoredQuietly) {
  // Written long before master 12 started, by a master that started earlier.
  double earlier = Master12Start() - 3600;
  WriteHook(12, FullReport(12, {{"workers", "9"}}, earlier), absl::FromUnixSeconds(static_cast<int64_t>(earlier) + 60));
  corral::v1::Snapshot s = probe_->Discover();
  const corral::v1::GunicornInstance* inst = Find(s, 12);
  ASSERT_NE(inst, nullptr);
  EXPECT_EQ(inst->config().at("workers").value(), "17");
  EXPECT_EQ(inst->config().at("workers").source(), "config_file");
  EXPECT_FALSE(absl::StrContains(absl::StrJoin(inst->master().read_errors(), ";"), "corral hook"));
}

}  // namespace
}  // namespace corral::agent
