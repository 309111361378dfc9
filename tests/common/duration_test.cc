#include "common/duration.h"

#include "gtest/gtest.h"

namespace corral {
namespace {

TEST(ParseDuration, AcceptsUnitsAndCompounds) {
  EXPECT_EQ(*ParseDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDuration("5s"), absl::Seconds(5));
  EXPECT_EQ(*ParseDuration("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseDuration("2h"), absl::Hours(2));
  EXPECT_EQ(*ParseDuration("1d"), absl::Hours(24));
  EXPECT_EQ(*ParseDuration("1.5s"), absl::Milliseconds(1500));
}

TEST(ParseDuration, RejectsBareNumbersUnknownUnitsAndZero) {
  EXPECT_FALSE(ParseDuration("5").ok());
  EXPECT_FALSE(ParseDuration("5y").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("0s").ok());
  EXPECT_FALSE(ParseDuration("s").ok());
  EXPECT_NE(ParseDuration("5x").status().message().find("unit 'x'"), std::string::npos);
}

TEST(FormatDurationShort, PicksTheTwoLargestUnits) {
  EXPECT_EQ(FormatDurationShort(absl::Milliseconds(850)), "850ms");
  EXPECT_EQ(FormatDurationShort(absl::Seconds(42)), "42s");
  EXPECT_EQ(FormatDurationShort(absl::Seconds(192)), "3m12s");
  EXPECT_EQ(FormatDurationShort(absl::Minutes(302)), "5h02m");
  EXPECT_EQ(FormatDurationShort(absl::Hours(76)), "3d04h");
  EXPECT_EQ(FormatDurationShort(absl::Seconds(-3)), "0ms");
}

}  // namespace
}  // namespace corral
