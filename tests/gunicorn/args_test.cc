#include "gunicorn/args.h"

#include <atomic>
#include <cstdlib>
#include <new>

#include "gtest/gtest.h"

// Bytes requested from operator new in this test binary, so that a test can
// bound the work a parse does without timing it.
std::atomic<size_t> g_allocated_bytes{0};

void* operator new(size_t size) {
  g_allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

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

const SettingsTable& Table(int major, int minor) { return *TableFor(Release{major, minor, 0}).table; }

TEST(ParseGunicornArgs, AnUnknownOptionsNextWordIsNotTakenForTheApp) {
  // 22.0 added --header-map; read with 20.1's table, "drop" may be its value.
  ParsedArgs parsed =
      gunicorn::ParseGunicornArgs({"--header-map", "drop", "-w", "2", "wsgi:application"}, Table(20, 1));
  EXPECT_EQ(parsed.unknown_options, Args{"--header-map"});
  EXPECT_EQ(parsed.positionals, (Args{"drop", "wsgi:application"}));
  std::string why;
  EXPECT_EQ(parsed.AppUri(&why), std::nullopt);
  EXPECT_EQ(why,
            "'drop' follows --header-map, an option this Gunicorn release's table does not know, and may be its value");
  EXPECT_EQ(Last(parsed, "workers"), "2");

  // The release's own table knows it takes a value.
  ParsedArgs known = gunicorn::ParseGunicornArgs({"--header-map", "drop", "-w", "2", "wsgi:application"}, Table(23, 0));
  EXPECT_TRUE(known.problems.empty());
  EXPECT_EQ(known.AppUri(), "wsgi:application");
  EXPECT_EQ(Last(known, "header_map"), "drop");
}

TEST(ParseGunicornArgs, AnUnknownOptionWithItsValueAttachedShiftsNothing) {
  ParsedArgs parsed = gunicorn::ParseGunicornArgs({"--http-protocols=h1", "app:app"}, Table(23, 0));
  EXPECT_EQ(parsed.unknown_options, Args{"--http-protocols=h1"});
  EXPECT_EQ(parsed.AppUri(), "app:app");
}

TEST(ParseGunicornArgs, DirtyFlagsOf25AndLater) {
  ParsedArgs parsed = gunicorn::ParseGunicornArgs({"-w", "2", "--dirty-app", "dapp:Heavy", "--dirty-app",
                                                   "dapp:Light:1", "--dirty-workers", "2", "wsgi:application"},
                                                  Table(26, 2));
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.options.at("dirty_apps").texts, (Args{"dapp:Heavy", "dapp:Light:1"}));
  EXPECT_EQ(Last(parsed, "dirty_workers"), "2");
  EXPECT_EQ(parsed.AppUri(), "wsgi:application");
}

TEST(ParseGunicornArgs, OptionalValueTakesTheNextWordOrItsConst) {
  // --proxy-protocol is nargs='?' since 24.0: argparse takes the next word
  // unless it looks like an option.
  ParsedArgs alone = gunicorn::ParseGunicornArgs({"--proxy-protocol", "-w", "2", "app:app"}, Table(26, 2));
  EXPECT_EQ(Last(alone, "proxy_protocol"), "auto");
  EXPECT_EQ(alone.AppUri(), "app:app");
  ParsedArgs given = gunicorn::ParseGunicornArgs({"--proxy-protocol", "v2", "app:app"}, Table(26, 2));
  EXPECT_EQ(Last(given, "proxy_protocol"), "v2");
  ParsedArgs attached = gunicorn::ParseGunicornArgs({"--proxy-protocol=v1", "app:app"}, Table(26, 2));
  EXPECT_EQ(Last(attached, "proxy_protocol"), "v1");
  // In 23.0 it is a switch: the next word is the app.
  ParsedArgs old = gunicorn::ParseGunicornArgs({"--proxy-protocol", "app:app"}, Table(23, 0));
  EXPECT_TRUE(old.options.count("proxy_protocol"));
  EXPECT_EQ(old.AppUri(), "app:app");
}

TEST(ParseGunicornArgs, AClusterOfShortFlagsCostsWorkInProportionToItsLength) {
  // -DDD... is -D -D -D ...; one argument may be 128 KiB long.
  std::string cluster = "-" + std::string(32 * 1024, 'D');
  Args args = {cluster, "app:app"};
  size_t before = g_allocated_bytes.load();
  ParsedArgs parsed = ParseGunicornArgs(args);
  size_t allocated = g_allocated_bytes.load() - before;
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.options.count("daemon"), 1u);
  EXPECT_EQ(parsed.AppUri(nullptr), "app:app");
  // A copy of the rest of the cluster for every letter would be ~1 GiB.
  EXPECT_LT(allocated, 16 * cluster.size());
  EXPECT_EQ(Last(ParseGunicornArgs({"-Dw3"}), "workers"), "3");
  EXPECT_EQ(ParseGunicornArgs({"-DDx"}).problems.at(0), "argument -D: ignored explicit argument 'x'");
}

}  // namespace
}  // namespace corral::gunicorn
