#include "common/flags.h"

#include <map>

#include "gtest/gtest.h"

namespace corral {
namespace {

const std::vector<FlagSpec> kSpecs = {
    {"server", "HOST:PORT", "server address", "", "CORRAL_SERVER", true},
    {"interval", "DURATION", "sampling interval", "5s", "CORRAL_INTERVAL"},
    {"json", "", "print JSON", "", ""},
};

std::function<std::optional<std::string>(const std::string&)> Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ParseFlags, ReadsBothSpellingsAndPositionals) {
  absl::StatusOr<Flags> flags = ParseFlags(kSpecs, {"--interval=1s", "svc", "--json", "--server", "a:1"}, Env({}));
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->Get("interval"), "1s");
  EXPECT_TRUE(flags->GetBool("json"));
  EXPECT_EQ(flags->GetAll("server"), std::vector<std::string>{"a:1"});
  EXPECT_EQ(flags->positionals(), std::vector<std::string>{"svc"});
}

TEST(ParseFlags, FallsBackToEnvironmentThenDefault) {
  absl::StatusOr<Flags> flags = ParseFlags(kSpecs, {}, Env({{"CORRAL_SERVER", "a:1, b:2"}}));
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->GetAll("server"), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(flags->Get("interval"), "5s");
  EXPECT_FALSE(flags->Has("interval"));
  EXPECT_FALSE(flags->GetBool("json"));
}

TEST(ParseFlags, CommandLineWinsOverEnvironment) {
  absl::StatusOr<Flags> flags = ParseFlags(kSpecs, {"--interval", "2s"}, Env({{"CORRAL_INTERVAL", "9s"}}));
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->Get("interval"), "2s");
}

TEST(ParseFlags, RepeatableFlagsAccumulate) {
  absl::StatusOr<Flags> flags = ParseFlags(kSpecs, {"--server", "a:1", "--server=b:2"}, Env({}));
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->GetAll("server"), (std::vector<std::string>{"a:1", "b:2"}));
}

TEST(ParseFlags, ErrorsNameTheFlag) {
  EXPECT_EQ(ParseFlags(kSpecs, {"--nope"}, Env({})).status().message(), "unknown flag '--nope'");
  EXPECT_EQ(ParseFlags(kSpecs, {"--interval"}, Env({})).status().message(), "--interval needs a value (DURATION)");
  EXPECT_EQ(ParseFlags(kSpecs, {"--interval", "1s", "--interval", "2s"}, Env({})).status().message(),
            "--interval given twice");
  EXPECT_EQ(ParseFlags(kSpecs, {"--json=maybe"}, Env({})).status().message(), "--json is a switch; it takes no value");
  EXPECT_FALSE(ParseFlags(kSpecs, {"-x"}, Env({})).ok());
}

TEST(ParseFlags, HelpIsRecognised) {
  absl::StatusOr<Flags> flags = ParseFlags(kSpecs, {"-h"}, Env({}));
  ASSERT_TRUE(flags.ok());
  EXPECT_TRUE(flags->help_requested());
}

TEST(FlagsHelp, ShowsDefaultsAndVariables) {
  std::string help = FlagsHelp(kSpecs);
  EXPECT_NE(help.find("--interval DURATION"), std::string::npos);
  EXPECT_NE(help.find("(default 5s) [$CORRAL_INTERVAL]"), std::string::npos);
  EXPECT_NE(help.find("Repeatable."), std::string::npos);
}

TEST(ParseOnOff, AcceptsTheUsualSpellings) {
  for (const char* on : {"on", "ON", "true", "yes", "1"}) EXPECT_EQ(ParseOnOff(on).value(), true) << on;
  for (const char* off : {"off", "False", "no", "0"}) EXPECT_EQ(ParseOnOff(off).value(), false) << off;
  EXPECT_EQ(ParseOnOff("maybe").status().message(), "expected on or off, got 'maybe'");
}

}  // namespace
}  // namespace corral
