// The Fleet gRPC service (callback API): the CLI's queries.
#ifndef CORRAL_SERVER_FLEET_SERVICE_H_
#define CORRAL_SERVER_FLEET_SERVICE_H_

#include "corral/v1/fleet.grpc.pb.h"
#include "server/call_auth.h"
#include "server/fleet_evaluator.h"
#include "server/registry.h"

namespace corral::server {

class FleetService final : public corral::v1::Fleet::CallbackService {
 public:
  FleetService(const Registry* registry, FleetEvaluator* evaluator, const CallAuth* auth)
      : registry_(registry), evaluator_(evaluator), auth_(auth) {}

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

 private:
  const Registry* registry_;
  FleetEvaluator* evaluator_;
  const CallAuth* auth_;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_FLEET_SERVICE_H_
