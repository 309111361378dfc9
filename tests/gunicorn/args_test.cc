#include "gunicorn/args.h"

#include "gtest/gtest.h"

namespace corral::gunicorn {
namespace {

using Args = std::vector<std::string>;

// These stories read argv as Debian's Gunicorn 20.1 does.
ParsedArgs ParseGunicornArgs(const Args& args) {
  return gunicorn::ParseGunicornArgs(args, *TableFor(Release{20, 1, 0}).table);
}

std::string Last(const ParsedArgs& parsed, const std::string& name) {
  auto it = parsed.options.find(name);
  if (it == parsed.options.end() || it->second.texts.empty()) return "<unset>";
  return it->second.texts.back();
}

TEST(ParseGunicornArgs, EveryArgparseSpellingOfAValue) {
  for (const Args& args : {Args{"-w", "3"}, Args{"-w3"}, Args{"-w=3"}, Args{"--workers", "3"}, Args{"--workers=3"},
                           Args{"--work", "3"}, Args{"--workers=1", "-w", "3"}}) {
    ParsedArgs parsed = ParseGunicornArgs(args);
    if (args[0] == "--work") {
      // Ambiguous prefix: --workers, --worker-class, --worker-connections, --worker-tmp-dir.
      ASSERT_EQ(parsed.problems.size(), 1u);
      EXPECT_NE(parsed.problems[0].find("ambiguous option: --work"), std::string::npos);
      continue;
    }
    EXPECT_TRUE(parsed.problems.empty()) << args[0];
    EXPECT_EQ(Last(parsed, "workers"), "3") << args[0];
  }
}

TEST(ParseGunicornArgs, UniquePrefixesResolve) {
  ParsedArgs parsed = ParseGunicornArgs({"--time", "60", "--keep=5", "--grace", "10", "app:app"});
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(Last(parsed, "timeout"), "60");
  EXPECT_EQ(Last(parsed, "keepalive"), "5");
  EXPECT_EQ(Last(parsed, "graceful_timeout"), "10");
  EXPECT_EQ(parsed.positionals, Args{"app:app"});
  EXPECT_EQ(parsed.options.at("timeout").spelling, "--timeout");
}

TEST(ParseGunicornArgs, SwitchesAndClusters) {
  ParsedArgs parsed = ParseGunicornArgs({"-Dw3", "--preload", "--reload", "app:app"});
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_TRUE(parsed.options.count("daemon"));
  EXPECT_TRUE(parsed.options.count("preload_app"));
  EXPECT_TRUE(parsed.options.count("reload"));
  EXPECT_EQ(Last(parsed, "workers"), "3");
  EXPECT_TRUE(parsed.options.at("preload_app").texts.empty());
}

TEST(ParseGunicornArgs, AppendCollectsAndStoreKeepsTheLast) {
  ParsedArgs parsed = ParseGunicornArgs({"-b", "a:1", "--bind=b:2", "-t", "10", "--timeout", "20", "app"});
  EXPECT_EQ(parsed.options.at("bind").texts, (Args{"a:1", "b:2"}));
  EXPECT_EQ(Last(parsed, "timeout"), "20");
}

TEST(ParseGunicornArgs, PositionalsAnywhereAndAfterDoubleDash) {
  ParsedArgs parsed = ParseGunicornArgs({"app:app", "-w", "2", "--", "-x"});
  EXPECT_EQ(parsed.positionals, (Args{"app:app", "-x"}));
  EXPECT_EQ(Last(parsed, "workers"), "2");
}

TEST(ParseGunicornArgs, NegativeNumbersAreValues) {
  ParsedArgs parsed = ParseGunicornArgs({"-w", "-3", "app"});
  EXPECT_EQ(Last(parsed, "workers"), "-3");
}

TEST(ParseGunicornArgs, ReportsWhatArgparseRefuses) {
  EXPECT_EQ(ParseGunicornArgs({"--nope", "app"}).problems, Args{"unrecognized argument: --nope"});
  EXPECT_EQ(ParseGunicornArgs({"--preload=true"}).problems,
            Args{"argument --preload: ignored explicit argument 'true'"});
  EXPECT_EQ(ParseGunicornArgs({"--workers"}).problems, Args{"argument --workers: expected one argument"});
  EXPECT_EQ(ParseGunicornArgs({"--workers", "--preload"}).problems, Args{"argument --workers: expected one argument"});
  // '-' vs '_' matters: the flag is --limit-request-field_size.
  EXPECT_EQ(ParseGunicornArgs({"--limit-request-field-size", "5"}).problems,
            Args{"unrecognized argument: --limit-request-field-size"});
}

TEST(ShlexSplit, MatchesPythonPosixMode) {
  EXPECT_EQ(*ShlexSplit("a \"b c\" d"), (Args{"a", "b c", "d"}));
  EXPECT_EQ(*ShlexSplit("a\\ b"), Args{"a b"});
  EXPECT_EQ(*ShlexSplit("\"a\\\"b\""), Args{"a\"b"});
  EXPECT_EQ(*ShlexSplit("'x\\y'"), Args{"x\\y"});
  EXPECT_EQ(*ShlexSplit("--bind='0.0.0.0:80'  --workers 3 "), (Args{"--bind=0.0.0.0:80", "--workers", "3"}));
  EXPECT_EQ(*ShlexSplit("a '' b"), (Args{"a", "", "b"}));
  EXPECT_TRUE(ShlexSplit("")->empty());
  EXPECT_FALSE(ShlexSplit("'open").ok());
  EXPECT_FALSE(ShlexSplit("x\\").ok());
}

}  // namespace
}  // namespace corral::gunicorn
