#include "common/shell_quote.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace corral {
namespace {

TEST(QuoteWordForDisplay, LeavesAPlainWordAsItIs) {
  EXPECT_EQ(QuoteWordForDisplay("gunicorn"), "gunicorn");
  EXPECT_EQ(QuoteWordForDisplay("--bind=0.0.0.0:8000"), "--bind=0.0.0.0:8000");
  // Only what would mislead a reader is quoted: not parentheses or '%'.
  EXPECT_EQ(QuoteWordForDisplay("%(h)s"), "%(h)s");
}

TEST(QuoteWordForDisplay, QuotesAnEmptyWord) { EXPECT_EQ(QuoteWordForDisplay(""), "''"); }

TEST(QuoteWordForDisplay, QuotesSpacesDollarsBackticksQuotesAndBackslashes) {
  EXPECT_EQ(QuoteWordForDisplay("a b"), "'a b'");
  EXPECT_EQ(QuoteWordForDisplay("a\tb"), "'a\tb'");
  EXPECT_EQ(QuoteWordForDisplay("$WORKERS"), "'$WORKERS'");
  EXPECT_EQ(QuoteWordForDisplay("`id`"), "'`id`'");
  EXPECT_EQ(QuoteWordForDisplay("say \"hi\""), "'say \"hi\"'");
  EXPECT_EQ(QuoteWordForDisplay("C:\\app"), "'C:\\app'");
}

TEST(QuoteWordForDisplay, EscapesASingleQuoteInsideTheWord) {
  EXPECT_EQ(QuoteWordForDisplay("it's"), "'it'\\''s'");
  EXPECT_EQ(QuoteWordForDisplay("'"), "''\\'''");
}

TEST(QuoteArgvForDisplay, JoinsQuotedWordsWithSpaces) {
  const std::vector<std::string> argv = {"gunicorn", "--access-logformat", "%(h)s %(r)s", "it's:app", ""};

  EXPECT_EQ(QuoteArgvForDisplay(argv), "gunicorn --access-logformat '%(h)s %(r)s' 'it'\\''s:app' ''");
  EXPECT_EQ(QuoteArgvForDisplay({}), "");
}

TEST(ShlexQuote, LeavesWordsOfSafeCharactersAsTheyAre) {
  EXPECT_EQ(ShlexQuote("gunicorn"), "gunicorn");
  EXPECT_EQ(ShlexQuote("--bind=0.0.0.0:8000"), "--bind=0.0.0.0:8000");
  EXPECT_EQ(ShlexQuote("a@b%c+d,e/f_g.h-i"), "a@b%c+d,e/f_g.h-i");
}

TEST(ShlexQuote, QuotesAnEmptyWord) { EXPECT_EQ(ShlexQuote(""), "''"); }

TEST(ShlexQuote, QuotesEveryOtherCharacterAsPythonDoes) {
  EXPECT_EQ(ShlexQuote("a b"), "'a b'");
  EXPECT_EQ(ShlexQuote("$WORKERS"), "'$WORKERS'");
  EXPECT_EQ(ShlexQuote("`id`"), "'`id`'");
  EXPECT_EQ(ShlexQuote("%(h)s"), "'%(h)s'");
  EXPECT_EQ(ShlexQuote("line\nbreak"), "'line\nbreak'");
  EXPECT_EQ(ShlexQuote("caf\xc3\xa9"), "'caf\xc3\xa9'");
}

TEST(ShlexQuote, WritesASingleQuoteInsideTheWordAsPythonDoes) { EXPECT_EQ(ShlexQuote("it's"), "'it'\"'\"'s'"); }

TEST(ShlexJoin, JoinsQuotedWordsWithSpaces) {
  const std::vector<std::string> words = {"gunicorn", "--access-logformat", "%(h)s %(r)s", "it's:app", ""};

  EXPECT_EQ(ShlexJoin(words), "gunicorn --access-logformat '%(h)s %(r)s' 'it'\"'\"'s:app' ''");
  EXPECT_EQ(ShlexJoin({}), "");
}

}  // namespace
}  // namespace corral
