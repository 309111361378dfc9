#include "agent/config_delta.h"

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

corral::v1::Snapshot OneMaster(int pid, const std::string& workers) {
  corral::v1::Snapshot s;
  corral::v1::GunicornInstance* inst = s.add_instances();
  inst->mutable_master()->set_pid(pid);
  inst->mutable_master()->add_argv("gunicorn");
  inst->mutable_master()->set_cwd("/app");
  inst->set_app_uri("wsgi:application");
  inst->set_gunicorn_version("23.0.0");
  corral::v1::Setting& w = (*inst->mutable_config())["workers"];
  w.set_value(workers);
  w.set_source("cmdline");
  inst->add_workers()->set_pid(pid + 1);
  return s;
}

TEST(ConfigDelta, TheFirstMessageCarriesEverythingLaterOnesOnlyWhatChanged) {
  ConfigDelta delta;
  corral::v1::Snapshot first = OneMaster(10, "3");
  delta.Apply(first);
  EXPECT_FALSE(first.instances(0).config_omitted());
  EXPECT_EQ(first.instances(0).config().at("workers").value(), "3");

  corral::v1::Snapshot second = OneMaster(10, "3");
  delta.Apply(second);
  const corral::v1::GunicornInstance& omitted = second.instances(0);
  EXPECT_TRUE(omitted.config_omitted());
  EXPECT_EQ(omitted.config_size(), 0);
  EXPECT_EQ(omitted.app_uri(), "");
  EXPECT_EQ(omitted.gunicorn_version(), "");
  EXPECT_EQ(omitted.master().argv_size(), 0);
  EXPECT_EQ(omitted.master().cwd(), "");
  // What is not configuration is always carried.
  EXPECT_EQ(omitted.master().pid(), 10);
  EXPECT_EQ(omitted.workers_size(), 1);

  corral::v1::Snapshot changed = OneMaster(10, "4");
  delta.Apply(changed);
  EXPECT_FALSE(changed.instances(0).config_omitted());
  EXPECT_EQ(changed.instances(0).config().at("workers").value(), "4");
}

TEST(ConfigDelta, ANewMasterAndANewStreamCarryEverything) {
  ConfigDelta delta;
  corral::v1::Snapshot first = OneMaster(10, "3");
  delta.Apply(first);
  corral::v1::Snapshot other_master = OneMaster(20, "3");
  delta.Apply(other_master);
  EXPECT_FALSE(other_master.instances(0).config_omitted());

  ConfigDelta new_stream;
  corral::v1::Snapshot again = OneMaster(20, "3");
  new_stream.Apply(again);
  EXPECT_FALSE(again.instances(0).config_omitted());
}

TEST(ConfigFingerprint, IgnoresMapOrderButNotContent) {
  corral::v1::GunicornInstance a;
  (*a.mutable_config())["workers"].set_value("3");
  (*a.mutable_config())["timeout"].set_value("30");
  corral::v1::GunicornInstance b;
  (*b.mutable_config())["timeout"].set_value("30");
  (*b.mutable_config())["workers"].set_value("3");
  EXPECT_EQ(ConfigFingerprint(a), ConfigFingerprint(b));
  (*b.mutable_config())["workers"].set_source("cmdline");
  EXPECT_NE(ConfigFingerprint(a), ConfigFingerprint(b));
}

}  // namespace
}  // namespace corral::agent
