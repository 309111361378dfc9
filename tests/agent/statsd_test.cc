#include "agent/statsd.h"

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

TEST(ParseStatsdLine, GunicornsLinesWithAndWithoutPrefixAndTags) {
  absl::StatusOr<StatsdMetric> timer = ParseStatsdLine("gunicorn.request.duration:12.5|ms");
  ASSERT_TRUE(timer.ok());
  EXPECT_EQ(timer->name, "gunicorn.request.duration");
  EXPECT_EQ(timer->value, 12.5);
  EXPECT_EQ(timer->type, "ms");
  absl::StatusOr<StatsdMetric> counter = ParseStatsdLine("api.prod.gunicorn.requests:1|c|@1.0|#env:prod,team:web");
  ASSERT_TRUE(counter.ok());
  EXPECT_EQ(counter->name, "gunicorn.requests");
  EXPECT_EQ(counter->sample_rate, 1.0);
  absl::StatusOr<StatsdMetric> sampled = ParseStatsdLine("gunicorn.request.status.502:1|c|@0.1");
  ASSERT_TRUE(sampled.ok());
  EXPECT_EQ(sampled->sample_rate, 0.1);
  absl::StatusOr<StatsdMetric> gauge = ParseStatsdLine("gunicorn.workers:3|g");
  ASSERT_TRUE(gauge.ok());
  EXPECT_EQ(gauge->value, 3);
  // Not Gunicorn's: kept whole, ignored later.
  EXPECT_EQ(ParseStatsdLine("mygunicorn.x:1|c")->name, "mygunicorn.x");
}

TEST(ParseStatsdLine, MalformedLinesSayWhy) {
  EXPECT_EQ(ParseStatsdLine("gunicorn.requests").status().message(), "not NAME:VALUE|TYPE");
  EXPECT_EQ(ParseStatsdLine("gunicorn.requests:x|c").status().message(), "the value is not a number");
  EXPECT_EQ(ParseStatsdLine("gunicorn.requests:1|zz").status().message(), "unknown type 'zz'");
  EXPECT_EQ(ParseStatsdLine("gunicorn.requests:1|c|@0").status().message(), "the sample rate is not in (0, 1]");
  EXPECT_EQ(ParseStatsdLine(":1|c").status().message(), "not NAME:VALUE|TYPE");
  int malformed = 0;
  std::vector<StatsdMetric> m = ParseStatsdDatagram("a:1|c\ngarbage\nb:2|g\n", &malformed);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(malformed, 1);
}

TEST(ParseStatsdLine, RefusesValuesNoCountCanHold) {
  for (const char* line : {"gunicorn.request.duration:inf|ms", "gunicorn.request.duration:1e999|ms",
                           "gunicorn.requests:nan|c", "gunicorn.requests:2e12|c"}) {
    EXPECT_EQ(ParseStatsdLine(line).status().message(), "the value is not a finite number within 1e12") << line;
  }
  EXPECT_EQ(ParseStatsdLine("gunicorn.requests:1|c|@1e-9").status().message(), "the sample rate is below 1e-6");
  EXPECT_EQ(ParseStatsdLine("gunicorn.requests:1|c|@nan").status().message(), "the sample rate is not in (0, 1]");
  EXPECT_TRUE(ParseStatsdLine("gunicorn.requests:1e12|c|@1e-6").ok());
}

}  // namespace
}  // namespace corral::agent
