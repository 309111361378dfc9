// The probe against a fixture proc tree (tests/fixtures/proc-fleet): three
// containers' worth of Gunicorn plus noise (a kernel thread, an unrelated
// Python, a garbage stat file, a pid directory that vanished).
#include <cstdlib>

#include "agent/probe.h"
#include "common/snapshot_facts.h"
#include "gtest/gtest.h"

namespace corral::agent {
namespace {

std::string FixtureRoot() { return std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/proc-fleet"; }

const corral::v1::GunicornInstance* Find(const corral::v1::Snapshot& s, int pid) {
  for (const auto& inst : s.instances()) {
    if (inst.master().pid() == pid) return &inst;
  }
  return nullptr;
}

std::vector<int> Pids(const google::protobuf::RepeatedPtrField<corral::v1::ProcessFacts>& facts) {
  std::vector<int> pids;
  for (const auto& f : facts) pids.push_back(f.pid());
  return pids;
}

bool HasWarning(const corral::v1::GunicornInstance& inst, const std::string& code) {
  for (const auto& w : inst.warnings()) {
    if (w.code() == code) return true;
  }
  return false;
}

class ProbeFixtureTest : public ::testing::Test {
 protected:
  ProbeFixtureTest() {
    ProbeOptions options;
    options.proc_root = FixtureRoot();
    options.now = [this] { return now_; };
    probe_ = std::make_unique<Probe>(options);
  }
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
  std::unique_ptr<Probe> probe_;
};

TEST_F(ProbeFixtureTest, FindsEveryMasterAndNothingElse) {
  corral::v1::Snapshot s = probe_->Discover();
  std::vector<int> masters;
  for (const auto& inst : s.instances()) masters.push_back(inst.master().pid());
  EXPECT_EQ(masters, (std::vector<int>{7, 12, 30, 33}));
  EXPECT_EQ(s.scan_kind(), corral::v1::FULL_DISCOVERY);
  ASSERT_EQ(s.scan_errors_size(), 1);
  EXPECT_EQ(s.scan_errors(0), "1 process(es) had an unparsable stat file and were skipped");
  EXPECT_EQ(s.sampled_at_unix_ms(), 1800000000000);
}

TEST_F(ProbeFixtureTest, TheIncidentsStaleReplica) {
  corral::v1::Snapshot s = probe_->Discover();
  const corral::v1::GunicornInstance* inst = Find(s, 7);
  ASSERT_NE(inst, nullptr);
  EXPECT_EQ(inst->app_uri(), "app:app");
  EXPECT_EQ(inst->launcher(), "python script");
  EXPECT_EQ(Pids(inst->workers()), std::vector<int>{9});
  EXPECT_EQ(inst->config().at("workers").value(), "1");
  EXPECT_EQ(inst->config().at("workers").source(), "cmdline");
  EXPECT_EQ(inst->config().at("reload").value(), "true");
  EXPECT_EQ(inst->config().at("bind").value(), "0.0.0.0:8000");
  EXPECT_EQ(inst->config().at("timeout").source(), "default");
  EXPECT_TRUE(HasWarning(*inst, "RELOAD_ENABLED"));
  EXPECT_FALSE(HasWarning(*inst, "FEWER_WORKERS_THAN_CONFIGURED"));
  // Facts: start 5000 ticks after boot, uptime 10000 s.
  const corral::v1::ProcessFacts& m = inst->master();
  EXPECT_DOUBLE_EQ(m.age_seconds(), 10000.0 - 5000.0 / sysconf(_SC_CLK_TCK));
  EXPECT_EQ(m.uid(), 1000u);
  EXPECT_EQ(m.cwd(), "/app");
  EXPECT_EQ(m.rss_bytes(), 6000 * sysconf(_SC_PAGESIZE));
  EXPECT_DOUBLE_EQ(m.cpu_seconds(), 170.0 / sysconf(_SC_CLK_TCK));
  EXPECT_EQ(m.argv_size(), 8);
  // cgroup v2 through /proc/7/root.
  const corral::v1::ContainerResources& r = inst->resources();
  EXPECT_EQ(r.cgroup_version(), "v2");
  EXPECT_DOUBLE_EQ(r.cpu_quota_cores(), 2.0);
  EXPECT_EQ(r.effective_cpus(), 4);
  EXPECT_EQ(r.memory_limit_bytes(), 2147483648);
  EXPECT_EQ(r.memory_usage_bytes(), 1932735283);
  EXPECT_EQ(r.oom_kills(), 2);
  EXPECT_FALSE(r.has_pids_limit());
  EXPECT_EQ(r.pids_current(), 4);
}

TEST_F(ProbeFixtureTest, SetproctitleMasterWithConfigFile) {
  corral::v1::Snapshot s = probe_->Discover();
  const corral::v1::GunicornInstance* inst = Find(s, 12);
  ASSERT_NE(inst, nullptr);
  EXPECT_EQ(inst->launcher(), "title");
  EXPECT_EQ(inst->title_name(), "api");
  EXPECT_TRUE(inst->inputs().argv_erased());
  EXPECT_TRUE(inst->inputs().environ_erased());
  EXPECT_EQ(inst->inputs().config_file(), "/srv/gunicorn.conf.py");
  // workers = multiprocessing.cpu_count() * 2 + 1 with 8 online CPUs.
  EXPECT_EQ(inst->config().at("workers").value(), "17");
  EXPECT_EQ(inst->config().at("workers").source(), "config_file");
  EXPECT_EQ(inst->config().at("workers").line(), 6);
  EXPECT_EQ(inst->config().at("timeout").value(), "120");
  EXPECT_EQ(inst->config().at("keepalive").source(), "unknown");
  EXPECT_EQ(inst->config().at("bind").source(), "unknown");  // needs $PORT, erased
  EXPECT_EQ(inst->config().at("bind").expression(), "\"0.0.0.0:\" + os.environ.get(\"PORT\", \"8000\")");
  EXPECT_EQ(inst->app_uri(), "");
  // Workers: 13 is alive, 14 a zombie with nothing readable; 16 is `sh`.
  EXPECT_EQ(Pids(inst->workers()), std::vector<int>{13});
  EXPECT_EQ(Pids(inst->other_children()), (std::vector<int>{14, 16}));
  EXPECT_EQ(corral::LiveWorkers(*inst), 1);
  EXPECT_TRUE(HasWarning(*inst, "SETTINGS_UNKNOWABLE"));
  EXPECT_TRUE(HasWarning(*inst, "CONFIG_KEY_IGNORED"));
  EXPECT_TRUE(HasWarning(*inst, "FEWER_WORKERS_THAN_CONFIGURED"));
  EXPECT_TRUE(HasWarning(*inst, "CPU_COUNT_EXCEEDS_QUOTA"));
  // cgroup v1 beside an empty v2 tree.
  const corral::v1::ContainerResources& r = inst->resources();
  EXPECT_EQ(r.cgroup_version(), "v1");
  EXPECT_DOUBLE_EQ(r.cpu_quota_cores(), 1.0);
  EXPECT_EQ(r.effective_cpus(), 2);
  EXPECT_FALSE(r.has_memory_limit_bytes());
  EXPECT_EQ(r.memory_usage_bytes(), 104857600);
  EXPECT_EQ(r.pids_limit(), 256);
  EXPECT_EQ(r.pids_current(), 5);
}

TEST_F(ProbeFixtureTest, PythonDashMWithEnvArgsAndAUsr2Master) {
  corral::v1::Snapshot s = probe_->Discover();
  const corral::v1::GunicornInstance* old_master = Find(s, 30);
  const corral::v1::GunicornInstance* new_master = Find(s, 33);
  ASSERT_NE(old_master, nullptr);
  ASSERT_NE(new_master, nullptr);
  EXPECT_EQ(old_master->launcher(), "python -m gunicorn");
  EXPECT_EQ(Pids(old_master->workers()), (std::vector<int>{31, 32}));
  EXPECT_TRUE(old_master->other_children().empty());  // 33 is its own instance
  EXPECT_EQ(new_master->upgrade_parent_pid(), 30);
  EXPECT_EQ(Pids(new_master->workers()), std::vector<int>{34});
  for (const auto* inst : {old_master, new_master}) {
    EXPECT_EQ(inst->config().at("workers").value(), "3");  // -w3 beats GUNICORN_CMD_ARGS and the file
    EXPECT_EQ(inst->config().at("workers").source(), "cmdline");
    EXPECT_EQ(inst->config().at("timeout").source(), "gunicorn_cmd_args");
    EXPECT_EQ(inst->config().at("threads").value(), "4");
    EXPECT_EQ(inst->config().at("worker_class").value(), "gthread");
    EXPECT_EQ(inst->config().at("bind").value(), "unix:/run/svc.sock,127.0.0.1:9001");
    EXPECT_EQ(inst->inputs().config_file(), "/opt/svc/conf/prod.py");
  }
  EXPECT_FALSE(old_master->resources().read_errors().empty());  // no cgroup files in this fixture
}

TEST_F(ProbeFixtureTest, SteadyStateSampleReusesKnownMastersAndRediscoversWhenDue) {
  corral::v1::Snapshot first = probe_->Discover();
  now_ += absl::Seconds(5);
  corral::v1::Snapshot second = probe_->Sample();
  EXPECT_EQ(second.scan_kind(), corral::v1::STEADY_STATE);
  ASSERT_EQ(second.instances_size(), first.instances_size());
  for (int i = 0; i < first.instances_size(); ++i) {
    EXPECT_EQ(Pids(second.instances(i).workers()), Pids(first.instances(i).workers()));
    EXPECT_EQ(second.instances(i).config().at("workers").value(), first.instances(i).config().at("workers").value());
  }
  now_ += absl::Seconds(61);
  EXPECT_EQ(probe_->Sample().scan_kind(), corral::v1::FULL_DISCOVERY);
}

TEST(ProbeTest, MissingProcRootIsAScanErrorNotACrash) {
  ProbeOptions options;
  options.proc_root = "/nonexistent/proc";
  Probe probe(options);
  corral::v1::Snapshot s = probe.Discover();
  EXPECT_EQ(s.instances_size(), 0);
  ASSERT_GE(s.scan_errors_size(), 1);
  EXPECT_NE(s.scan_errors(s.scan_errors_size() - 1).find("cannot list /nonexistent/proc"), std::string::npos);
}

}  // namespace
}  // namespace corral::agent
