// What can be checked of docker/ on a machine without a Docker engine: the
// compose files parse (docker-compose config, which needs no engine), the
// Prometheus configuration and alert rules are valid and do what they say
// (promtool), the images' roots hold every shared library the binaries load
// (and nothing from outside Debian's packages), and the Dockerfile installs
// packages only through the project's install script. tests/containers
// builds and runs the images on a real engine.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::RunCommand;
using corral::testing::SourceDir;

TEST(DockerFiles, ComposeFilesAreValidForDockerCompose) {
  for (const char* file : {"docker/compose.yaml", "examples/incident/docker-compose.yml"}) {
    corral::testing::RunResult r = RunCommand({"docker-compose", "-f", SourceDir() + "/" + file, "config", "-q"});
    EXPECT_EQ(r.exit_code, 0) << file << ": " << r.out << r.err;
  }
  // The sidecar shares the application's PID namespace and may ptrace-read it.
  corral::testing::RunResult config =
      RunCommand({"docker-compose", "-f", SourceDir() + "/docker/compose.yaml", "config"});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  EXPECT_TRUE(absl::StrContains(config.out, "pid: service:api-backend")) << config.out;
  EXPECT_TRUE(absl::StrContains(config.out, "- SYS_PTRACE")) << config.out;
  EXPECT_TRUE(absl::StrContains(config.out, "corral-data:/var/lib/corral")) << config.out;
}

// docker/compose.ha.yaml: two servers on one PostgreSQL, agents reporting
// to both (README, "Several servers").
TEST(DockerFiles, TheHighAvailabilityStackHasTwoServersOnOneDatabase) {
  corral::testing::RunResult config =
      RunCommand({"docker-compose", "-f", SourceDir() + "/docker/compose.ha.yaml", "config"});
  ASSERT_EQ(config.exit_code, 0) << config.out << config.err;
  EXPECT_TRUE(absl::StrContains(config.out, "  corral-server-a:\n")) << config.out;
  EXPECT_TRUE(absl::StrContains(config.out, "  corral-server-b:\n")) << config.out;
  EXPECT_TRUE(absl::StrContains(config.out, "CORRAL_SERVER: corral-server-a:7400,corral-server-b:7400")) << config.out;
  // Both servers name the same database.
  const std::string database = "CORRAL_DATABASE: postgresql://corral:corral@postgres:5432/corral";
  size_t first = config.out.find(database);
  ASSERT_NE(first, std::string::npos) << config.out;
  EXPECT_NE(config.out.find(database, first + 1), std::string::npos) << config.out;
  EXPECT_TRUE(absl::StrContains(config.out, "image: postgres:15")) << config.out;
}

