#include "server/store.h"

#include "absl/strings/match.h"
#include "server/postgres_store.h"
#include "server/sqlite_store.h"

namespace corral::server {

bool Store::IsPostgresLocation(absl::string_view location) {
  return absl::StartsWith(location, "postgresql://") || absl::StartsWith(location, "postgres://");
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& location) {
  if (IsPostgresLocation(location)) {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(location);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(store).value());
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(location);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(store).value());
}

}  // namespace corral::server
