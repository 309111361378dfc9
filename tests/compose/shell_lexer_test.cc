#include "compose/shell_lexer.h"

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
using ::testing::Optional;

VarLookup Vars(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// "\x1fTEXT\x1f": how the lexer writes an expansion it could not resolve.
std::string Unresolved(const std::string& text) { return std::string(1, kUnresolvedMarker) + text + kUnresolvedMarker; }

TEST(ShellLexer, SplitsCommandsAtSeparatorsAndDropsRedirectionsAndComments) {
  ShellLexer lexer("a 'b c' \"d\"; e 2>&1 && f > log\n# note\ng");
  const VarLookup none = Vars({});

  EXPECT_THAT(lexer.Next(none), Optional(ElementsAre("a", "b c", "d")));
  EXPECT_THAT(lexer.Next(none), Optional(ElementsAre("e")));
  EXPECT_THAT(lexer.Next(none), Optional(ElementsAre("f")));
  EXPECT_THAT(lexer.Next(none), Optional(IsEmpty()));
  EXPECT_THAT(lexer.Next(none), Optional(ElementsAre("g")));
  EXPECT_EQ(lexer.Next(none), std::nullopt);
}

TEST(ShellLexer, ExpandsKnownVariablesAndSplitsOnlyUnquotedValues) {
  ShellLexer lexer("gunicorn --workers $W $ARGS \"$ARGS\" ${MISSING:-9} ${W:+set}");

  EXPECT_THAT(lexer.Next(Vars({{"W", "3"}, {"ARGS", "-t 30"}})),
              Optional(ElementsAre("gunicorn", "--workers", "3", "-t", "30", "-t 30", "9", "set")));
}

TEST(ShellLexer, MarksWhatItCannotResolve) {
  ShellLexer lexer("run $UNKNOWN $(date) `id` $1 x${UNKNOWN}y");

  EXPECT_THAT(lexer.Next(Vars({})),
              Optional(ElementsAre("run", Unresolved("$UNKNOWN"), Unresolved("$(date)"), Unresolved("`id`"),
                                   Unresolved("$1"), "x" + Unresolved("${UNKNOWN}") + "y")));
}

TEST(ParseAssignment, ReadsNameEqualsValueWords) {
  EXPECT_THAT(ParseAssignment("WORKERS=3"), Optional(std::make_pair(std::string("WORKERS"), std::string("3"))));
  EXPECT_THAT(ParseAssignment("_A1="), Optional(std::make_pair(std::string("_A1"), std::string())));
  EXPECT_THAT(ParseAssignment("A=b=c"), Optional(std::make_pair(std::string("A"), std::string("b=c"))));
}

TEST(ParseAssignment, RefusesWordsThatAreNotAssignments) {
  EXPECT_EQ(ParseAssignment("gunicorn"), std::nullopt);
  EXPECT_EQ(ParseAssignment("=3"), std::nullopt);
  EXPECT_EQ(ParseAssignment("1A=3"), std::nullopt);
  EXPECT_EQ(ParseAssignment("--workers=3"), std::nullopt);
}

}  // namespace
}  // namespace corral::compose