TEST(DockerFiles, TheReadmesSidecarSnippetIsValidCompose) {
  std::ifstream in(SourceDir() + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  std::string readme = text.str();
  size_t start = readme.find("  web-corral:\n", readme.find("Adding the sidecar to an existing compose stack"));
  ASSERT_NE(start, std::string::npos);
  std::string snippet = readme.substr(start, readme.find("```", start) - start);
  EXPECT_EQ(std::count(snippet.begin(), snippet.end(), '\n'), 5) << snippet;
  std::string dir = corral::testing::MakeTempDir("sidecar");
  corral::testing::WriteFile(dir + "/compose.yaml", "services:\n  web:\n    image: example/web\n" + snippet +
                                                        "  corral-server:\n    image: corral-server\n");
  corral::testing::RunResult r = RunCommand({"docker-compose", "-f", dir + "/compose.yaml", "config", "-q"});
  EXPECT_EQ(r.exit_code, 0) << snippet << r.out << r.err;
}

TEST(DockerFiles, TheReadmesHookVolumeSnippetIsValidCompose) {
  std::ifstream in(SourceDir() + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  std::string readme = text.str();
  size_t start = readme.find("```yaml\nservices:\n  web:\n", readme.find("## The exact-config hook"));
  ASSERT_NE(start, std::string::npos);
  start += std::string("```yaml\n").size();
  std::string snippet = readme.substr(start, readme.find("```", start) - start);
  // The snippet adds to an existing service; give it the image it would have.
  absl::StrReplaceAll({{"  web:\n", "  web:\n    image: example/web\n"}}, &snippet);
  std::string dir = corral::testing::MakeTempDir("hook-volume");
  corral::testing::WriteFile(dir + "/compose.yaml", snippet);
  corral::testing::RunResult r = RunCommand({"docker-compose", "-f", dir + "/compose.yaml", "config", "-q"});
  EXPECT_EQ(r.exit_code, 0) << snippet << r.out << r.err;
}

TEST(DockerFiles, PrometheusConfigIsValidAndTheAlertsFireAsIntended) {
  corral::testing::RunResult config =
      RunCommand({"promtool", "check", "config", SourceDir() + "/docker/prometheus/prometheus.yml"});
  EXPECT_EQ(config.exit_code, 0) << config.out << config.err;
  EXPECT_TRUE(absl::StrContains(config.out, "SUCCESS: 5 rules found")) << config.out;
  corral::testing::RunResult tests =
      RunCommand({"promtool", "test", "rules", SourceDir() + "/docker/prometheus/alerts_test.yml"});
  EXPECT_EQ(tests.exit_code, 0) << tests.out << tests.err;
}

TEST(DockerFiles, ThePrometheusConfigsCommentedTokenBlockIsValidOnceUncommented) {
  std::string config = corral::testing::ReadLog(SourceDir() + "/docker/prometheus/prometheus.yml");
  ASSERT_TRUE(
      absl::StrContains(config, "    # authorization:\n    #   credentials_file: /etc/prometheus/corral-token\n"));
  std::string dir = corral::testing::MakeTempDir("prometheus-token");
  corral::testing::WriteFile(dir + "/corral-token", "s3cret\n");
  absl::StrReplaceAll({{"    # authorization:\n    #   credentials_file: /etc/prometheus/corral-token\n",
                        "    authorization:\n      credentials_file: " + dir + "/corral-token\n"},
                       {"  - alerts.yml", "  - " + SourceDir() + "/docker/prometheus/alerts.yml"}},
                      &config);
  corral::testing::WriteFile(dir + "/prometheus.yml", config);
  corral::testing::RunResult check = RunCommand({"promtool", "check", "config", dir + "/prometheus.yml"});
  EXPECT_EQ(check.exit_code, 0) << config << check.out << check.err;
  EXPECT_TRUE(absl::StrContains(check.out, "SUCCESS")) << check.out;
}

// The Debian package shipping each of `paths` (as ldd shows them; dpkg may
// know them under /usr after the merge of /lib into /usr/lib).
std::map<std::string, std::string> PackagesOf(const std::set<std::string>& paths) {
  std::vector<std::string> argv = {"dpkg", "-S"};
  for (const std::string& p : paths) {
    argv.push_back(p);
    argv.push_back("/usr" + p);
  }
  corral::testing::RunResult r = RunCommand(argv);
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    size_t colon = line.find(": ");
    if (colon == absl::string_view::npos) continue;
    std::string package(line.substr(0, line.find(':')));
    std::string path(line.substr(colon + 2));
    if (absl::StartsWith(path, "/usr/") && !paths.count(path)) path = path.substr(4);
    out[path] = package;
  }
  return out;
}

std::set<std::string> Group(const std::string& group) {
  corral::testing::RunResult r = RunCommand({"bash", SourceDir() + "/scripts/install-deps.sh", "--list", group});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> out;
  for (absl::string_view p : absl::StrSplit(absl::StripAsciiWhitespace(r.out), ' ', absl::SkipEmpty())) {
    out.emplace(p);
  }
  return out;
}

TEST(DockerFiles, ImageRootsHoldEveryLibraryTheBinariesLoadAndRunWithoutTheHost) {
  // The runtime images are FROM scratch plus what scripts/image-root.sh
  // copies: each binary must run in a chroot of that tree alone, and every
  // library in it must come from a Debian package.
  for (const std::vector<std::string>& binaries :
       std::vector<std::vector<std::string>>{{"corral-server", "corral"}, {"corral"}}) {
    std::string root = corral::testing::MakeTempDir("image-root");
    std::vector<std::string> argv = {"bash", SourceDir() + "/scripts/image-root.sh", root};
    for (const std::string& b : binaries) argv.push_back(corral::testing::BinPath(b));
    corral::testing::RunResult made = RunCommand(argv);
    ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
#ifndef CORRAL_SANITIZE
    // (A sanitized binary reads its options and its threads from /proc, which
    // the bare root lacks, and fails at exit there: it is left out.)
    for (const std::string& b : binaries) {
      corral::testing::RunResult run = RunCommand({"chroot", root, "/usr/local/bin/" + b, "--help"});
      EXPECT_EQ(run.exit_code, 0) << b << ": " << run.out << run.err;
      EXPECT_TRUE(absl::StrContains(run.out + run.err, "Usage:")) << b << ": " << run.out << run.err;
    }
#endif
    corral::testing::RunResult libs = RunCommand({"find", root, "-name", "*.so*", "-type", "f"});
    std::set<std::string> paths;
    for (absl::string_view line : absl::StrSplit(libs.out, '\n', absl::SkipEmpty())) {
      std::string inside(absl::StripPrefix(line, root));
      // /lib64/ld-linux-x86-64.so.2 is the package's /lib/x86_64-linux-gnu one.
      if (inside == "/lib64/ld-linux-x86-64.so.2") inside = "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
      paths.insert(inside);
    }
    ASSERT_FALSE(paths.empty());
    std::map<std::string, std::string> packages = PackagesOf(paths);
    for (const std::string& path : paths) {
      EXPECT_TRUE(packages.count(path)) << path << " is in the image root but no Debian package ships it";
    }
  }
}

TEST(DockerFiles, TheDockerfileInstallsOnlyThroughTheInstallScript) {
  std::ifstream in(SourceDir() + "/docker/Dockerfile");
  std::stringstream text;
  text << in.rdbuf();
  std::string joined = text.str();
  absl::StrReplaceAll({{"\\\n", " "}}, &joined);
  std::set<std::string> groups;
  for (absl::string_view line : absl::StrSplit(joined, '\n')) {
    if (!absl::StartsWith(line, "RUN ")) continue;
    EXPECT_FALSE(absl::StrContains(line, "apt-get install")) << "installs without install-deps.sh: " << line;
    size_t at = line.find("install-deps.sh ");
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = line.substr(at + std::string("install-deps.sh ").size());
    groups.emplace(rest.substr(0, rest.find(' ')));
  }
  EXPECT_EQ(groups, (std::set<std::string>{"build"}));
  for (const std::string& g : groups) EXPECT_FALSE(Group(g).empty()) << g;
}

TEST(DockerFiles, TheImageBuildConfiguresWithoutTestDependencies) {
  std::string dir = corral::testing::MakeTempDir("image-build");
  corral::testing::RunResult configure =
      RunCommand({"cmake", "-S", SourceDir(), "-B", dir, "-DCMAKE_BUILD_TYPE=Release", "-DCORRAL_BUILD_TESTS=OFF"}, {},
                 "", absl::Seconds(120));
  ASSERT_EQ(configure.exit_code, 0) << configure.out << configure.err;
  std::ifstream cache(dir + "/CMakeCache.txt");
  std::stringstream text;
  text << cache.rdbuf();
  EXPECT_FALSE(absl::StrContains(text.str(), "GTest_DIR:PATH=/")) << "the image build looked for GoogleTest";
}

}  // namespace
}  // namespace corral
