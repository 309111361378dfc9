// `make demo` is the README's main command: run its script and check what it
// shows, then that `demo down` leaves nothing behind.
#include <signal.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

TEST(Demo, ShowsTheStaleReplicaAndStopsCleanly) {
  std::string port = std::to_string(corral::testing::FreePort());
  std::string script = corral::testing::SourceDir() + "/scripts/demo.sh";
  // This build's binaries, and a state directory no other run of the demo
  // shares.
  std::string demo_dir = corral::testing::MakeTempDir("demo");
  std::vector<std::pair<std::string, std::string>> env = {
      {"CORRAL_DEMO_PORT", port}, {"CORRAL_BIN_DIR", CORRAL_BIN_DIR}, {"CORRAL_DEMO_DIR", demo_dir}};
  // `up`, then the page at the address it printed, fetched in the same
  // command: RunCommand ends the fleet's process group when the command
  // returns.
  std::string up_out = demo_dir + "/up.out";
  corral::testing::RunResult up =
      corral::testing::RunCommand({"bash", "-c",
                                   "bash \"$0\" up >\"$1\" 2>&1; rc=$?; cat \"$1\"; "
                                   "page=$(sed -n 's/^The fleet page: \\([^ ]*\\).*/\\1/p' \"$1\"); "
                                   "echo \"--- GET $page\"; [ -n \"$page\" ] && curl -sS \"$page\"; exit $rc",
                                   script, up_out},
                                  env, "", absl::Seconds(90));
  size_t get = up.out.find("--- GET ");
  std::string page_html = get == std::string::npos ? "" : up.out.substr(get);
  std::string page;
  if (size_t at = up.out.find("The fleet page: "); at != std::string::npos) {
    at += strlen("The fleet page: ");
    page = up.out.substr(at, up.out.find_first_of(" \n", at) - at);
  }
  std::string pids_file = demo_dir + "/pids";
  std::vector<int> pids;
  {
    std::ifstream in(pids_file);
    int pid;
    while (in >> pid) pids.push_back(pid);
  }
  corral::testing::RunResult down = corral::testing::RunCommand({"bash", script, "down"}, env);
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_NE(up.out.find("api-backend  3/3       3,3,1         1,3         critical"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("billing      1/1       2             2           ok"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("Settings that differ between replicas:"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("imported 2 service(s) from examples/incident/docker-compose.yml, "
                        "examples/incident/docker-compose.override.yml"),
            std::string::npos)
      << up.out;
  EXPECT_NE(up.out.find("api-backend: confirmed: stale Docker image (replica-3)"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("fix: docker compose build --no-cache api-backend && docker compose up -d api-backend"),
            std::string::npos)
      << up.out;
  EXPECT_NE(up.out.find("make demo-down"), std::string::npos);
  ASSERT_TRUE(absl::StartsWith(page, "http://127.0.0.1:")) << up.out;
  EXPECT_TRUE(absl::StrContains(page_html, "<tr data-service=\"api-backend\" data-status=\"critical\">"))
      << page << "\n"
      << page_html;
  EXPECT_EQ(down.exit_code, 0);
  ASSERT_EQ(pids.size(), 5u);  // server and four containers
  for (int pid : pids) {
    EXPECT_TRUE(corral::testing::WaitFor([&] { return ::kill(pid, 0) != 0; }, absl::Seconds(5))) << pid;
  }
  std::ifstream gone(pids_file);
  EXPECT_FALSE(gone.good());
}

}  // namespace
}  // namespace corral
