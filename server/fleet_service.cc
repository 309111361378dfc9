#include "server/fleet_service.h"

#include "absl/strings/str_cat.h"
#include "server/fleet_view.h"
#include "server/snapshot_validation.h"

namespace corral::server {
namespace {

template <typename F>
grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const CallAuth* auth, F&& build) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status status = auth->Check(*context);
  if (status.ok()) status = build();
  reactor->Finish(status);
  return reactor;
}

std::optional<std::string> Filter(const std::string& service) {
  if (service.empty()) return std::nullopt;
  return service;
}

}  // namespace

grpc::ServerUnaryReactor* FleetService::GetFleetStatus(grpc::CallbackServerContext* context,
                                                       const corral::v1::FleetStatusRequest* request,
                                                       corral::v1::FleetStatus* response) {
  return Answer(context, auth_, [&] {
    *response = evaluator_->Status();
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* FleetService::GetService(grpc::CallbackServerContext* context,
                                                   const corral::v1::ServiceRequest* request,
                                                   corral::v1::ServiceDetail* response) {
  return Answer(context, auth_, [&] {
    absl::Status valid = ValidateName("service", request->service());
    if (!valid.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(valid.message()));
    absl::StatusOr<corral::v1::ServiceDetail> detail =
        BuildServiceDetail(request->service(), registry_->Instances(request->service()), registry_->Now());
    if (!detail.ok()) return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(detail.status().message()));
    *response = *std::move(detail);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* FleetService::ListInstances(grpc::CallbackServerContext* context,
                                                      const corral::v1::InstancesRequest* request,
                                                      corral::v1::InstanceList* response) {
  return Answer(context, auth_, [&] {
    *response = BuildInstanceList(registry_->Instances(Filter(request->service())), registry_->Now());
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* FleetService::Check(grpc::CallbackServerContext* context,
                                              const corral::v1::CheckRequest* request,
                                              corral::v1::CheckResponse* response) {
  return Answer(context, auth_, [&] {
    *response = evaluator_->Check(Filter(request->service()));
    if (!request->service().empty() && response->services().empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("no instance of service '", request->service(), "' has reported"));
    }
    return grpc::Status::OK;
  });
}

}  // namespace corral::server
