#include "tests/support/postgres_cluster.h"

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace corral::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin/";

std::string Bin(const std::string& name) { return absl::StrCat(kBin, name); }

}  // namespace

std::unique_ptr<PostgresCluster> PostgresCluster::Create(std::string* error) {
  if (::access(Bin("postgres").c_str(), X_OK) != 0) {
    *error = absl::StrCat(Bin("postgres"), " is not installed (scripts/install-deps.sh test)");
    return nullptr;
  }
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  // Under /tmp rather than the test's temp dir: the postgres user must be
  // able to reach it.
  std::string pattern = "/tmp/corral-pg.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    *error = "cannot create a temporary directory under /tmp";
    return nullptr;
  }
  cluster->dir_ = pattern;
  if (::geteuid() == 0) {
    struct passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr || ::chown(cluster->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      *error = "running as root, and there is no postgres user to run PostgreSQL as";
      return nullptr;
    }
  }
  RunResult init = RunCommand(cluster->AsOwner({Bin("initdb"), "-D", cluster->dir_ + "/data", "-U", "postgres", "-A",
                                                "trust", "-E", "UTF8", "--no-sync", "--no-instructions"}),
                              {}, "", absl::Seconds(120));
  if (init.exit_code != 0) {
    *error = absl::StrCat("initdb failed (", init.exit_code, "): ", init.out, init.err);
    return nullptr;
  }
  cluster->port_ = FreePort();
  if (!cluster->Start()) {
    *error =
        absl::StrCat("postgres did not start on port ", cluster->port_, ": ", ReadLog(cluster->dir_ + "/postgres.log"));
    return nullptr;
  }
  return cluster;
}

PostgresCluster::~PostgresCluster() {
  if (postmaster_ != nullptr) {
    postmaster_->Signal(SIGQUIT);  // immediate shutdown: nothing to keep
    postmaster_->Wait(absl::Seconds(10));
    postmaster_.reset();
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::vector<std::string> PostgresCluster::AsOwner(std::vector<std::string> argv) const {
  if (::geteuid() != 0) return argv;
  std::vector<std::string> out = {"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

bool PostgresCluster::Start() {
  if (postmaster_ != nullptr) return true;
  // fsync off: a test cluster needs no durability across power cuts, and
  // the servers' commits stay durable across a restart of PostgreSQL.
  postmaster_ = Process::Start(AsOwner({Bin("postgres"), "-D", dir_ + "/data", "-p", std::to_string(port_), "-k", dir_,
                                        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                                        "max_connections=50", "-c", "shared_buffers=16MB"}),
                               {}, dir_ + "/postgres.log");
  if (postmaster_ == nullptr) return false;
  bool ready = WaitFor(
      [&] {
        return RunCommand({Bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", std::to_string(port_)}, {}, "",
                          absl::Seconds(5))
                   .exit_code == 0;
      },
      absl::Seconds(30));
  if (!ready) postmaster_.reset();
  return ready;
}

bool PostgresCluster::Stop() {
  if (postmaster_ == nullptr) return true;
  postmaster_->Signal(SIGINT);
  bool stopped = postmaster_->Wait(absl::Seconds(30)) == 0;
  postmaster_.reset();
  return stopped;
}

std::string PostgresCluster::Uri(const std::string& db) const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", db);
}

RunResult PostgresCluster::Sql(const std::string& db, const std::string& sql) const {
  return RunCommand({Bin("psql"), "-X", "-v", "ON_ERROR_STOP=1", "-At", "-d", Uri(db), "-c", sql}, {}, "",
                    absl::Seconds(30));
}

bool PostgresCluster::CreateDatabase(const std::string& name) {
  return Sql("postgres", absl::StrCat("CREATE DATABASE \"", name, "\"")).exit_code == 0;
}

}  // namespace corral::testing
