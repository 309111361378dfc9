#include "agent/procfs.h"

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

constexpr char kMasterStat[] =
    "2532 (gunicorn: maste) S 1 2530 2530 0 -1 4194368 2133 0 0 0 11 4 0 0 20 0 1 0 18033 36208640 6280 "
    "18446744073709551615 4321280 7148169 140727732956304 0 0 0 0 16781312 137447943 1 0 0 17 1 0 0 0 0 0\n";

TEST(ParseStat, ReadsFieldsAfterTheLastParenthesis) {
  absl::StatusOr<ProcStat> stat = ParseStat(kMasterStat);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->pid, 2532);
  EXPECT_EQ(stat->comm, "gunicorn: maste");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 1);
  EXPECT_EQ(stat->utime_ticks, 11u);
  EXPECT_EQ(stat->stime_ticks, 4u);
  EXPECT_EQ(stat->num_threads, 1);
  EXPECT_EQ(stat->start_ticks, 18033u);
  EXPECT_EQ(stat->rss_pages, 6280);
}

TEST(ParseStat, CommMayHoldParenthesesAndSpaces) {
  absl::StatusOr<ProcStat> stat =
      ParseStat("77 (a) b (c)) R 5 0 0 0 -1 0 0 0 0 0 1 2 0 0 20 0 3 0 99 0 12 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0");
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->comm, "a) b (c)");
  EXPECT_EQ(stat->state, 'R');
  EXPECT_EQ(stat->ppid, 5);
  EXPECT_EQ(stat->num_threads, 3);
  EXPECT_EQ(stat->start_ticks, 99u);
}

TEST(ParseStat, RejectsGarbage) {
  EXPECT_FALSE(ParseStat("").ok());
  EXPECT_FALSE(ParseStat("garbage without parentheses").ok());
  EXPECT_FALSE(ParseStat("12 (x) S 1 2").ok());                                                // truncated
  EXPECT_FALSE(ParseStat("x (gunicorn) S 1 0 0 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 3").ok());  // bad pid
  EXPECT_FALSE(ParseStat("12 (gunicorn) S one 0 0 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 3").ok());
}

TEST(ParseStatus, ReadsUidGidRssAndNamespacePids) {
  absl::StatusOr<ProcStatus> status = ParseStatus(
      "Name:\tgunicorn\nUid:\t1000\t1001\t1001\t1001\nGid:\t50\t51\t51\t51\nVmRSS:\t  24000 kB\nNSpid:\t4242\t1\n");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->real_uid, 1000u);
  EXPECT_EQ(status->effective_uid, 1001u);
  EXPECT_EQ(status->real_gid, 50u);
  EXPECT_EQ(status->effective_gid, 51u);
  EXPECT_EQ(status->vm_rss_kb, 24000);
  EXPECT_EQ(status->ns_pids, (std::vector<int>{4242, 1}));
}

TEST(ParseStatus, MissingLinesLeaveFieldsUnsetAndBadUidFails) {
  absl::StatusOr<ProcStatus> status = ParseStatus("Name:\tkworker\n");
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->real_uid.has_value());
  EXPECT_FALSE(ParseStatus("Uid:\tabc\n").ok());
}

TEST(ParseCmdline, SplitsOnNulAndDropsPadding) {
  EXPECT_EQ(ParseCmdline(std::string("gunicorn\0-w\0003\0app:app\0", 23)),
            (std::vector<std::string>{"gunicorn", "-w", "3", "app:app"}));
  EXPECT_EQ(ParseCmdline(std::string("gunicorn: master [app:app]\0\0\0\0", 30)),
            (std::vector<std::string>{"gunicorn: master [app:app]"}));
  EXPECT_TRUE(ParseCmdline("").empty());
  // An empty argument in the middle is kept: argv positions matter.
  EXPECT_EQ(ParseCmdline(std::string("a\0\0b\0", 5)), (std::vector<std::string>{"a", "", "b"}));
}

TEST(ParseEnviron, KeepsOrderAndFirstWinsOnLookup) {
  auto env = ParseEnviron(std::string("A=1\0B=x=y\0junk\0A=2\0", 20));
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[1].second, "x=y");
  EXPECT_EQ(gunicorn::LookupEnv(env, "A"), "1");
  EXPECT_FALSE(gunicorn::LookupEnv(env, "C").has_value());
}

