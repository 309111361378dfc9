#include "server/report.h"

#include "agent/config_delta.h"
#include "gtest/gtest.h"
#include "server/instance_digest.h"
#include "tests/support/snapshot_builder.h"

namespace corral::server {
namespace {

using corral::testing::SnapshotBuilder;

std::shared_ptr<const corral::v1::Snapshot> Shared(corral::v1::Snapshot s) {
  return std::make_shared<const corral::v1::Snapshot>(std::move(s));
}

TEST(ConfigCarriers, OmittedConfigurationResolvesToTheMessageThatCarriedIt) {
  ConfigCarriers carriers;
  corral::v1::Snapshot full = SnapshotBuilder("api", "r1").Master(10, 3, 3).Set("timeout", "120", "cmdline").Build();
  absl::StatusOr<Report> first = carriers.Resolve(Shared(full));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->ConfigOf(0).config().at("timeout").value(), "120");

  corral::v1::Snapshot delta = full;
  delta.mutable_instances(0)->clear_config();
  delta.mutable_instances(0)->set_config_omitted(true);
  delta.mutable_instances(0)->mutable_workers()->RemoveLast();  // a worker died meanwhile
  absl::StatusOr<Report> second = carriers.Resolve(Shared(delta));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->snapshot().instances(0).workers_size(), 2);
  EXPECT_EQ(second->ConfigOf(0).config().at("timeout").value(), "120");
  InstanceDigest d = Digest(*second);
  EXPECT_EQ(d.live_workers, 2);
  EXPECT_EQ(d.config->configured_workers, 3);
  EXPECT_EQ(d.config->settings_fingerprint, Digest(*first).config->settings_fingerprint);
}

TEST(ConfigCarriers, KeepsTheConfigurationNotTheMessageThatCarriedIt) {
  ConfigCarriers carriers;
  corral::v1::Snapshot full = SnapshotBuilder("api", "r1").Master(10, 3, 3).Set("timeout", "120", "cmdline").Build();
  full.mutable_instances(0)->mutable_master()->add_argv("gunicorn");
  auto first_snapshot = Shared(full);
  std::weak_ptr<const corral::v1::Snapshot> carried = first_snapshot;
  absl::StatusOr<Report> first = carriers.Resolve(std::move(first_snapshot));
  ASSERT_TRUE(first.ok()) << first.status();

  corral::v1::Snapshot delta = full;
  corral::agent::ConfigDelta agent;
  agent.Apply(delta);
  agent.Apply(delta);
  ASSERT_TRUE(delta.instances(0).config_omitted());
  absl::StatusOr<Report> second = carriers.Resolve(Shared(delta));
  ASSERT_TRUE(second.ok()) << second.status();
  first = absl::InternalError("replaced");  // the registry drops the first report
  EXPECT_TRUE(carried.expired());
  EXPECT_EQ(second->ConfigOf(0).config().at("timeout").value(), "120");
  EXPECT_EQ(second->ConfigOf(0).master().argv(0), "gunicorn");
  EXPECT_EQ(second->ConfigOf(0).workers_size(), 0);
  EXPECT_EQ(&second->ConfigOf(0), &carriers.Resolve(Shared(delta))->ConfigOf(0));  // copied once
}

TEST(ConfigPool, ReplicasWithTheSameConfigurationShareOneCopy) {
  ConfigPool pool;
  auto stream = [&](const std::string& instance, int pid, const std::string& timeout) {
    auto carriers = std::make_shared<ConfigCarriers>(&pool);
    corral::v1::Snapshot full =
        SnapshotBuilder("api", instance).Master(pid, 3, 3).Set("timeout", timeout, "cmdline").Build();
    corral::agent::ConfigDelta agent;
    corral::v1::Snapshot first = full;
    agent.Apply(first);
    EXPECT_TRUE(carriers->Resolve(Shared(first)).ok());
    agent.Apply(full);
    absl::StatusOr<Report> steady = carriers->Resolve(Shared(full));
    EXPECT_TRUE(steady.ok()) << steady.status();
    return std::make_pair(carriers, *std::move(steady));
  };
  auto [c1, r1] = stream("r1", 7, "120");
  auto [c2, r2] = stream("r2", 8, "120");  // another pid, the same configuration
  auto [c3, r3] = stream("r3", 7, "30");
  EXPECT_EQ(&r1.ConfigOf(0), &r2.ConfigOf(0));
  EXPECT_EQ(&r1.ConfigDigestOf(0), &r2.ConfigDigestOf(0));
  EXPECT_NE(&r1.ConfigOf(0), &r3.ConfigOf(0));
  EXPECT_EQ(r3.ConfigOf(0).config().at("timeout").value(), "30");
  EXPECT_EQ(r2.snapshot().instances(0).master().pid(), 8);
  EXPECT_EQ(pool.size(), 2u);

  // A configuration no stream holds any more is forgotten.
  c3.reset();
  r3 = Report();
  EXPECT_EQ(pool.size(), 1u);
}

