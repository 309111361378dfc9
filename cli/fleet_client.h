// The CLI's connection to corral-server: address, TLS, token and timeout
// from flags (or CORRAL_* variables), and calls that turn gRPC failures into
// messages that name the address and the reason.
#ifndef CORRAL_CLI_FLEET_CLIENT_H_
#define CORRAL_CLI_FLEET_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/flags.h"
#include "corral/v1/fleet.grpc.pb.h"

namespace corral::cli {

// Flags every fleet command takes.
std::vector<FlagSpec> ConnectionFlags();

class FleetClient {
 public:
  // Reads the connection flags; fails on unreadable token or TLS files.
  static absl::StatusOr<FleetClient> FromFlags(const Flags& flags);

  absl::StatusOr<corral::v1::FleetStatus> FleetStatus() const;
  absl::StatusOr<corral::v1::ServiceDetail> Service(const std::string& name) const;
  absl::StatusOr<corral::v1::InstanceList> Instances(const std::string& service) const;
  absl::StatusOr<corral::v1::CheckResponse> Check(const std::string& service) const;

  const std::string& address() const { return address_; }

 private:
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Call(Method method, const Request& request) const;

  std::string address_;
  std::optional<std::string> token_;
  absl::Duration timeout_;
  std::shared_ptr<corral::v1::Fleet::Stub> stub_;
};

}  // namespace corral::cli

#endif  // CORRAL_CLI_FLEET_CLIENT_H_
