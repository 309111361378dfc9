// The Fleet gRPC service (callback API): the CLI's queries.
#ifndef CORRAL_SERVER_FLEET_SERVICE_H_
#define CORRAL_SERVER_FLEET_SERVICE_H_

#include "corral/v1/fleet.grpc.pb.h"
#include "server/call_auth.h"
#include "server/expectation_book.h"
#include "server/fleet_evaluator.h"
#include "server/history.h"
#include "server/registry.h"

namespace corral::server {

class FleetService final : public corral::v1::Fleet::CallbackService {
 public:
  // `book` and `history` may be null: their RPCs then answer UNIMPLEMENTED.
  FleetService(const Registry* registry, FleetEvaluator* evaluator, const CallAuth* auth,
               ExpectationBook* book = nullptr, server::History* history = nullptr)
      : registry_(registry), evaluator_(evaluator), auth_(auth), book_(book), history_(history) {}

  grpc::ServerUnaryReactor* GetFleetStatus(grpc::CallbackServerContext* context,
                                           const corral::v1::FleetStatusRequest* request,
                                           corral::v1::FleetStatus* response) override;
  grpc::ServerUnaryReactor* GetService(grpc::CallbackServerContext* context, const corral::v1::ServiceRequest* request,
                                       corral::v1::ServiceDetail* response) override;
  grpc::ServerUnaryReactor* ListInstances(grpc::CallbackServerContext* context,
                                          const corral::v1::InstancesRequest* request,
                                          corral::v1::InstanceList* response) override;
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context, const corral::v1::CheckRequest* request,
                                  corral::v1::CheckResponse* response) override;
  grpc::ServerUnaryReactor* SetExpectations(grpc::CallbackServerContext* context,
                                            const corral::v1::SetExpectationsRequest* request,
                                            corral::v1::ExpectationsList* response) override;
  grpc::ServerUnaryReactor* UnsetExpectations(grpc::CallbackServerContext* context,
                                              const corral::v1::UnsetExpectationsRequest* request,
                                              corral::v1::ExpectationsList* response) override;
  grpc::ServerUnaryReactor* GetExpectations(grpc::CallbackServerContext* context,
                                            const corral::v1::ExpectationsRequest* request,
                                            corral::v1::ExpectationsList* response) override;
  grpc::ServerUnaryReactor* Diagnose(grpc::CallbackServerContext* context, const corral::v1::DiagnoseRequest* request,
                                     corral::v1::Diagnosis* response) override;
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext* context, const corral::v1::HistoryRequest* request,
                                    corral::v1::HistoryResponse* response) override;
  grpc::ServerWriteReactor<corral::v1::Event>* Watch(grpc::CallbackServerContext* context,
                                                     const corral::v1::WatchRequest* request) override;

 private:
  const Registry* registry_;
  FleetEvaluator* evaluator_;
  const CallAuth* auth_;
  ExpectationBook* book_;
  server::History* history_;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_FLEET_SERVICE_H_
