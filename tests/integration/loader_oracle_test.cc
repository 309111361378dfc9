// Compares the probe's reconstruction of a running master with Gunicorn's
// own loader: `gunicorn --print-config` run with the same launcher,
// arguments, environment and working directory prints the settings
// Gunicorn computes. Every setting Corral reports as known must match, on
// every release in TestedReleases().
#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/probe.h"
#include "gtest/gtest.h"
#include "gunicorn/settings.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

using corral::testing::GunicornOptions;
using corral::testing::GunicornProcess;

// `name = value` lines of --print-config.
std::map<std::string, std::string> ParsePrintConfig(const std::string& out) {
  std::map<std::string, std::string> values;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    size_t eq = line.find(" = ");
    if (eq == absl::string_view::npos) {
      if (absl::EndsWith(line, " ="))
        values[std::string(absl::StripAsciiWhitespace(line.substr(0, line.size() - 2)))] = "";
      continue;
    }
    values[std::string(absl::StripAsciiWhitespace(line.substr(0, eq)))] = std::string(line.substr(eq + 3));
  }
  return values;
}

// Corral's display form of a value, as Python's str() prints it.
std::string AsPython(const gunicorn::GunicornSetting& setting, const corral::v1::Setting& s) {
  switch (setting.validator) {
    case gunicorn::Validator::kBool:
      if (s.value().empty()) return "None";
      return s.value() == "true" ? "True" : "False";
    case gunicorn::Validator::kListString:
    case gunicorn::Validator::kStringToList:
    case gunicorn::Validator::kProtocolList: {
      std::vector<std::string> items;
      if (!s.value().empty()) {
        for (absl::string_view item : absl::StrSplit(s.value(), ',')) items.push_back(absl::StrCat("'", item, "'"));
      }
      return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
    }
    case gunicorn::Validator::kHostPort:
    case gunicorn::Validator::kStatsdAddress: {
      if (s.value().empty()) return "None";
      std::pair<std::string, std::string> hp = absl::StrSplit(s.value(), ':');
      return absl::StrCat("('", hp.first, "', ", hp.second, ")");
    }
    default:
      return s.value();
  }
}

