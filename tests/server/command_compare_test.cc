#include "server/command_compare.h"

#include "gtest/gtest.h"

namespace corral::server {
namespace {

TEST(CompareGunicornCommands, SpellingsOfTheSameCommandAreEqual) {
  CommandComparison c = CompareGunicornCommands(
      {"/usr/bin/python3", "/usr/bin/gunicorn", "-w3", "--timeout=120", "--preload", "wsgi:application"},
      "gunicorn --workers 3 --timeout 120 --preload wsgi:application");
  ASSERT_TRUE(c.comparable);
  EXPECT_TRUE(c.differences.empty());
  EXPECT_EQ(c.running_text, "/usr/bin/python3 /usr/bin/gunicorn -w3 --timeout=120 --preload wsgi:application");
}

TEST(CompareGunicornCommands, TheIncidentsStaleCommandDiffersSettingBySetting) {
  CommandComparison c =
      CompareGunicornCommands({"/usr/bin/gunicorn", "--workers", "1", "--bind", "0.0.0.0:8000", "--reload", "app:app"},
                              "gunicorn --workers 3 --timeout 120 --preload --bind 0.0.0.0:8000 wsgi:application");
  ASSERT_TRUE(c.comparable);
  EXPECT_EQ(DescribeDifferences(c.differences),
            "app_uri app:app vs wsgi:application, preload_app not given vs set, reload set vs not given, "
            "timeout not given vs 120, workers 1 vs 3");
}

TEST(CompareGunicornCommands, ErasedOrForeignCommandsAreNotComparable) {
  CommandComparison title = CompareGunicornCommands({"gunicorn: master [api]"}, "gunicorn app:app");
  EXPECT_FALSE(title.comparable);
  EXPECT_EQ(title.why_not, "setproctitle replaced the master's command line with its title");
  CommandComparison script = CompareGunicornCommands({"/usr/bin/gunicorn", "app:app"}, "./start.sh");
  EXPECT_FALSE(script.comparable);
  EXPECT_EQ(script.why_not, "the declared command (./start.sh) is not a Gunicorn command line");
  EXPECT_FALSE(CompareGunicornCommands({}, "gunicorn app:app").comparable);
}

}  // namespace
}  // namespace corral::server
