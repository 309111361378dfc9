// The answers to the CLI's questions about the fleet, computed from the
// registry, the evaluator, the expectations and the history. Two front ends
// ask them: the Fleet gRPC service (fleet_service.h) and the browser pages
// on the HTTP port (web/), so a page and `corral ... --json` show the same
// messages.
//
// Errors: INVALID_ARGUMENT for a bad name or limit, NOT_FOUND for a service
// nobody reported or declared, UNIMPLEMENTED when this server keeps no
// expectations or history.
#ifndef CORRAL_SERVER_FLEET_QUERIES_H_
#define CORRAL_SERVER_FLEET_QUERIES_H_

#include "absl/status/statusor.h"
#include "corral/v1/fleet.pb.h"
#include "server/expectation_book.h"
#include "server/fleet_evaluator.h"
#include "server/history.h"
#include "server/registry.h"

namespace corral::server {

class FleetQueries {
 public:
  // `book` and `history` may be null: their queries then answer
  // UNIMPLEMENTED.
  FleetQueries(const Registry* registry, FleetEvaluator* evaluator, ExpectationBook* book = nullptr,
               server::History* history = nullptr)
      : registry_(registry), evaluator_(evaluator), book_(book), history_(history) {}

  corral::v1::FleetStatus Status() const;
  absl::StatusOr<corral::v1::ServiceDetail> Service(const corral::v1::ServiceRequest& request) const;
  corral::v1::InstanceList Instances(const corral::v1::InstancesRequest& request) const;
  absl::StatusOr<corral::v1::CheckResponse> Check(const corral::v1::CheckRequest& request) const;
  absl::StatusOr<corral::v1::ExpectationsList> SetExpectations(const corral::v1::SetExpectationsRequest& request);
  absl::StatusOr<corral::v1::ExpectationsList> UnsetExpectations(const corral::v1::UnsetExpectationsRequest& request);
  absl::StatusOr<corral::v1::ExpectationsList> Expectations(const corral::v1::ExpectationsRequest& request) const;
  absl::StatusOr<corral::v1::Diagnosis> Diagnose(const corral::v1::DiagnoseRequest& request) const;
  absl::StatusOr<corral::v1::HistoryResponse> History(const corral::v1::HistoryRequest& request) const;

  // Checks a Watch request; the history to stream from when it is valid.
  absl::StatusOr<server::History*> WatchSource(const corral::v1::WatchRequest& request) const;

 private:
  const Registry* registry_;
  FleetEvaluator* evaluator_;
  ExpectationBook* book_;
  server::History* history_;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_FLEET_QUERIES_H_
