#include "server/fleet_service.h"

#include "absl/strings/str_cat.h"
#include "server/event_stream.h"
#include "server/raw_messages.h"

namespace corral::server {
namespace {

// absl's status codes are gRPC's, number for number.
grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

template <typename Response>
grpc::Status Answer(absl::StatusOr<Response> answer, Response* response) {
  if (!answer.ok()) return ToGrpc(answer.status());
  *response = *std::move(answer);
  return grpc::Status::OK;
}

// A stream that ends at once, for a Watch refused before it starts.
class Refused : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit Refused(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

grpc::Status Malformed(const google::protobuf::Message& expected) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat("malformed ", expected.GetDescriptor()->name()));
}

}  // namespace

grpc::Status FleetService::FleetStatusOf(const corral::v1::FleetStatusRequest& request,
                                         corral::v1::FleetStatus* response) {
  *response = queries_->Status();
  return grpc::Status::OK;
}

grpc::Status FleetService::ServiceOf(const corral::v1::ServiceRequest& request, corral::v1::ServiceDetail* response) {
  return Answer(queries_->Service(request), response);
}

grpc::Status FleetService::InstancesOf(const corral::v1::InstancesRequest& request,
                                       corral::v1::InstanceList* response) {
  *response = queries_->Instances(request);
  return grpc::Status::OK;
}

grpc::Status FleetService::CheckOf(const corral::v1::CheckRequest& request, corral::v1::CheckResponse* response) {
  return Answer(queries_->Check(request), response);
}

grpc::Status FleetService::Set(const corral::v1::SetExpectationsRequest& request,
                               corral::v1::ExpectationsList* response) {
  return Answer(queries_->SetExpectations(request), response);
}

grpc::Status FleetService::Unset(const corral::v1::UnsetExpectationsRequest& request,
                                 corral::v1::ExpectationsList* response) {
  return Answer(queries_->UnsetExpectations(request), response);
}

grpc::Status FleetService::ExpectationsOf(const corral::v1::ExpectationsRequest& request,
                                          corral::v1::ExpectationsList* response) {
  return Answer(queries_->Expectations(request), response);
}

grpc::Status FleetService::DiagnosisOf(const corral::v1::DiagnoseRequest& request, corral::v1::Diagnosis* response) {
  return Answer(queries_->Diagnose(request), response);
}

grpc::Status FleetService::HistoryOf(const corral::v1::HistoryRequest& request, corral::v1::HistoryResponse* response) {
  return Answer(queries_->History(request), response);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* FleetService::Watch(grpc::CallbackServerContext* context, const Raw* raw) {
  grpc::Status status = auth_->Check(*context);
  corral::v1::WatchRequest request;
  if (status.ok() && !ParseRaw(*raw, &request)) status = Malformed(request);
  absl::StatusOr<server::History*> source = absl::UnknownError("");
  if (status.ok()) {
    source = queries_->WatchSource(request);
    status = ToGrpc(source.status());
  }
  if (!status.ok()) return new Refused(std::move(status));
  return new EventStream(*source, request);
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* FleetService::Unary(grpc::CallbackServerContext* context, const Raw* raw, Raw* out,
                                              grpc::Status (FleetService::*handler)(const Request&, Response*)) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status status = auth_->Check(*context);
  Request request;
  if (status.ok() && !ParseRaw(*raw, &request)) status = Malformed(request);
  Response response;
  if (status.ok()) status = (this->*handler)(request, &response);
  if (status.ok()) SerializeRaw(response, out);
  reactor->Finish(status);
  return reactor;
}

grpc::ServerUnaryReactor* FleetService::GetFleetStatus(grpc::CallbackServerContext* context, const Raw* request,
                                                       Raw* response) {
  return Unary(context, request, response, &FleetService::FleetStatusOf);
}
grpc::ServerUnaryReactor* FleetService::GetService(grpc::CallbackServerContext* context, const Raw* request,
                                                   Raw* response) {
  return Unary(context, request, response, &FleetService::ServiceOf);
}
grpc::ServerUnaryReactor* FleetService::ListInstances(grpc::CallbackServerContext* context, const Raw* request,
                                                      Raw* response) {
  return Unary(context, request, response, &FleetService::InstancesOf);
}
grpc::ServerUnaryReactor* FleetService::Check(grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Unary(context, request, response, &FleetService::CheckOf);
}
grpc::ServerUnaryReactor* FleetService::SetExpectations(grpc::CallbackServerContext* context, const Raw* request,
                                                        Raw* response) {
  return Unary(context, request, response, &FleetService::Set);
}
grpc::ServerUnaryReactor* FleetService::UnsetExpectations(grpc::CallbackServerContext* context, const Raw* request,
                                                          Raw* response) {
  return Unary(context, request, response, &FleetService::Unset);
}
grpc::ServerUnaryReactor* FleetService::GetExpectations(grpc::CallbackServerContext* context, const Raw* request,
                                                        Raw* response) {
  return Unary(context, request, response, &FleetService::ExpectationsOf);
}
grpc::ServerUnaryReactor* FleetService::Diagnose(grpc::CallbackServerContext* context, const Raw* request,
                                                 Raw* response) {
  return Unary(context, request, response, &FleetService::DiagnosisOf);
}
grpc::ServerUnaryReactor* FleetService::History(grpc::CallbackServerContext* context, const Raw* request,
                                                Raw* response) {
  return Unary(context, request, response, &FleetService::HistoryOf);
}

}  // namespace corral::server
