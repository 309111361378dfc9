// corral-server started on an SQLite file it cannot use: garbage, a file cut
// short, or a file another process holds locked. It exits 2 at once (or
// after waiting for the lock) with a message that names the file and says
// what is wrong, and leaves the file as it was. Pages damaged in the middle
// are reported, naming the file, when they are read.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/store.h"
#include "tests/chaos/chaos_support.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/subprocess.h"

namespace corral::testing {
namespace {

// A data directory with a real store of `events` events (closed cleanly:
// everything is in the main file); returns the file's path.
std::string MakeStore(const std::string& dir, int events) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/corral.db";
  absl::StatusOr<std::unique_ptr<server::Store>> store = server::Store::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return path;
  for (int batch = 0; batch < events / 100; ++batch) {
    std::vector<corral::v1::Event> appended(100);
    for (int i = 0; i < 100; ++i) {
      corral::v1::Event& e = appended[static_cast<size_t>(i)];
      e.set_time_unix_ms(1700000000000 + batch * 100 + i);
      e.set_kind("workers_changed");
      e.set_service(absl::StrCat("svc-", i % 7));
      e.set_instance(absl::StrCat("i-", i));
      e.set_before("3");
      e.set_after("1");
      e.set_message(absl::StrCat("svc-", i % 7, "/i-", i, " runs 1 worker, was 3"));
    }
    EXPECT_TRUE((*store)->Append(&appended, {{"svc-0", std::string(200, 'm')}}).ok());
  }
  return path;
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// corral-server on `dir` as a one-off: its exit code and output.
RunResult StartServer(const std::string& dir, absl::Duration timeout = absl::Seconds(20)) {
  return RunCommand({BinPath("corral-server"), "--listen", absl::StrCat("127.0.0.1:", FreePort()), "--data-dir", dir,
                     "--http", "127.0.0.1:0"},
                    {}, "", timeout);
}

TEST(StoreStartChaos, AFileOfGarbageExits2NamingIt) {
  std::string dir = MakeTempDir("garbage");
  std::string path = dir + "/corral.db";
  std::string garbage(64 << 10, '\0');
  std::mt19937 rng(7);
  for (char& c : garbage) c = static_cast<char>(rng());
  WriteBytes(path, garbage);

  RunResult r = StartServer(dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("corral-server: " + path + " is not a Corral store: not an SQLite database"), std::string::npos)
      << r.err;
  EXPECT_EQ(FileBytes(path), garbage);
}

TEST(StoreStartChaos, ATruncatedFileExits2NamingIt) {
  std::string dir = MakeTempDir("truncated");
  std::string path = MakeStore(dir, 20000);
  std::string whole = FileBytes(path);
  ASSERT_GT(whole.size(), 1u << 20);
  std::string half = whole.substr(0, whole.size() / 2);
  WriteBytes(path, half);

  RunResult r = StartServer(dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(absl::StrCat("corral-server: ", path, " is damaged: ")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("move it away to start a new history"), std::string::npos) << r.err;
  EXPECT_EQ(FileBytes(path), half);
}

TEST(StoreStartChaos, PagesOverwrittenWithGarbageAreReportedNamingTheFileWhenRead) {
  std::string dir = MakeTempDir("corrupt");
  std::string path = MakeStore(dir + "/data", 20000);
  std::string bytes = FileBytes(path);
  ASSERT_GT(bytes.size(), 1u << 20);
  // Garbage over a stretch in the middle: pages of the events and their
  // indexes, which opening the store does not read (checking every page at
  // start would cost seconds on a large history).
  std::mt19937 rng(11);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64 * 1024; ++i) bytes[i] = static_cast<char>(rng());
  WriteBytes(path, bytes);

  auto server = ServerProcess::Start(dir);
  absl::StatusOr<std::vector<corral::v1::Event>> history = ReadHistory(server->address());
  ASSERT_FALSE(history.ok());
  EXPECT_TRUE(absl::StrContains(history.status().message(), absl::StrCat("store ", path, ": cannot read events: ")))
      << history.status();
  EXPECT_TRUE(absl::StrContains(history.status().message(), "(the file is damaged)")) << history.status();
  // Everything else is still served.
  RunResult status = Corral({"status"}, server->address());
  EXPECT_EQ(status.exit_code, 0) << status.err;
}

// Holds `path` the way `sqlite3 FILE 'BEGIN EXCLUSIVE; ...'` does while it
// runs: another process's exclusive transaction, until Release().
class ExclusiveHolder {
 public:
  explicit ExclusiveHolder(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN EXCLUSIVE", nullptr, nullptr, &error), SQLITE_OK)
        << (error != nullptr ? error : "");
    sqlite3_free(error);
  }
  ~ExclusiveHolder() { Release(); }
  void Release() {
    if (db_ == nullptr) return;
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(StoreStartChaos, AFileLockedByAnotherProcessExits2NamingItAfterWaiting) {
  std::string dir = MakeTempDir("locked");
  std::string path = MakeStore(dir, 1000);
  ExclusiveHolder holder(path);
  absl::Time start = absl::Now();
  RunResult r = StartServer(dir);
  absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(absl::StrCat("corral-server: ", path,
                                    " is locked by another process (waited 5s; another corral-server, a sqlite3 shell "
                                    "or a backup?)")),
            std::string::npos)
      << r.err;
  EXPECT_GE(waited, absl::Seconds(5));
}

TEST(StoreStartChaos, ALockReleasedWithinTheWaitLetsTheServerStart) {
  std::string dir = MakeTempDir("briefly-locked");
  std::string path = MakeStore(dir, 1000);
  auto holder = std::make_unique<ExclusiveHolder>(path);
  std::string address = absl::StrCat("127.0.0.1:", FreePort());
  auto server =
      Process::Start({BinPath("corral-server"), "--listen", address, "--data-dir", dir, "--http", "127.0.0.1:0"}, {},
                     dir + "/server.log");
  absl::SleepFor(absl::Seconds(1));
  EXPECT_FALSE(absl::StrContains(server->Log(), "listening on")) << server->Log();
  holder->Release();
  EXPECT_TRUE(WaitFor([&] { return absl::StrContains(server->Log(), "listening on " + address); }, absl::Seconds(10)))
      << server->Log();
}

}  // namespace
}  // namespace corral::testing