TEST(ConfigurationOf, KeepsEveryFieldAStreamMayOmit) {
  corral::v1::Snapshot s = SnapshotBuilder("api", "r1").Master(10, 3, 3).Set("reload", "true", "cmdline").Build();
  corral::v1::GunicornInstance& inst = *s.mutable_instances(0);
  inst.mutable_master()->add_argv("gunicorn");
  inst.mutable_master()->set_cwd("/app");
  inst.mutable_inputs()->set_config_file("/app/gunicorn.conf.py");
  inst.set_app_uri("wsgi:application");
  inst.set_launcher("gunicorn");
  inst.set_title_name("wsgi:application");
  inst.set_gunicorn_version("23.0.0");
  inst.set_gunicorn_version_source("/usr/lib/python3/dist-packages/gunicorn/__init__.py");
  inst.set_gunicorn_version_note("a note");
  inst.set_settings_table("23.0");
  corral::v1::GunicornInstance kept = ConfigurationOf(inst);
  // The agent's fingerprint covers exactly the fields it may leave out.
  EXPECT_EQ(corral::agent::ConfigFingerprint(kept), corral::agent::ConfigFingerprint(inst));
  EXPECT_EQ(kept.master().pid(), 0);  // replicas with other pids share it
  EXPECT_EQ(kept.workers_size(), 0);
  EXPECT_FALSE(kept.has_resources());
}

TEST(ConfigCarriers, OmittingWhatWasNeverSentIsRefused) {
  ConfigCarriers carriers;
  corral::v1::Snapshot delta = SnapshotBuilder("api", "r1").Master(10, 3, 3).Build();
  delta.mutable_instances(0)->set_config_omitted(true);
  absl::StatusOr<Report> r = carriers.Resolve(Shared(delta));
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_EQ(r.status().message(), "instances[0]: master 10's configuration was omitted but never sent on this stream");
  EXPECT_TRUE(absl::IsInvalidArgument(Report::Complete(Shared(delta)).status()));
}

TEST(ConfigCarriers, AMasterThatLeftIsForgotten) {
  ConfigCarriers carriers;
  ASSERT_TRUE(carriers.Resolve(Shared(SnapshotBuilder("api", "r1").Master(10, 1, 1).Build())).ok());
  ASSERT_TRUE(carriers.Resolve(Shared(SnapshotBuilder("api", "r1").Build())).ok());  // master 10 gone
  corral::v1::Snapshot delta = SnapshotBuilder("api", "r1").Master(10, 1, 1).Build();
  delta.mutable_instances(0)->set_config_omitted(true);
  EXPECT_FALSE(carriers.Resolve(Shared(delta)).ok());
}

TEST(ConfigCarriers, MastersListedInAnotherOrderKeepTheirOwnConfigurations) {
  // Two masters (an upgrade in progress), then listed the other way round:
  // each omitted configuration is still its own master's, message after
  // message.
  ConfigCarriers carriers;
  corral::v1::Snapshot full = SnapshotBuilder("api", "r1")
                                  .Master(10, 3, 3)
                                  .Set("timeout", "120", "cmdline")
                                  .Master(20, 1, 1)
                                  .Set("timeout", "30", "cmdline")
                                  .Build();
  ASSERT_TRUE(carriers.Resolve(Shared(full)).ok());
  corral::v1::Snapshot swapped;
  *swapped.mutable_agent() = full.agent();
  *swapped.add_instances() = full.instances(1);
  *swapped.add_instances() = full.instances(0);
  for (auto& instance : *swapped.mutable_instances()) {
    instance.clear_config();
    instance.set_config_omitted(true);
  }
  for (int round = 0; round < 3; ++round) {
    absl::StatusOr<Report> r = carriers.Resolve(Shared(swapped));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->ConfigOf(0).config().at("timeout").value(), "30") << "round " << round;
    EXPECT_EQ(r->ConfigOf(1).config().at("timeout").value(), "120") << "round " << round;
  }
  // Master 20 gone; 10 stays, and 20 omitting its configuration later is
  // refused.
  corral::v1::Snapshot one = swapped;
  one.mutable_instances()->DeleteSubrange(0, 1);
  absl::StatusOr<Report> r = carriers.Resolve(Shared(one));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ConfigOf(0).config().at("timeout").value(), "120");
  EXPECT_FALSE(carriers.Resolve(Shared(swapped)).ok());
}

TEST(ConfigDeltaRoundTrip, WhatTheAgentLeavesOutTheServerRestores) {
  corral::agent::ConfigDelta delta;
  ConfigCarriers carriers;
  corral::v1::Snapshot sample = SnapshotBuilder("api", "r1").Master(10, 3, 3).Set("reload", "true", "cmdline").Build();
  sample.mutable_instances(0)->mutable_master()->add_argv("gunicorn");
  sample.mutable_instances(0)->mutable_master()->set_cwd("/app");

  corral::v1::Snapshot first = sample;
  delta.Apply(first);
  EXPECT_FALSE(first.instances(0).config_omitted());
  EXPECT_EQ(first.instances(0).config_size(), sample.instances(0).config_size());

  corral::v1::Snapshot second = sample;
  delta.Apply(second);
  EXPECT_TRUE(second.instances(0).config_omitted());
  EXPECT_EQ(second.instances(0).config_size(), 0);
  EXPECT_EQ(second.instances(0).master().argv_size(), 0);
  EXPECT_LT(second.ByteSizeLong(), first.ByteSizeLong() / 2);

  ASSERT_TRUE(carriers.Resolve(Shared(first)).ok());
  absl::StatusOr<Report> restored = carriers.Resolve(Shared(second));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->ConfigOf(0).config().at("reload").value(), "true");
  EXPECT_EQ(restored->ConfigOf(0).master().cwd(), "/app");
  EXPECT_EQ(Digest(*restored).config->dev_settings, std::vector<std::string>{"reload=true (cmdline)"});

  // A changed configuration is carried again.
  corral::v1::Snapshot third = sample;
  (*third.mutable_instances(0)->mutable_config())["reload"].set_value("false");
  delta.Apply(third);
  EXPECT_FALSE(third.instances(0).config_omitted());
  EXPECT_EQ(third.instances(0).config().at("reload").value(), "false");
}

}  // namespace
}  // namespace corral::server
