#include "server/command_compare.h"

#include "gtest/gtest.h"

namespace corral::server {
namespace {

TEST(CompareGunicornCommands, SpellingsOfTheSameCommandAreEqual) {
  CommandComparison c = CompareGunicornCommands(
      {"/usr/bin/python3", "/usr/bin/gunicorn", "-w3", "--timeout=120", "--preload", "wsgi:application"}, "26.2.2",
      "gunicorn --workers 3 --timeout 120 --preload wsgi:application");
  ASSERT_TRUE(c.comparable);
  EXPECT_TRUE(c.differences.empty());
  EXPECT_EQ(c.running_text, "/usr/bin/python3 /usr/bin/gunicorn -w3 --timeout=120 --preload wsgi:application");
}

TEST(CompareGunicornCommands, TheIncidentsStaleCommandDiffersSettingBySetting) {
  CommandComparison c = CompareGunicornCommands(
      {"/usr/bin/gunicorn", "--workers", "1", "--bind", "0.0.0.0:8000", "--reload", "app:app"}, "20.1.0",
      "gunicorn --workers 3 --timeout 120 --preload --bind 0.0.0.0:8000 wsgi:application");
  ASSERT_TRUE(c.comparable);
  EXPECT_EQ(DescribeDifferences(c.differences),
            "app_uri app:app vs wsgi:application, preload_app not given vs set, reload set vs not given, "
            "timeout not given vs 120, workers 1 vs 3");
}

TEST(CompareGunicornCommands, ErasedOrForeignCommandsAreNotComparable) {
  CommandComparison title = CompareGunicornCommands({"gunicorn: master [api]"}, "", "gunicorn app:app");
  EXPECT_FALSE(title.comparable);
  EXPECT_EQ(title.why_not, "setproctitle replaced the master's command line with its title");
  CommandComparison script = CompareGunicornCommands({"/usr/bin/gunicorn", "app:app"}, "23.0.0", "./start.sh");
  EXPECT_FALSE(script.comparable);
  EXPECT_EQ(script.why_not, "the declared command (./start.sh) is not a Gunicorn command line");
  EXPECT_FALSE(CompareGunicornCommands({}, "23.0.0", "gunicorn app:app").comparable);
}

TEST(CompareGunicornCommands, AFlagOnlyOneReleaseHasIsComparedBySettingName) {
  // A 20.1 master against a declaration written for 22.0+ (--header-map):
  // the running side has no header_map, the declared one sets it.
  CommandComparison newer_declared =
      CompareGunicornCommands({"/usr/bin/gunicorn", "--workers", "3", "wsgi:application"}, "20.1.0",
                              "gunicorn --workers 3 --header-map drop wsgi:application");
  ASSERT_TRUE(newer_declared.comparable) << newer_declared.why_not;
  EXPECT_EQ(newer_declared.running_table, "20.1");
  EXPECT_EQ(newer_declared.declared_table, "26.2");
  EXPECT_EQ(DescribeDifferences(newer_declared.differences), "header_map not given vs drop");

  // And the other way round: a 22.0 master that got the flag, a declaration
  // without it.
  CommandComparison newer_running =
      CompareGunicornCommands({"/usr/local/bin/gunicorn", "-w3", "--header-map=dangerous", "wsgi:application"},
                              "22.0.0", "gunicorn --workers 3 wsgi:application");
  ASSERT_TRUE(newer_running.comparable) << newer_running.why_not;
  EXPECT_EQ(newer_running.running_table, "22.0");
  EXPECT_EQ(DescribeDifferences(newer_running.differences), "header_map dangerous vs not given");
}

TEST(CompareGunicornCommands, TheRunningCommandIsReadWithItsOwnRelease) {
  // In 20.1 `--log-conf` is the unique prefix of --log-config; 21.0 added
  // --log-config-json, which makes it ambiguous in every later table.
  const std::vector<std::string> running = {"/usr/bin/gunicorn", "--workers",        "3",
                                            "--log-conf",        "/app/logging.ini", "wsgi:application"};
  const std::string declared = "gunicorn --workers 3 --log-config /app/logging.ini wsgi:application";
  CommandComparison own = CompareGunicornCommands(running, "20.1.0", declared);
  ASSERT_TRUE(own.comparable) << own.why_not;
  EXPECT_TRUE(own.differences.empty()) << DescribeDifferences(own.differences);

  // With the release unknown the newest table stands in, and Gunicorn would
  // have refused the command it reads: no comparison rather than a wrong one.
  CommandComparison unknown = CompareGunicornCommands(running, "", declared);
  EXPECT_FALSE(unknown.comparable);
  EXPECT_EQ(unknown.running_table, "26.2");
  EXPECT_EQ(unknown.why_not,
            "the master's command line does not parse with Gunicorn 26.2's settings (ambiguous option: --log-conf "
            "could match --log-config, --log-config-json)");
}

TEST(CompareGunicornCommands, ADeclarationTheNewestGunicornRefusesIsNotCompared) {
  CommandComparison c = CompareGunicornCommands({"/usr/bin/gunicorn", "--workers", "3", "wsgi:application"}, "23.0.0",
                                                "gunicorn --wokers 3 wsgi:application");
  EXPECT_FALSE(c.comparable);
  EXPECT_EQ(c.why_not,
            "the declared command (gunicorn --wokers 3 wsgi:application) does not parse with Gunicorn 26.2's settings "
            "(unrecognized argument: --wokers)");
}

}  // namespace
}  // namespace corral::server
