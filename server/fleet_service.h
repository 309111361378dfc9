// The Fleet gRPC service (callback API): the CLI's queries, answered by
// FleetQueries (fleet_queries.h), which the browser pages share.
//
// Every method is registered raw and parses its own request (see
// raw_messages.h), so bytes that are not the request message get
// INVALID_ARGUMENT. The handlers below take parsed messages.
#ifndef CORRAL_SERVER_FLEET_SERVICE_H_
#define CORRAL_SERVER_FLEET_SERVICE_H_

#include "corral/v1/fleet.grpc.pb.h"
#include "server/call_auth.h"
#include "server/fleet_queries.h"

namespace corral::server {

namespace fleet_internal {
using F = corral::v1::Fleet;
using RawFleetService = F::WithRawCallbackMethod_GetFleetStatus<
    F::WithRawCallbackMethod_GetService<F::WithRawCallbackMethod_ListInstances<F::WithRawCallbackMethod_Check<
        F::WithRawCallbackMethod_SetExpectations<F::WithRawCallbackMethod_UnsetExpectations<
            F::WithRawCallbackMethod_GetExpectations<F::WithRawCallbackMethod_Diagnose<
                F::WithRawCallbackMethod_History<F::WithRawCallbackMethod_Watch<F::Service>>>>>>>>>>;
}  // namespace fleet_internal

class FleetService final : public fleet_internal::RawFleetService {
 public:
  // Both outlive the service.
  FleetService(FleetQueries* queries, const CallAuth* auth) : queries_(queries), auth_(auth) {}

  using Raw = grpc::ByteBuffer;
  grpc::ServerUnaryReactor* GetFleetStatus(grpc::CallbackServerContext* context, const Raw* request,
                                           Raw* response) override;
  grpc::ServerUnaryReactor* GetService(grpc::CallbackServerContext* context, const Raw* request,
                                       Raw* response) override;
  grpc::ServerUnaryReactor* ListInstances(grpc::CallbackServerContext* context, const Raw* request,
                                          Raw* response) override;
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context, const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* SetExpectations(grpc::CallbackServerContext* context, const Raw* request,
                                            Raw* response) override;
  grpc::ServerUnaryReactor* UnsetExpectations(grpc::CallbackServerContext* context, const Raw* request,
                                              Raw* response) override;
  grpc::ServerUnaryReactor* GetExpectations(grpc::CallbackServerContext* context, const Raw* request,
                                            Raw* response) override;
  grpc::ServerUnaryReactor* Diagnose(grpc::CallbackServerContext* context, const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext* context, const Raw* request, Raw* response) override;
  grpc::ServerWriteReactor<Raw>* Watch(grpc::CallbackServerContext* context, const Raw* request) override;

 private:
  // The handlers, on parsed requests.
  grpc::Status FleetStatusOf(const corral::v1::FleetStatusRequest& request, corral::v1::FleetStatus* response);
  grpc::Status ServiceOf(const corral::v1::ServiceRequest& request, corral::v1::ServiceDetail* response);
  grpc::Status InstancesOf(const corral::v1::InstancesRequest& request, corral::v1::InstanceList* response);
  grpc::Status CheckOf(const corral::v1::CheckRequest& request, corral::v1::CheckResponse* response);
  grpc::Status Set(const corral::v1::SetExpectationsRequest& request, corral::v1::ExpectationsList* response);
  grpc::Status Unset(const corral::v1::UnsetExpectationsRequest& request, corral::v1::ExpectationsList* response);
  grpc::Status ExpectationsOf(const corral::v1::ExpectationsRequest& request, corral::v1::ExpectationsList* response);
  grpc::Status DiagnosisOf(const corral::v1::DiagnoseRequest& request, corral::v1::Diagnosis* response);
  grpc::Status HistoryOf(const corral::v1::HistoryRequest& request, corral::v1::HistoryResponse* response);

  // Checks the caller, parses `request` as Request, runs `handler` and
  // serializes its answer.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, const Raw* request, Raw* response,
                                  grpc::Status (FleetService::*handler)(const Request&, Response*));

  FleetQueries* queries_;
  const CallAuth* auth_;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_FLEET_SERVICE_H_