TEST(IsZeroedEnviron, DetectsSetproctitleErasure) {
  EXPECT_TRUE(IsZeroedEnviron(std::string(64, '\0')));
  EXPECT_FALSE(IsZeroedEnviron(std::string("A=1\0", 4)));
  EXPECT_FALSE(IsZeroedEnviron(""));
}

TEST(ParseChildren, ReadsPidsAndRejectsGarbage) {
  EXPECT_EQ(*ParseChildren("2533 2534 "), (std::vector<int>{2533, 2534}));
  EXPECT_TRUE(ParseChildren("")->empty());
  EXPECT_FALSE(ParseChildren("12 x").ok());
  EXPECT_FALSE(ParseChildren("-3").ok());
}

TEST(ParseUptime, ReadsFirstField) {
  EXPECT_DOUBLE_EQ(*ParseUptime("18033.52 35000.10\n"), 18033.52);
  EXPECT_FALSE(ParseUptime("").ok());
  EXPECT_FALSE(ParseUptime("-4 1").ok());
  EXPECT_FALSE(ParseUptime("nan 1\n").ok());
  EXPECT_FALSE(ParseUptime("inf 1\n").ok());
}

TEST(CountCpuList, CountsRangesAndSingles) {
  EXPECT_EQ(*CountCpuList("0-3,6,8-9\n"), 7);
  EXPECT_EQ(*CountCpuList("0"), 1);
  EXPECT_FALSE(CountCpuList("").ok());
  EXPECT_FALSE(CountCpuList("3-1").ok());
  EXPECT_FALSE(CountCpuList("a-b").ok());
}

TEST(ParseMapsPaths, FileBackedMappingsOnceInOrder) {
  constexpr char kMaps[] =
      "55ac0fa7a000-55ac0fa7c000 r--p 00000000 fe:00 247134                     /usr/bin/python3.11\n"
      "55ac0fa7c000-55ac0fa81000 r-xp 00002000 fe:00 247134                     /usr/bin/python3.11\n"
      "7f00-7f10 rw-p 00000000 00:00 0                          [heap]\n"
      "7f10-7f20 rw-p 00000000 00:00 0 \n"
      "7f20-7f30 r-xp 00000000 fe:00 99 /opt/my venv/lib/python3.11/site-packages/_setproctitle.so (deleted)\n";
  EXPECT_EQ(ParseMapsPaths(kMaps),
            (std::vector<std::string>{"/usr/bin/python3.11",
                                      "/opt/my venv/lib/python3.11/site-packages/_setproctitle.so (deleted)"}));
  EXPECT_TRUE(ParseMapsPaths("").empty());
}

TEST(ParseUnixSockets, ListeningPathsAndInodes) {
  // Read off a Gunicorn 26.2 master's network namespace.
  constexpr char kNetUnix[] =
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "000000009514f63d: 00000002 00000000 00010000 0001 01 15115 /tmp/gunicorn-dirty-nn1tbrpa/arbiter.sock\n"
      "00000000d1238553: 00000002 00000000 00010000 0001 01 12079 /root/.gunicorn/gunicorn.ctl\n"
      "0000000066a6a311: 00000003 00000000 00000000 0001 03 12077\n"
      "000000006aaaaaaa: 00000002 00000000 00010000 0001 01 777 @abstract name\n"
      "garbage line\n";
  std::vector<UnixSocketEntry> sockets = ParseUnixSockets(kNetUnix);
  ASSERT_EQ(sockets.size(), 4u);
  EXPECT_EQ(sockets[1].inode, 12079u);
  EXPECT_TRUE(sockets[1].listening);
  EXPECT_EQ(sockets[1].path, "/root/.gunicorn/gunicorn.ctl");
  EXPECT_FALSE(sockets[2].listening);
  EXPECT_EQ(sockets[2].path, "");
  EXPECT_EQ(sockets[3].path, "@abstract name");
}

TEST(SocketInode, OnlySocketLinks) {
  EXPECT_EQ(SocketInode("socket:[12079]"), 12079u);
  EXPECT_EQ(SocketInode("pipe:[12067]"), std::nullopt);
  EXPECT_EQ(SocketInode("socket:[x]"), std::nullopt);
  EXPECT_EQ(SocketInode("/tmp/wgunicorn-abc (deleted)"), std::nullopt);
}

}  // namespace
}  // namespace corral::agent
