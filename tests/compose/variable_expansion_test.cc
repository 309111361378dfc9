#include "compose/variable_expansion.h"

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corral::compose {
namespace {

using ::testing::HasSubstr;

constexpr Dialect kCompose{true};
constexpr Dialect kDockerfile{false};

VarLookup Vars(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Expand, ReplacesBracedAndBareReferences) {
  std::string out;

  absl::Status status = Expand("postgres://${HOST}:$PORT/db", Vars({{"HOST", "db"}, {"PORT", "5432"}}), kCompose, &out);

  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(out, "postgres://db:5432/db");
}

TEST(Expand, ColonDefaultCoversEmptyValuesButPlainDefaultOnlyUnsetOnes) {
  const VarLookup vars = Vars({{"EMPTY", ""}});
  std::string with_colon;
  std::string without_colon;
  std::string unset;

  ASSERT_TRUE(Expand("${EMPTY:-8000}", vars, kCompose, &with_colon).ok());
  ASSERT_TRUE(Expand("${EMPTY-8000}", vars, kCompose, &without_colon).ok());
  ASSERT_TRUE(Expand("${UNSET-8000}", vars, kCompose, &unset).ok());

  EXPECT_EQ(with_colon, "8000");
  EXPECT_EQ(without_colon, "");
  EXPECT_EQ(unset, "8000");
}

TEST(Expand, AlternativeIsUsedOnlyWhenTheVariableIsSet) {
  const VarLookup vars = Vars({{"DEBUG", "1"}});
  std::string set;
  std::string unset;

  ASSERT_TRUE(Expand("${DEBUG:+--reload}", vars, kCompose, &set).ok());
  ASSERT_TRUE(Expand("${OTHER:+--reload}", vars, kCompose, &unset).ok());

  EXPECT_EQ(set, "--reload");
  EXPECT_EQ(unset, "");
}

TEST(Expand, DefaultWordIsExpandedOnlyWhenUsed) {
  const VarLookup vars = Vars({{"WORKERS", "4"}, {"FALLBACK", "2"}});
  std::string used;
  std::string unused;

  ASSERT_TRUE(Expand("${UNSET:-${FALLBACK}}", vars, kCompose, &used).ok());
  ASSERT_TRUE(Expand("${WORKERS:-${NOT_SET_EITHER}}", vars, kCompose, &unused).ok());

  EXPECT_EQ(used, "2");
  EXPECT_EQ(unused, "4");
}

TEST(Expand, UnsetVariableWithoutDefaultIsNotFound) {
  std::string out;

  absl::Status status = Expand("--workers $WORKERS", Vars({}), kCompose, &out);

  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("WORKERS"));
}

TEST(Expand, RequiredVariableMissingIsFailedPreconditionCarryingItsMessage) {
  std::string out;

  absl::Status status = Expand("${SECRET_KEY:?set it in .env}", Vars({{"SECRET_KEY", ""}}), kCompose, &out);

  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "required variable SECRET_KEY is missing a value: set it in .env");
}

TEST(Expand, ComposeDialectReadsDoubleDollarAsLiteralAndRefusesLoneDollar) {
  std::string literal;
  std::string lone;

  ASSERT_TRUE(Expand("echo $$HOME", Vars({{"HOME", "/root"}}), kCompose, &literal).ok());
  absl::Status status = Expand("costs 5 $ each", Vars({}), kCompose, &lone);

  EXPECT_EQ(literal, "echo $HOME");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(Expand, DockerfileDialectReadsBackslashDollarAsLiteralAndKeepsLoneDollar) {
  std::string out;

  absl::Status status = Expand("\\$HOME is $HOME, $ stays", Vars({{"HOME", "/root"}}), kDockerfile, &out);

  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(out, "$HOME is /root, $ stays");
}

TEST(Expand, UnterminatedBraceIsInvalidArgument) {
  std::string out;

  absl::Status status = Expand("${PORT:-8000", Vars({}), kCompose, &out);

  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("unterminated"));
}

}  // namespace
}  // namespace corral::compose
