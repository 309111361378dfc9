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

TEST(LiveDirtyWorkers, CountsTheDirtyPoolOnly) {
  corral::v1::GunicornInstance inst;
  inst.add_workers()->set_state("S");
  inst.mutable_dirty_arbiter()->set_state("S");
  inst.add_dirty_workers()->set_state("S");
  inst.add_dirty_workers()->set_state("Z");
  EXPECT_EQ(LiveDirtyWorkers(inst), 1);
  EXPECT_EQ(LiveWorkers(inst), 1);
}

corral::v1::GunicornInstance DirtyConfig(const std::string& apps, const std::string& workers) {
  corral::v1::GunicornInstance inst;
  auto& config = *inst.mutable_config();
  config["dirty_apps"].set_value(apps);
  config["dirty_apps"].set_source("cmdline");
  config["dirty_workers"].set_value(workers);
  config["dirty_workers"].set_source(workers.empty() ? "unknown" : "cmdline");
  return inst;
}

TEST(ConfiguredDirtyWorkers, NoAppsNoPool) {
  EXPECT_EQ(ConfiguredDirtyWorkers(DirtyConfig("", "4")), 0);
  EXPECT_EQ(ConfiguredDirtyWorkers(corral::v1::GunicornInstance()), std::nullopt);
}

TEST(ConfiguredDirtyWorkers, DirtyWorkersUnlessEveryAppIsLimited) {
  EXPECT_EQ(ConfiguredDirtyWorkers(DirtyConfig("dapp:Heavy", "2")), 2);
  EXPECT_EQ(ConfiguredDirtyWorkers(DirtyConfig("dapp:Heavy:1,dapp:Light", "3")), 3);
  EXPECT_EQ(ConfiguredDirtyWorkers(DirtyConfig("dapp:Heavy:1,dapp:Light:2", "4")), 2);
  EXPECT_EQ(ConfiguredDirtyWorkers(DirtyConfig("dapp:Heavy:5", "2")), 2);
  EXPECT_EQ(ConfiguredDirtyWorkers(DirtyConfig("dapp:Heavy", "")), std::nullopt);
}

}  // namespace
}  // namespace corral
