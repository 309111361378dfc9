#include "agent/discovery.h"

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

ProcessEntry Entry(int pid, int ppid, std::vector<std::string> argv) {
  return ProcessEntry{pid, ppid, argv.empty() ? "" : argv[0], gunicorn::RecognizeGunicorn(argv)};
}

TEST(FindRootMasters, MastersAreGunicornWithANonGunicornParent) {
  std::vector<ProcessEntry> table = {
      Entry(1, 0, {"/sbin/init"}),
      Entry(10, 1, {"gunicorn", "-w", "2", "app:app"}),
      Entry(11, 10, {"gunicorn", "-w", "2", "app:app"}),  // worker
      Entry(20, 1, {"gunicorn: master [api]"}),
      Entry(21, 20, {"gunicorn: worker [api]"}),
      Entry(30, 1, {"bash"}),
      Entry(31, 30, {"python3", "-m", "gunicorn", "wsgi"}),  // started from a shell
      Entry(40, 1, {"gunicorn: worker [orphan]"}),           // a worker never starts a tree
  };
  EXPECT_EQ(FindRootMasters(table), (std::vector<int>{10, 20, 31}));
}

TEST(FindRootMasters, Pid1OfANamespaceIsAMaster) {
  std::vector<ProcessEntry> table = {Entry(1, 0, {"/usr/bin/python3", "/usr/bin/gunicorn", "app"}),
                                     Entry(7, 1, {"/usr/bin/python3", "/usr/bin/gunicorn", "app"})};
  EXPECT_EQ(FindRootMasters(table), std::vector<int>{1});
}

TEST(ClassifyChild, TitlesDecide) {
  ChildEvidence worker;
  worker.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn: worker [app]"});
  EXPECT_EQ(ClassifyChild(10, worker, nullptr), ChildKind::kWorker);
  ChildEvidence master;
  master.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn: master [app.2]"});
  EXPECT_EQ(ClassifyChild(10, master, nullptr), ChildKind::kUpgradeMaster);
}

TEST(ClassifyChild, UsrTwoMasterCarriesGunicornPid) {
  ChildEvidence e;
  e.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn", "app"});
  e.same_argv_as_master = true;
  e.gunicorn_pid_env = 10;
  e.has_worker_tmp = false;
  EXPECT_EQ(ClassifyChild(10, e, nullptr), ChildKind::kUpgradeMaster);
  // Inherited GUNICORN_PID naming another pid (this master was itself
  // upgraded) does not make a worker a master.
  e.gunicorn_pid_env = 3;
  e.has_worker_tmp = true;
  EXPECT_EQ(ClassifyChild(10, e, nullptr), ChildKind::kWorker);
}

TEST(ClassifyChild, HeartbeatFileMakesAWorker) {
  ChildEvidence e;
  e.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn", "app"});
  e.same_argv_as_master = true;
  e.has_worker_tmp = true;
  EXPECT_EQ(ClassifyChild(10, e, nullptr), ChildKind::kWorker);
}

TEST(ClassifyChild, ForkedHelperWithoutHeartbeatIsNotAWorker) {
  ChildEvidence e;
  e.same_argv_as_master = true;
  e.has_worker_tmp = false;
  EXPECT_EQ(ClassifyChild(10, e, nullptr), ChildKind::kOther);
}

TEST(ClassifyChild, UnreadableFdsFallBackToArgvAndSaySo) {
  ChildEvidence e;
  e.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn", "app"});
  e.same_argv_as_master = true;
  std::string why;
  EXPECT_EQ(ClassifyChild(10, e, &why), ChildKind::kWorker);
  EXPECT_EQ(why, "classified as a worker by its argv; its fd table is unreadable");
}

TEST(ClassifyChild, AppSubprocessesAreOther) {
  ChildEvidence e;
  e.gunicorn = gunicorn::RecognizeGunicorn({"/bin/sh", "-c", "convert x.png"});
  EXPECT_EQ(ClassifyChild(10, e, nullptr), ChildKind::kOther);
}

}  // namespace
}  // namespace corral::agent
