// The CLI's connection to corral-server: address, TLS, token and timeout
// from flags (or CORRAL_* variables), and calls that turn gRPC failures into
// messages that name the address and the reason.
#ifndef CORRAL_CLI_FLEET_CLIENT_H_
#define CORRAL_CLI_FLEET_CLIENT_H_

#include <functional>
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
  absl::StatusOr<corral::v1::ExpectationsList> SetExpectations(const corral::v1::SetExpectationsRequest& request) const;
  absl::StatusOr<corral::v1::ExpectationsList> UnsetExpectations(
      const corral::v1::UnsetExpectationsRequest& request) const;
  absl::StatusOr<corral::v1::ExpectationsList> GetExpectations(const std::string& service) const;
  absl::StatusOr<corral::v1::Diagnosis> Diagnose(const std::string& service) const;
  absl::StatusOr<corral::v1::HistoryResponse> History(const corral::v1::HistoryRequest& request) const;
  // Streams events to `on_event` until the stream ends; returns why it
  // ended (OK when the server finished it), worded like the other calls.
  // No deadline: a watch lasts as long as the server does.
  // grpc.health.v1 Check of the whole server: true when SERVING.
  absl::StatusOr<bool> Serving() const;
  absl::Status Watch(const corral::v1::WatchRequest& request,
                     const std::function<void(const corral::v1::Event&)>& on_event) const;

  const std::string& address() const { return address_; }

 private:
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Call(Method method, const Request& request) const;
  absl::Status Translate(const grpc::Status& status) const;

  std::string address_;
  std::optional<std::string> token_;
  absl::Duration timeout_;
  std::shared_ptr<corral::v1::Fleet::Stub> stub_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace corral::cli

#endif  // CORRAL_CLI_FLEET_CLIENT_H_