struct Case {
  std::string name;
  std::vector<std::string> launcher;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::map<std::string, std::string> files;  // relative to the app dir
  // Children holding a heartbeat: web workers, and a dirty arbiter if any.
  int workers;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class LoaderOracleTest : public ::testing::TestWithParam<std::tuple<Case, std::string>> {};

TEST_P(LoaderOracleTest, EveryKnownSettingMatchesGunicornsOwnLoader) {
  const Case& c = std::get<0>(GetParam());
  const std::string& release = std::get<1>(GetParam());
  std::string dir = corral::testing::MakeTempDir("oracle");
  GunicornProcess::WriteApp(dir);
  std::string port = std::to_string(corral::testing::FreePort());
  auto substitute = [&](std::string text) {
    size_t at;
    while ((at = text.find("$PORT")) != std::string::npos) text.replace(at, 5, port);
    return text;
  };
  for (const auto& [path, content] : c.files) corral::testing::WriteFile(dir + "/" + path, substitute(content));
  GunicornOptions options;
  options.setproctitle = false;
  options.release = release;
  options.cwd = dir;
  options.launcher = c.launcher;
  for (const std::string& a : c.args) options.args.push_back(substitute(a));
  for (const auto& [k, v] : c.env) options.env.emplace_back(k, substitute(v));
  absl::StatusOr<std::unique_ptr<GunicornProcess>> g = GunicornProcess::Start(options);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE((*g)->WaitForWorkers(c.workers).ok()) << (*g)->WaitForWorkers(c.workers, absl::ZeroDuration()).status();

  ProbeOptions reconstructing;
  reconstructing.control_socket = false;  // the reconstruction is on trial
  Probe probe(reconstructing);
  corral::v1::Snapshot snapshot = probe.Discover();
  const corral::v1::GunicornInstance* inst = nullptr;
  for (const auto& i : snapshot.instances()) {
    if (i.master().pid() == (*g)->master_pid()) inst = &i;
  }
  ASSERT_NE(inst, nullptr);
  ASSERT_TRUE(absl::StartsWith(inst->gunicorn_version(), release)) << inst->gunicorn_version();
  const gunicorn::SettingsTable& table = *gunicorn::TableFor(gunicorn::ParseRelease(inst->gunicorn_version())).table;

  std::vector<std::string> oracle_argv = c.launcher;
  oracle_argv.push_back("--print-config");
  for (const std::string& a : options.args) oracle_argv.push_back(a);
  std::vector<std::pair<std::string, std::string>> env = options.env;
  std::string stub = corral::testing::MakeTempDir("nospt");
  corral::testing::WriteFile(stub + "/setproctitle/__init__.py", "raise ImportError('disabled')\n");
  absl::StatusOr<std::string> site = corral::testing::GunicornReleaseSite(release);
  ASSERT_TRUE(site.ok()) << site.status();
  env.emplace_back("PYTHONPATH", site->empty() ? stub : absl::StrCat(stub, ":", *site));
  corral::testing::RunResult oracle = corral::testing::RunCommand(oracle_argv, env, dir);
  ASSERT_EQ(oracle.exit_code, 0) << oracle.err;
  std::map<std::string, std::string> truth = ParsePrintConfig(oracle.out);
  ASSERT_GT(truth.size(), 50u) << oracle.out;

  int compared = 0;
  for (const auto& [name, setting] : inst->config()) {
    const gunicorn::GunicornSetting* spec = table.Find(name);
    if (spec == nullptr || setting.source() == "unknown") continue;
    auto it = truth.find(name);
    ASSERT_NE(it, truth.end()) << name;
    std::string ours = AsPython(*spec, setting);
    if (name == "worker_class" && setting.value() == "gthread") ours = "sync";  // Gunicorn prints the setting
    if (spec->validator == gunicorn::Validator::kString && setting.value().empty() &&
        (it->second == "None" || it->second.empty())) {
      ++compared;
      continue;
    }
    EXPECT_EQ(ours, it->second) << c.name << ": " << name << " (source " << setting.source() << ")";
    ++compared;
  }
  EXPECT_GE(compared, 30) << c.name;
  EXPECT_FALSE(inst->app_uri().empty()) << c.name;
  for (const auto& w : inst->warnings()) EXPECT_NE(w.code(), "ARGV_UNPARSED") << w.message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LoaderOracleTest,
    ::testing::Combine(
        ::testing::Values(
            Case{"flags",
                 {"/usr/bin/gunicorn"},
                 {"--workers", "3", "--timeout", "120", "--preload", "-b", "127.0.0.1:$PORT", "wsgi:application"},
                 {},
                 {},
                 3},
            Case{"gunicorn_cmd_args_vs_argv",
                 {"/usr/bin/gunicorn"},
                 {"-t", "45", "--keep=9", "app:app"},
                 {{"GUNICORN_CMD_ARGS", "--workers 2 --keep-alive 7 -b 127.0.0.1:$PORT --max-requests 10 ignored:app"}},
                 {},
                 2},
            Case{"web_concurrency_and_port",
                 {"/usr/bin/gunicorn"},
                 {"app:app"},
                 {{"WEB_CONCURRENCY", "2"}, {"PORT", "$PORT"}},
                 {},
                 2},
            Case{"conf_in_cwd",
                 {"/usr/bin/gunicorn"},
                 {"app:app"},
                 {{"WEB_CONCURRENCY", "5"}},
                 {{"gunicorn.conf.py",
                   "import os\nworkers = int(os.environ.get('WEB_CONCURRENCY', 1)) - 3\ntimeout = 99\n"
                   "bind = ['127.0.0.1:$PORT']\nworker = 4\nloglevel = 'WARNING'.lower()\n"
                   "forwarded_allow_ips = '10.0.0.1, 10.0.0.2'\n"}},
                 2},
            Case{"dash_c_elsewhere",
                 {"/usr/bin/python3", "-m", "gunicorn"},
                 {"-c", "conf/g.py", "--max-requests", "70", "-b", "127.0.0.1:$PORT", "wsgi"},
                 {},
                 {{"conf/g.py",
                   "import multiprocessing\nworkers = 1 if multiprocessing.cpu_count() < 64 else 2\nthreads = 2\n"
                   "max_requests = 50\ngraceful_timeout = 15\numask = 0o22\nstatsd_host = 'localhost:8125'\n"}},
                 1},
            Case{"env_dash_c",
                 {"/usr/bin/gunicorn"},
                 {"-b", "127.0.0.1:$PORT", "app:app"},
                 {{"GUNICORN_CMD_ARGS", "-c conf/env.py --timeout 12"}},
                 {{"conf/env.py", "workers = 2\ntimeout = 600\nreload = True\n"}},
                 2}),
        ::testing::ValuesIn(corral::testing::TestedReleases())),
    [](const ::testing::TestParamInfo<std::tuple<Case, std::string>>& info) {
      return absl::StrCat(std::get<0>(info.param).name, "_", corral::testing::ReleaseTestName(std::get<1>(info.param)));
    });

// Flags only the newest releases have: their own table must read them, and
// no flag's value may be taken for the app.
INSTANTIATE_TEST_SUITE_P(
    NewFlags, LoaderOracleTest,
    ::testing::Combine(::testing::Values(Case{"flags_of_26",
                                              {"/usr/bin/gunicorn"},
                                              {"--header-map", "refuse", "--http-protocols", "h1", "--proxy-protocol",
                                               "-w", "2", "--dirty-app", "dapp:Heavy", "--dirty-workers", "1",
                                               "--dirty-timeout", "90", "-b", "127.0.0.1:$PORT", "wsgi:application"},
                                              {},
                                              {{"dapp.py",
                                                "from gunicorn.dirty import DirtyApp\n"
                                                "class Heavy(DirtyApp):\n"
                                                "    def init(self):\n        pass\n"
                                                "    def close(self):\n        pass\n"}},
                                              3}),
                       ::testing::Values("26")),
    [](const ::testing::TestParamInfo<std::tuple<Case, std::string>>& info) {
      return absl::StrCat(std::get<0>(info.param).name, "_", corral::testing::ReleaseTestName(std::get<1>(info.param)));
    });

}  // namespace
}  // namespace corral::agent
