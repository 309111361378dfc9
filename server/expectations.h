// What a service is expected to run, as the rules and `corral diagnose`
// read it, and the validation every expectation passes before it is stored.
//
// Keys:
//   workers          exact number of live workers per replica
//   min_workers      at least this many live workers per replica
//   replicas         number of instances
//   build_revision   the revision images should be built from
//   command          the declared Gunicorn command line
//   app_uri          the WSGI application
//   max_latency      mean request latency above this is LATENCY_HIGH ("2s")
//   max_error_rate   5xx share above this is ERROR_RATE_HIGH ("5%")
//   gunicorn_version the Gunicorn release: "23.0" (any 23.0.x) or "23.0.1"
//                    (exactly); a master running another one is CONFIG_DRIFT
//   SETTING          any Gunicorn setting the agent observes (timeout,
//                    preload_app, bind, worker_class, threads, reload, ...)
#ifndef CORRAL_SERVER_EXPECTATIONS_H_
#define CORRAL_SERVER_EXPECTATIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "corral/v1/fleet.pb.h"

namespace corral::server {

inline constexpr int kMaxExpectationsPerService = 256;
inline constexpr int kMaxServicesPerRequest = 10000;
inline constexpr size_t kMaxExpectationValueBytes = 4096;
inline constexpr size_t kMaxOriginBytes = 512;

// Checks key and value and returns the expectation with its value
// normalised ("True" -> "true", " 3" -> "3"); origin and declared_by are
// kept ("manual" when empty). The error names the key and says why.
absl::StatusOr<corral::v1::Expectation> NormalizeExpectation(const corral::v1::Expectation& expectation);

// Validates and normalises a whole service's expectations: the service
// name, every key and value, no key twice, not both workers and
// min_workers, at most kMaxExpectationsPerService.
absl::Status NormalizeServiceExpectations(corral::v1::ServiceExpectations* service);

// The keys that are not Gunicorn settings.
bool IsWorkloadKey(const std::string& key);

// Whether `running` (a master's gunicorn_version, "26.2.2") is the release
// `expected` names (a normalised gunicorn_version expectation: "X.Y" matches
// every X.Y.*, "X.Y.Z" only itself; a pre-release suffix of `running` is
// dropped, as gunicorn::ParseRelease does). nullopt when `running` is not a
// known release: nobody can tell then.
std::optional<bool> ReleaseMatches(const std::string& expected, const std::string& running);

// One service's expectations with typed access. Cheap to copy.
class Expectations {
 public:
  Expectations() = default;
  explicit Expectations(corral::v1::ServiceExpectations proto);

  bool empty() const { return by_key_.empty(); }
  const corral::v1::Expectation* Find(const std::string& key) const;
  std::optional<int64_t> Int(const std::string& key) const;
  // Expected Gunicorn settings (app_uri included), by name.
  std::vector<const corral::v1::Expectation*> Settings() const;
  const corral::v1::ServiceExpectations& proto() const { return proto_; }

 private:
  corral::v1::ServiceExpectations proto_;
  std::map<std::string, int> by_key_;  // index into proto_.expectations()
};

// "FILE:LINE" for imported expectations, "corral expect set" for manual ones.
std::string OriginText(const corral::v1::Expectation& expectation);

}  // namespace corral::server

#endif  // CORRAL_SERVER_EXPECTATIONS_H_
