// A real PostgreSQL 15 (Debian's postgresql-15) for tests: a fresh cluster
// in a temporary directory, listening on a free port of 127.0.0.1, run as
// the postgres user when the test runs as root (PostgreSQL refuses root).
// The destructor stops it (immediate shutdown) and removes the directory,
// also when the test failed.
#ifndef CORRAL_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
#define CORRAL_TESTS_SUPPORT_POSTGRES_CLUSTER_H_

#include <memory>
#include <string>

#include "tests/support/subprocess.h"

namespace corral::testing {

class PostgresCluster {
 public:
  // initdb, then Start(). Null, with the reason in *error, when PostgreSQL
  // is not installed or does not come up.
  static std::unique_ptr<PostgresCluster> Create(std::string* error);
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // Starts the postmaster on port(); waits until it accepts connections.
  bool Start();
  // Fast shutdown (SIGINT: open sessions are ended, committed data kept);
  // waits for the exit.
  bool Stop();

  // postgresql://postgres@127.0.0.1:PORT/DB (trust authentication).
  std::string Uri(const std::string& db = "postgres") const;
  // A new database, empty; false (and the reason in the log) on failure.
  bool CreateDatabase(const std::string& name);
  // Runs `sql` with psql in `db`; the output (unaligned, tuples only), or
  // exit code != 0.
  RunResult Sql(const std::string& db, const std::string& sql) const;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

 private:
  PostgresCluster() = default;
  // argv run as the postgres user when we are root.
  std::vector<std::string> AsOwner(std::vector<std::string> argv) const;

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Process> postmaster_;
};

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
