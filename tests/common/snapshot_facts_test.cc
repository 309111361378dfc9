#include "common/snapshot_facts.h"

#include "gtest/gtest.h"

namespace corral {
namespace {

TEST(LiveWorkers, ZombiesDoNotCount) {
  corral::v1::GunicornInstance inst;
  inst.add_workers()->set_state("S");
  inst.add_workers()->set_state("R");
  inst.add_workers()->set_state("Z");
  EXPECT_EQ(LiveWorkers(inst), 2);
}

TEST(ConfiguredWorkers, UnknownSourceMeansUnknown) {
  corral::v1::GunicornInstance inst;
  EXPECT_FALSE(ConfiguredWorkers(inst).has_value());
  corral::v1::Setting& s = (*inst.mutable_config())["workers"];
  s.set_value("3");
  s.set_source("cmdline");
  EXPECT_EQ(ConfiguredWorkers(inst), 3);
  s.set_source("unknown");
  EXPECT_FALSE(ConfiguredWorkers(inst).has_value());
}

TEST(BoolSetting, ReadsTrueAndFalse) {
  corral::v1::GunicornInstance inst;
  corral::v1::Setting& s = (*inst.mutable_config())["reload"];
  s.set_source("cmdline");
  s.set_value("true");
  EXPECT_EQ(BoolSetting(inst, "reload"), true);
  s.set_value("false");
  EXPECT_EQ(BoolSetting(inst, "reload"), false);
  EXPECT_FALSE(BoolSetting(inst, "preload_app").has_value());
}

}  // namespace
}  // namespace corral
