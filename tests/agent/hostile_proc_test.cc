// The probe against a proc tree that lies: children lists that loop back to
// the master or its parent, a stat naming another pid than its directory,
// numbers that overflow, a children list of 100,000 pids that do not exist,
// a megabyte argv, a hook file of garbage. It must answer, in bounded work,
// with what it could establish and say what it could not.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/probe.h"
#include "agent/procfs.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

void Write(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::string Stat(int pid, const std::string& comm, int64_t ppid, const std::string& start_ticks = "6000") {
  return absl::StrCat(pid, " (", comm, ") S ", ppid, " ", pid, " ", pid,
                      " 0 -1 4194560 1000 0 0 0 150 20 0 0 20 0 1 0 ", start_ticks,
                      " 50000000 6000 18446744073709551615 1 1 0 0 0 0 0 16781312 137447943 0 0 0 17 1 0 0 0 0 0 0 0 0 "
                      "0 0 0 0 0 0\n");
}

// One process directory: stat, cmdline (argv joined by NULs), children.
void Process(const std::string& root, int pid, int ppid, const std::vector<std::string>& argv,
             const std::string& children, const std::string& comm = "gunicorn") {
  std::string dir = absl::StrCat(root, "/", pid);
  Write(dir + "/stat", Stat(pid, comm, ppid));
  Write(dir + "/cmdline", absl::StrJoin(argv, std::string(1, '\0')) + std::string(1, '\0'));
  Write(dir + "/status", absl::StrCat("Name:\t", comm, "\nUid:\t1000\t1000\t1000\t1000\nVmRSS:\t1000 kB\n"));
  Write(absl::StrCat(dir, "/task/", pid, "/children"), children);
  Write(dir + "/environ", std::string("PATH=/usr/bin") + std::string(1, '\0'));
}

class HostileProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = corral::testing::MakeTempDir("hostile-proc");
    hooks_ = corral::testing::MakeTempDir("hostile-hooks");
    Write(root_ + "/uptime", "10000.00 20000.00\n");
    Process(root_, 1, 0, {"/sbin/init"}, "100 200 300 400 500 ", "init");
    // A master whose children list names itself, its parent and a worker
    // whose own children name the master again.
    Process(root_, 100, 1, {"gunicorn: master [loop]"}, "100 1 101 102 ");
    Process(root_, 101, 100, {"gunicorn: worker [loop]"}, "100 101 ");
    Process(root_, 102, 100, {"gunicorn: worker [loop]"}, "");
    // A stat that names another pid than its directory.
    Process(root_, 200, 1, {"gunicorn: master [liar]"}, "");
    Write(root_ + "/200/stat", Stat(999, "gunicorn", 1));
    // 100,000 children that do not exist.
    std::string many;
    for (int i = 0; i < 100000; ++i) absl::StrAppend(&many, 1000000 + i, " ");
    Process(root_, 300, 1, {"gunicorn: master [crowd]"}, many);
    // Numbers beyond every integer type, and a megabyte argv.
    Process(root_, 400, 1, {"gunicorn", "-w", "99999999999999999999999", std::string(1 << 20, 'a') + ":app"}, "");
    Write(root_ + "/400/stat", Stat(400, "gunicorn", 1, "999999999999999999999999999"));
    // A dirty arbiter whose children are its own master.
    Process(root_, 500, 1, {"gunicorn: master [dirty]"}, "501 ");
    Process(root_, 501, 500, {"gunicorn: dirty-arbiter [dirty]"}, "500 501 ");
    // The hook file of master 100 is garbage.
    Write(hooks_ + "/gunicorn-100.json", std::string("\xff\xfe{\"pid\": [[[[", 12));
  }

  std::unique_ptr<Probe> MakeProbe() {
    ProbeOptions options;
    options.proc_root = root_;
    options.hook_dir = hooks_;
    return std::make_unique<Probe>(options);
  }

  std::string root_;
  std::string hooks_;
};

std::vector<int> Pids(const google::protobuf::RepeatedPtrField<corral::v1::ProcessFacts>& facts) {
  std::vector<int> pids;
  for (const auto& f : facts) pids.push_back(f.pid());
  return pids;
}

TEST_F(HostileProcTest, EachSampleAnswersWithWhatItCouldEstablishAndSaysWhatItRefused) {
  std::unique_ptr<Probe> probe = MakeProbe();
  for (int round = 0; round < 3; ++round) {
    corral::v1::Snapshot s = round == 0 ? probe->Discover() : probe->Sample();
    SCOPED_TRACE(round);
    // The lies that would otherwise force a full discovery every time (a
    // child list naming the master itself) are seen through.
    EXPECT_EQ(s.scan_kind(), round == 0 ? corral::v1::FULL_DISCOVERY : corral::v1::STEADY_STATE);
    if (round == 0) {
      // The stat naming pid 999 in /proc/200, and the start time beyond
      // 64 bits in /proc/400.
      EXPECT_EQ(std::vector<std::string>(s.scan_errors().begin(), s.scan_errors().end()),
                std::vector<std::string>{"2 process(es) had an unparsable stat file and were skipped"});
    }
    std::vector<int> masters;
    for (const auto& inst : s.instances()) masters.push_back(inst.master().pid());
    EXPECT_EQ(masters, (std::vector<int>{100, 300, 500}));
    // Only the processes whose own stat names the master as parent.
    EXPECT_EQ(Pids(s.instances(0).workers()), (std::vector<int>{101, 102}));
    EXPECT_TRUE(s.instances(1).workers().empty());
    EXPECT_TRUE(s.instances(2).workers().empty());
    EXPECT_TRUE(s.instances(2).dirty_workers().empty());
    // The garbage hook file is named with its defect; the settings stay
    // unknown rather than guessed.
    bool hook_error = false;
    for (const std::string& e : s.instances(0).master().read_errors()) {
      hook_error |= absl::StrContains(e, "gunicorn-100.json: not JSON");
    }
    EXPECT_TRUE(hook_error) << s.instances(0).master().DebugString();
    EXPECT_EQ(s.instances(0).config().at("workers").source(), "unknown");
  }
}

TEST(ParseStat, ANumberBeyondItsTypeOrAnotherPidIsRefused) {
  std::string good = Stat(400, "gunicorn", 1);
  ASSERT_TRUE(ParseStat(good, 400).ok());
  EXPECT_EQ(ParseStat(good, 401).status().message(), "malformed stat: names pid 400, not 401");
  absl::StatusOr<ProcStat> wrapped = ParseStat(Stat(400, "gunicorn", 1, "18446744073709551616"));
  EXPECT_FALSE(wrapped.ok()) << wrapped->start_ticks;  // 2^64 would wrap to 0
  EXPECT_TRUE(ParseStat(Stat(400, "gunicorn", 1, "18446744073709551615")).ok());
  EXPECT_FALSE(ParseStat(Stat(400, "gunicorn", 2147483648)).ok());  // ppid beyond int
}

}  // namespace
}  // namespace corral::agent
