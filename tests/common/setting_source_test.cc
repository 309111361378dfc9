#include "common/setting_source.h"

#include "gtest/gtest.h"

namespace corral {
namespace {

corral::v1::Setting S(std::string value, std::string source, std::string note = "") {
  corral::v1::Setting s;
  s.set_value(std::move(value));
  s.set_source(std::move(source));
  s.set_note(std::move(note));
  return s;
}

TEST(IsKnown, OnlyUnknownIsNotKnown) {
  EXPECT_FALSE(IsKnown(S("", kSourceUnknown, "argv erased")));
  EXPECT_TRUE(IsKnown(S("", kSourceDefault)));
  EXPECT_TRUE(IsKnown(S("3", kSourceCmdline)));
}

TEST(IsExact, HookAndControlSocketAreGunicornsOwnAnswer) {
  EXPECT_TRUE(IsExact(S("3", kSourceHook)));
  EXPECT_TRUE(IsExact(S("3", kSourceControlSocket)));
  EXPECT_FALSE(IsExact(S("3", kSourceCmdline)));
  EXPECT_FALSE(IsExact(S("3", kSourceConfigFile)));
  EXPECT_FALSE(IsExact(S("", kSourceUnknown)));
}

TEST(SettingSourceText, NameWithFileAndLine) {
  corral::v1::Setting file = S("3", kSourceConfigFile);
  file.set_file("/a.py");
  file.set_line(2);
  EXPECT_EQ(SettingSourceText(file), "config_file /a.py:2");
  file.set_line(0);
  EXPECT_EQ(SettingSourceText(file), "config_file /a.py");
  EXPECT_EQ(SettingSourceText(S("3", kSourceConfigFile)), "config_file");
  EXPECT_EQ(SettingSourceText(S("3", kSourceCmdline, "via -w")), "cmdline");
  EXPECT_EQ(SettingSourceText(S("5", kSourceEnv, "WEB_CONCURRENCY=5")), "env");
}

TEST(SettingSourceText, WithOriginNamesFlagsAndVariables) {
  EXPECT_EQ(SettingSourceText(S("3", kSourceCmdline, "via -w"), SourceDetail::kWithOrigin), "cmdline -w");
  EXPECT_EQ(SettingSourceText(S("3", kSourceCmdArgs, "via --workers"), SourceDetail::kWithOrigin),
            "gunicorn_cmd_args --workers");
  EXPECT_EQ(SettingSourceText(S("3", kSourceCmdline, "set twice"), SourceDetail::kWithOrigin), "cmdline");
  corral::v1::Setting file = S("3", kSourceConfigFile);
  file.set_file("/a.py");
  file.set_line(2);
  EXPECT_EQ(SettingSourceText(file, SourceDetail::kWithOrigin), "config_file /a.py:2");
  EXPECT_EQ(SettingSourceText(S("5", kSourceEnv, "WEB_CONCURRENCY=5"), SourceDetail::kWithOrigin),
            "env WEB_CONCURRENCY=5");
  EXPECT_EQ(SettingSourceText(S("1", kSourceDefault), SourceDetail::kWithOrigin), "default");
}

}  // namespace
}  // namespace corral
