#include "common/edit_distance.h"

#include "gtest/gtest.h"

namespace corral {
namespace {

TEST(EditDistance, Basics) {
  EXPECT_EQ(EditDistance("worker", "workers"), 1);
  EXPECT_EQ(EditDistance("timout", "timeout"), 1);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("same", "same"), 0);
}

TEST(NearestName, TheNearestWithinTheLimitFirstOfEqualsWins) {
  NearestName nearest("wrokers");
  for (const char* name : {"timeout", "workers", "worker_class"}) nearest.Offer(name);
  EXPECT_EQ(nearest.name(), "workers");  // 2 edits
  nearest.Offer("wrokerz");
  EXPECT_EQ(nearest.name(), "wrokerz");  // 1 edit
  NearestName tie("bnd");
  for (const char* name : {"bind", "band"}) tie.Offer(name);
  EXPECT_EQ(tie.name(), "bind");
}

TEST(NearestName, NothingNearEnoughIsEmpty) {
  NearestName nearest("loglevel_x_y");
  nearest.Offer("loglevel");
  EXPECT_EQ(nearest.name(), "");
}

TEST(NearestName, ShortWordsMatchOnlyIgnoringCase) {
  NearestName::Options options;
  options.fuzzy_from_length = 4;
  NearestName short_word("w", options);
  short_word.Offer("workers");
  EXPECT_EQ(short_word.name(), "");
  NearestName capitalised("Bind", options);
  capitalised.Offer("bind");
  EXPECT_EQ(capitalised.name(), "bind");
  NearestName tmo("tmo", options);
  tmo.Offer("timeout");
  EXPECT_EQ(tmo.name(), "");
}

}  // namespace
}  // namespace corral
