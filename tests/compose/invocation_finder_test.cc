#include "compose/invocation_finder.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/shell_quote.h"
#include "compose/shell_lexer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corral::compose {
namespace {

using ::testing::ElementsAre;

DeclaredService Service(std::vector<std::string> command, std::map<std::string, Declared> environment = {}) {
  DeclaredService service;
  service.name = "api";
  service.command = std::move(command);
  service.command_origin = "compose.yml:4";
  service.command_declared_by = "compose";
  service.environment = std::move(environment);
  return service;
}

TEST(FindGunicornInvocation, SeesThroughWrappersUsersAndRunners) {
  std::optional<GunicornInvocation> found = FindGunicornInvocation(
      Service({"tini", "-g", "--", "gosu", "app", "poetry", "run", "gunicorn", "-w", "2", "m:app"}));

  ASSERT_TRUE(found.has_value());
  EXPECT_THAT(found->argv, ElementsAre("gunicorn", "-w", "2", "m:app"));
  EXPECT_EQ(found->command.launcher, "gunicorn");
  EXPECT_THAT(found->command.args, ElementsAre("-w", "2", "m:app"));
}

TEST(FindGunicornInvocation, EnvSetsAndUnsetsVariablesCreditedToTheCommand) {
  std::optional<GunicornInvocation> found =
      FindGunicornInvocation(Service({"env", "-u", "DROP", "PORT=9000", "gunicorn", "m:app"},
                                     {{"DROP", Declared{"1", ".env:1"}}, {"KEEP", Declared{"2", ".env:2"}}}));

  ASSERT_TRUE(found.has_value());
  EXPECT_THAT(found->argv, ElementsAre("gunicorn", "m:app"));
  EXPECT_EQ(found->environ.count("DROP"), 0u);
  EXPECT_EQ(found->environ.at("KEEP").origin, ".env:2");
  EXPECT_EQ(found->environ.at("PORT").value, "9000");
  EXPECT_EQ(found->environ.at("PORT").origin, "compose.yml:4");
}

TEST(FindGunicornInvocation, FollowsAShellScriptsAssignmentsAndExports) {
  std::optional<GunicornInvocation> found = FindGunicornInvocation(Service(
      {"/bin/sh", "-ec", "W=3; export GUNICORN_CMD_ARGS=\"--workers $W\"; echo gunicorn; exec gunicorn m:app"}));

  ASSERT_TRUE(found.has_value());
  EXPECT_THAT(found->argv, ElementsAre("gunicorn", "m:app"));
  EXPECT_EQ(found->environ.at("GUNICORN_CMD_ARGS").value, "--workers 3");
  EXPECT_EQ(found->environ.count("W"), 0u);
}

TEST(FindGunicornInvocation, KeepsUnresolvedExpansionsMarked) {
  std::optional<GunicornInvocation> found =
      FindGunicornInvocation(Service({"sh", "-c", "exec gunicorn --workers ${WORKERS} app:app"}));

  ASSERT_TRUE(found.has_value());
  EXPECT_THAT(found->argv,
              ElementsAre("gunicorn", "--workers", std::string(1, kUnresolvedMarker) + "${WORKERS}" + kUnresolvedMarker,
                          "app:app"));
}

TEST(FindGunicornInvocation, FindsNothingWhereGunicornIsNotRun) {
  EXPECT_EQ(FindGunicornInvocation(Service({"echo", "gunicorn"})), std::nullopt);
  // A shell without -c runs a script file Corral cannot see.
  EXPECT_EQ(FindGunicornInvocation(Service({"bash", "start"})), std::nullopt);
  EXPECT_EQ(FindGunicornInvocation(Service({"gunicorn: master [app]"})), std::nullopt);
  EXPECT_EQ(FindGunicornInvocation(Service({})), std::nullopt);
}

TEST(FindGunicornInvocation, FollowsShellsFourDeepButNotFive) {
  // sh -c 'sh -c '"'"'gunicorn m:app'"'"'' and deeper, each level quoting
  // the next.
  auto nested = [](int shells) {
    std::string script = "gunicorn m:app";
    for (int i = 1; i < shells; ++i) script = "sh -c " + ShlexQuote(script);
    return Service({"sh", "-c", script});
  };

  EXPECT_TRUE(FindGunicornInvocation(nested(4)).has_value());
  EXPECT_EQ(FindGunicornInvocation(nested(5)), std::nullopt);
}

}  // namespace
}  // namespace corral::compose
