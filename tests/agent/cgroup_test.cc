#include "agent/cgroup.h"

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

TEST(ParseProcCgroup, ReadsV1AndV2Lines) {
  auto m = ParseProcCgroup("12:pids:/docker/abc\n3:cpu,cpuacct:/docker/abc\n1:name=systemd:/x\n0::/app\n");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ((*m)[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ((*m)[2].controllers, (std::vector<std::string>{"systemd"}));
  EXPECT_EQ((*m)[3].hierarchy_id, 0);
  EXPECT_TRUE((*m)[3].controllers.empty());
  EXPECT_EQ((*m)[3].path, "/app");
  EXPECT_FALSE(ParseProcCgroup("nonsense\n").ok());
  EXPECT_FALSE(ParseProcCgroup("x:memory:/a\n").ok());
}

TEST(ParseMountInfo, ReadsRootMountPointTypeAndOptions) {
  auto mounts = ParseMountInfo(
      "36 35 0:31 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n"
      "37 35 0:32 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
      "38 35 0:33 / /mnt/with\\040space rw - tmpfs tmpfs rw\n");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  ASSERT_EQ(mounts->size(), 3u);
  EXPECT_EQ((*mounts)[0].root, "/docker/abc");
  EXPECT_EQ((*mounts)[0].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ((*mounts)[0].fs_type, "cgroup");
  EXPECT_EQ((*mounts)[0].super_options, "rw,memory");
  EXPECT_EQ((*mounts)[1].fs_type, "cgroup2");  // optional fields before ' - ' are skipped
  EXPECT_EQ((*mounts)[2].mount_point, "/mnt/with space");
  EXPECT_FALSE(ParseMountInfo("1 2 3\n").ok());
}

TEST(LocateCgroupDirs, JoinsV1PathsRelativeToTheMountRoot) {
  auto m = *ParseProcCgroup("4:memory:/docker/abc/sub\n2:cpu,cpuacct:/docker/abc\n");
  auto mounts = *ParseMountInfo(
      "1 0 0:1 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
      "2 0 0:2 / /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n");
  CgroupDirs dirs = LocateCgroupDirs(m, mounts);
  EXPECT_EQ(dirs.v1["memory"], "/sys/fs/cgroup/memory/sub");
  EXPECT_EQ(dirs.v1["cpu"], "/sys/fs/cgroup/cpu,cpuacct/docker/abc");
  EXPECT_TRUE(dirs.unified.empty());
  EXPECT_TRUE(dirs.notes.empty());
}

TEST(LocateCgroupDirs, V2InsideANamespaceIsTheMountPoint) {
  CgroupDirs dirs = LocateCgroupDirs(*ParseProcCgroup("0::/\n"),
                                     *ParseMountInfo("1 0 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"));
  EXPECT_EQ(dirs.unified, "/sys/fs/cgroup");
}

TEST(LocateCgroupDirs, PathOutsideTheNamespaceFallsBackToTheMountWithANote) {
  CgroupDirs dirs = LocateCgroupDirs(*ParseProcCgroup("0::/../other\n"),
                                     *ParseMountInfo("1 0 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"));
  EXPECT_EQ(dirs.unified, "/sys/fs/cgroup");
  ASSERT_EQ(dirs.notes.size(), 1u);
}

TEST(ParseCpuMax, QuotaOverPeriodOrUnlimited) {
  EXPECT_DOUBLE_EQ(**ParseCpuMax("150000 100000\n"), 1.5);
  EXPECT_FALSE(ParseCpuMax("max 100000\n")->has_value());
  EXPECT_FALSE(ParseCpuMax("abc 100000").ok());
  EXPECT_FALSE(ParseCpuMax("").ok());
}

TEST(ParseCpuMax, AQuotaOfMoreCoresThanAnyMachineIsNoLimit) {
  // The kernel takes it; 9.2e18 cores would overflow whatever counts CPUs.
  EXPECT_FALSE(ParseCpuMax("9223372036854775807 1\n")->has_value());
  EXPECT_FALSE(ParseCfsQuota("9223372036854775807\n", "1\n")->has_value());
  EXPECT_DOUBLE_EQ(**ParseCpuMax("104857600000 100000\n"), kMaxCpuQuotaCores);
}

TEST(ParseCfsQuota, MinusOneIsUnlimited) {
  EXPECT_DOUBLE_EQ(**ParseCfsQuota("50000\n", "100000\n"), 0.5);
  EXPECT_FALSE(ParseCfsQuota("-1\n", "100000\n")->has_value());
  EXPECT_FALSE(ParseCfsQuota("50000", "0").ok());
}

TEST(ParseLimit, MaxAndHugeNumbersAreUnlimited) {
  EXPECT_EQ(**ParseLimit("2147483648\n"), 2147483648);
  EXPECT_FALSE(ParseLimit("max\n")->has_value());
  EXPECT_FALSE(ParseLimit("9223372036854771712\n")->has_value());
  EXPECT_FALSE(ParseLimit("lots").ok());
}

TEST(ParseKeyedValue, FindsOomKillInBothVersions) {
  EXPECT_EQ(**ParseKeyedValue("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n", "oom_kill"), 2);
  EXPECT_EQ(**ParseKeyedValue("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n", "oom_kill"), 7);
  EXPECT_FALSE(ParseKeyedValue("oom 1\n", "oom_kill")->has_value());
  EXPECT_FALSE(ParseKeyedValue("oom_kill x\n", "oom_kill").ok());
}

TEST(ParseCounter, RejectsNegativeAndGarbage) {
  EXPECT_EQ(*ParseCounter("104857600\n"), 104857600);
  EXPECT_FALSE(ParseCounter("-1").ok());
  EXPECT_FALSE(ParseCounter("x").ok());
}

}  // namespace
}  // namespace corral::agent
