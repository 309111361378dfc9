#include "compose/env_file.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corral::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

VarLookup Vars(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<std::string> Describe(const std::vector<EnvFileVar>& vars) {
  std::vector<std::string> out;
  for (const EnvFileVar& var : vars) out.push_back(var.name + "=" + var.value + " @" + std::to_string(var.line));
  return out;
}

TEST(ParseEnvFile, ReadsQuotingCommentsAndExportAsComposeDoes) {
  const std::string content =
      "# settings\n"
      "export PORT=8000\n"
      "LITERAL='$PORT stays'\n"
      "ESCAPED=\"a\\tb\"\n"
      "BIND=0.0.0.0:$PORT # the port above\n";
  std::vector<std::string> warnings;

  std::vector<EnvFileVar> vars = ParseEnvFile(".env", content, Vars({}), &warnings);

  EXPECT_THAT(Describe(vars),
              ElementsAre("PORT=8000 @2", "LITERAL=$PORT stays @3", "ESCAPED=a\tb @4", "BIND=0.0.0.0:8000 @5"));
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(ParseEnvFile, DoubleQuotedValueMaySpanLinesAndKeepsItsFirstLine) {
  std::vector<std::string> warnings;

  std::vector<EnvFileVar> vars = ParseEnvFile(".env", "KEY=\"line one\nline two\"\nNEXT=1\n", Vars({}), &warnings);

  EXPECT_THAT(Describe(vars), ElementsAre("KEY=line one\nline two @1", "NEXT=1 @3"));
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(ParseEnvFile, LookupWinsOverLinesAbove) {
  std::vector<std::string> warnings;

  std::vector<EnvFileVar> vars =
      ParseEnvFile(".env", "HOST=from-file\nURL=http://$HOST\n", Vars({{"HOST", "from-env"}}), &warnings);

  EXPECT_THAT(Describe(vars), ElementsAre("HOST=from-file @1", "URL=http://from-env @2"));
}

TEST(ParseEnvFile, BareNameTakesLookupValueOrIsSkippedWithWarning) {
  std::vector<std::string> warnings;

  std::vector<EnvFileVar> vars = ParseEnvFile("app.env", "TOKEN\nMISSING\n", Vars({{"TOKEN", "t0k"}}), &warnings);

  EXPECT_THAT(Describe(vars), ElementsAre("TOKEN=t0k @1"));
  EXPECT_THAT(warnings, ElementsAre("app.env:2: MISSING takes its value from the environment, where it is not set; "
                                    "not imported"));
}

TEST(ParseEnvFile, MalformedLinesAreSkippedWithTheirFileAndLine) {
  std::vector<std::string> warnings;

  std::vector<EnvFileVar> vars =
      ParseEnvFile("app.env", "not a pair\nWORKERS=${N\nOPEN=\"never closed\n", Vars({}), &warnings);

  EXPECT_THAT(vars, IsEmpty());
  EXPECT_THAT(warnings, ElementsAre("app.env:1: not a NAME=VALUE line; skipped",
                                    "app.env:2: WORKERS: unterminated ${ in '${N'; not imported",
                                    "app.env:3: OPEN has no closing quote; not imported"));
}

}  // namespace
}  // namespace corral::compose
