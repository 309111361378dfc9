#include "gunicorn/settings.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace corral::gunicorn {
namespace {

std::set<std::string> Lines() {
  std::set<std::string> lines;
  for (const SettingsTable* t : AllTables()) lines.insert(t->line());
  return lines;
}

TEST(SettingsTables, CoverEveryReleaseLineFrom20_1To26) {
  std::set<std::string> lines = Lines();
  for (const char* line : {"20.1", "21.2", "22.0", "23.0", "24.1", "25.3", "26.2"}) {
    EXPECT_TRUE(lines.count(line)) << line;
  }
  EXPECT_EQ(NewestTable().line(), "26.2");
  EXPECT_EQ(AllTables().front()->line(), "20.1");
}

TEST(SettingsTables, HoldEachReleasesOwnSettingCount) {
  // The counts of KNOWN_SETTINGS in each release's gunicorn/config.py.
  EXPECT_EQ(TableFor(Release{20, 1, 0}).table->size(), 86u);
  EXPECT_EQ(TableFor(Release{23, 0, 0}).table->size(), 93u);
  EXPECT_EQ(TableFor(Release{26, 2, 2}).table->size(), 119u);
}

TEST(SettingsTables, FlagsAppearInTheReleaseThatAddedThem) {
  const SettingsTable& t20 = *TableFor(Release{20, 1, 0}).table;
  const SettingsTable& t23 = *TableFor(Release{23, 0, 0}).table;
  const SettingsTable& t26 = *TableFor(Release{26, 2, 0}).table;
  EXPECT_EQ(t20.FindFlag("--header-map"), nullptr);
  ASSERT_NE(t23.FindFlag("--header-map"), nullptr);
  EXPECT_STREQ(t23.FindFlag("--header-map")->name, "header_map");
  EXPECT_EQ(t23.FindFlag("--dirty-app"), nullptr);
  ASSERT_NE(t26.FindFlag("--dirty-app"), nullptr);
  EXPECT_EQ(t26.FindFlag("--dirty-app")->action, ArgAction::kAppend);
  EXPECT_EQ(FirstLineWithFlag("--header-map"), "22.0");
  EXPECT_EQ(FirstLineWithFlag("--dirty-workers"), "25.0");
  EXPECT_EQ(FirstLineWithFlag("--no-such-flag"), std::nullopt);
}

TEST(SettingsTables, RecordHowEachDefaultIsMade) {
  const SettingsTable& t26 = NewestTable();
  EXPECT_EQ(t26.Find("workers")->default_origin, DefaultOrigin::kEnvironment);
  EXPECT_STREQ(t26.Find("workers")->default_value, "1");
  EXPECT_EQ(t26.Find("bind")->default_origin, DefaultOrigin::kEnvironment);
  EXPECT_STREQ(t26.Find("bind")->default_value, "127.0.0.1:8000");
  EXPECT_EQ(t26.Find("control_socket")->default_origin, DefaultOrigin::kEnvironment);
  EXPECT_EQ(t26.Find("chdir")->default_origin, DefaultOrigin::kProcess);
  EXPECT_STREQ(t26.Find("timeout")->default_value, "30");
  EXPECT_EQ(t26.Find("timeout")->default_origin, DefaultOrigin::kStatic);
  // 22.0 added ::1 to the forwarded_allow_ips default.
  EXPECT_STREQ(TableFor(Release{20, 1, 0}).table->Find("forwarded_allow_ips")->default_value, "127.0.0.1");
  EXPECT_STREQ(t26.Find("forwarded_allow_ips")->default_value, "127.0.0.1,::1");
  // 25.1 put the control socket in the working directory; 25.2 moved it.
  EXPECT_STREQ(TableFor(Release{25, 1, 0}).table->Find("control_socket")->default_value, "gunicorn.ctl");
}

TEST(SettingsTables, ProxyProtocolTakesAnOptionalValueSince24) {
  const GunicornSetting* old = TableFor(Release{23, 0, 0}).table->Find("proxy_protocol");
  const GunicornSetting* now = NewestTable().Find("proxy_protocol");
  EXPECT_EQ(old->action, ArgAction::kStoreTrue);
  EXPECT_EQ(now->action, ArgAction::kStoreOptional);
  EXPECT_STREQ(now->const_value, "auto");
}

TEST(TableFor, ExactLineNearestSameMajorOrNewest) {
  TableChoice exact = TableFor(Release{23, 0, 0});
  EXPECT_TRUE(exact.exact);
  EXPECT_EQ(exact.table->line(), "23.0");
  EXPECT_TRUE(exact.note.empty());

  TableChoice newer_minor = TableFor(Release{26, 7, 1});
  EXPECT_FALSE(newer_minor.exact);
  EXPECT_EQ(newer_minor.table->line(), "26.2");
  EXPECT_NE(newer_minor.note.find("no table for Gunicorn 26.7"), std::string::npos);

  TableChoice future_major = TableFor(Release{30, 0, 0});
  EXPECT_EQ(future_major.table->line(), "26.2");

  TableChoice ancient = TableFor(Release{19, 9, 0});
  EXPECT_EQ(ancient.table->line(), "20.1");

  TableChoice unknown = TableFor(std::nullopt);
  EXPECT_EQ(unknown.table->line(), "26.2");
  EXPECT_NE(unknown.note.find("version is unknown"), std::string::npos);
}

TEST(ParseRelease, ReadsReleaseSpellings) {
  EXPECT_EQ(ParseRelease("26.2.2"), (Release{26, 2, 2}));
  EXPECT_EQ(ParseRelease("23.0"), (Release{23, 0, 0}));
  EXPECT_EQ(ParseRelease(" 20.1.0rc1 "), (Release{20, 1, 0}));
  EXPECT_EQ(ParseRelease("26"), std::nullopt);
  EXPECT_EQ(ParseRelease("abc"), std::nullopt);
  EXPECT_EQ(ParseRelease("2x.1"), std::nullopt);
  EXPECT_EQ(ParseRelease(""), std::nullopt);
}

TEST(GunicornSetting, ReportsTheSettingsSnapshotsCarry) {
  EXPECT_TRUE(NewestTable().Find("workers")->reported());
  EXPECT_TRUE(NewestTable().Find("dirty_workers")->reported());
  EXPECT_TRUE(NewestTable().Find("control_socket")->reported());
  EXPECT_FALSE(NewestTable().Find("on_starting")->reported());
}

}  // namespace
}  // namespace corral::gunicorn
