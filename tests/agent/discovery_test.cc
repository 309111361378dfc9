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

TEST(ClassifyChild, AWorkerNotYetRetitledIsATentativeWorker) {
  // Right after the fork the worker's title is still the master's, and it
  // holds the master's heartbeat files until it closes its siblings'.
  ChildEvidence e;
  e.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn: master [app]"});
  e.same_argv_as_master = true;
  e.has_worker_tmp = true;
  e.heartbeat_files = {"/tmp/wgunicorn-a (deleted)", "/tmp/wgunicorn-b (deleted)"};
  e.parent_heartbeat_files = std::vector<std::string>{"/tmp/wgunicorn-a (deleted)", "/tmp/wgunicorn-b (deleted)"};
  EXPECT_EQ(ClassifyChild(10, e, nullptr), ChildKind::kWorker);
  EXPECT_TRUE(ClassificationIsTentative(e, ChildKind::kWorker));
  // A USR2 master exec'd: it holds none of the old master's heartbeats.
  e.has_worker_tmp = false;
  e.heartbeat_files.clear();
  EXPECT_EQ(ClassifyChild(10, e, nullptr), ChildKind::kUpgradeMaster);
  // Worker titles are final.
  ChildEvidence titled;
  titled.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn: worker [app]"});
  titled.parent_heartbeat_files = std::vector<std::string>{};
  EXPECT_FALSE(ClassificationIsTentative(titled, ChildKind::kWorker));
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

TEST(ClassifyChild, DirtyArbiterByTitle) {
  ChildEvidence e;
  e.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn: dirty-arbiter"});
  EXPECT_EQ(ClassifyChild(10, e, nullptr), ChildKind::kDirtyArbiter);
}

// Gunicorn 26.2 without setproctitle, as read off real processes: the
// master holds its two web workers' heartbeats; the dirty arbiter holds its
// two dirty workers' heartbeats, which the master never sees.
ChildEvidence Untitled(std::vector<std::string> held, std::optional<std::vector<std::string>> parent) {
  ChildEvidence e;
  e.gunicorn = gunicorn::RecognizeGunicorn({"/usr/bin/python3", "-m", "gunicorn", "-w", "2", "wsgi:application"});
  e.same_argv_as_master = true;
  e.has_worker_tmp = !held.empty();
  e.heartbeat_files = std::move(held);
  e.parent_heartbeat_files = std::move(parent);
  return e;
}

const std::vector<std::string> kMasterHeld = {"/tmp/wgunicorn-0i1fk2tl (deleted)", "/tmp/wgunicorn-9i1ce85x (deleted)"};
const std::vector<std::string> kArbiterHeld = {"/tmp/wgunicorn-rehk6sxo (deleted)",
                                               "/tmp/wgunicorn-9bclo4mc (deleted)"};

TEST(ClassifyChild, WithoutTitlesTheDirtyArbiterHoldsFilesItsMasterDoesNot) {
  EXPECT_EQ(ClassifyChild(10, Untitled({kMasterHeld[0]}, kMasterHeld), nullptr), ChildKind::kWorker);
  EXPECT_EQ(ClassifyChild(10, Untitled(kArbiterHeld, kMasterHeld), nullptr), ChildKind::kDirtyArbiter);
  // The master's fd table unreadable: no way to tell, a worker as before.
  EXPECT_EQ(ClassifyChild(10, Untitled(kArbiterHeld, std::nullopt), nullptr), ChildKind::kWorker);
}

TEST(ClassifyChild, ARespawnedArbiterAlsoHoldsTheWebWorkersFiles) {
  // Started again after the web workers, it inherited their heartbeats.
  std::vector<std::string> held = {kMasterHeld[0], kMasterHeld[1], kArbiterHeld[0]};
  EXPECT_EQ(ClassifyChild(10, Untitled(held, kMasterHeld), nullptr), ChildKind::kDirtyArbiter);
  // Before it forked its own workers, only the socket tells.
  ChildEvidence early = Untitled({kMasterHeld[0], kMasterHeld[1]}, kMasterHeld);
  EXPECT_EQ(ClassifyChild(10, early, nullptr), ChildKind::kWorker);
  EXPECT_TRUE(ClassificationIsTentative(early, ChildKind::kWorker));
  early.listens_on_dirty_arbiter_socket = true;
  EXPECT_EQ(ClassifyChild(10, early, nullptr), ChildKind::kDirtyArbiter);
  EXPECT_FALSE(ClassificationIsTentative(early, ChildKind::kDirtyArbiter));
}

TEST(ClassificationIsTentative, OnlyUntitledChildrenThatCanStillChange) {
  EXPECT_FALSE(ClassificationIsTentative(Untitled({kMasterHeld[0]}, kMasterHeld), ChildKind::kWorker));
  EXPECT_TRUE(ClassificationIsTentative(Untitled({}, kMasterHeld), ChildKind::kOther));
  EXPECT_FALSE(ClassificationIsTentative(Untitled(kMasterHeld, std::nullopt), ChildKind::kWorker));
  ChildEvidence titled;
  titled.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn: worker [app]"});
  EXPECT_FALSE(ClassificationIsTentative(titled, ChildKind::kWorker));
}

TEST(IsDirtyArbiterSocketPath, NamedByGunicornsTempDirectory) {
  EXPECT_TRUE(IsDirtyArbiterSocketPath("/tmp/gunicorn-dirty-nn1tbrpa/arbiter.sock"));
  EXPECT_FALSE(IsDirtyArbiterSocketPath("/tmp/gunicorn-dirty-nn1tbrpa/worker-1.sock"));
  EXPECT_FALSE(IsDirtyArbiterSocketPath("/run/app/arbiter.sock"));
  EXPECT_FALSE(IsDirtyArbiterSocketPath("arbiter.sock"));
}

TEST(ClassifyDirtyChild, DirtyWorkersShareTheArbitersFiles) {
  // The second dirty worker also inherited the first one's file.
  EXPECT_EQ(ClassifyDirtyChild(Untitled({kArbiterHeld[0]}, kArbiterHeld)), ChildKind::kDirtyWorker);
  EXPECT_EQ(ClassifyDirtyChild(Untitled(kArbiterHeld, kArbiterHeld)), ChildKind::kDirtyWorker);
  EXPECT_EQ(ClassifyDirtyChild(Untitled({}, kArbiterHeld)), ChildKind::kOther);
  EXPECT_EQ(ClassifyDirtyChild(Untitled({"/tmp/wgunicorn-elsewhere (deleted)"}, kArbiterHeld)), ChildKind::kOther);
  ChildEvidence titled;
  titled.gunicorn = gunicorn::RecognizeGunicorn({"gunicorn: dirty-worker [wsgi:application]"});
  EXPECT_EQ(ClassifyDirtyChild(titled), ChildKind::kDirtyWorker);
}

TEST(OwnHeartbeats, OlderSiblingsFilesAreNotYours) {
  std::map<int, std::string> own =
      OwnHeartbeats({{4862, 200, {kArbiterHeld[0], kArbiterHeld[1]}}, {4859, 100, {kArbiterHeld[0]}}}, kArbiterHeld);
  EXPECT_EQ(own, (std::map<int, std::string>{{4859, kArbiterHeld[0]}, {4862, kArbiterHeld[1]}}));
}

TEST(OwnHeartbeats, DeadSiblingsFilesAreNoLongerTheParents) {
  // Worker 1 died; its file is closed by the parent but still held by
  // worker 2, which was forked while it lived.
  std::vector<std::string> parent = {"/tmp/wgunicorn-2", "/tmp/wgunicorn-3"};
  std::map<int, std::string> own = OwnHeartbeats(
      {{20, 200, {"/tmp/wgunicorn-1", "/tmp/wgunicorn-2"}}, {30, 300, {"/tmp/wgunicorn-2", "/tmp/wgunicorn-3"}}},
      parent);
  EXPECT_EQ(own, (std::map<int, std::string>{{20, "/tmp/wgunicorn-2"}, {30, "/tmp/wgunicorn-3"}}));
}

TEST(OwnHeartbeats, UndecidableChildrenAreLeftOut) {
  std::map<int, std::string> own = OwnHeartbeats({{20, 200, {"/tmp/wgunicorn-1", "/tmp/wgunicorn-2"}}}, std::nullopt);
  EXPECT_TRUE(own.empty());
}

}  // namespace
}  // namespace corral::agent
