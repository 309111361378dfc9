#include "server/fleet_service.h"

#include "absl/strings/str_cat.h"
#include "server/diagnose.h"
#include "server/event_stream.h"
#include "server/fleet_view.h"
#include "server/raw_messages.h"
#include "server/snapshot_validation.h"

namespace corral::server {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  grpc::StatusCode code;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return grpc::Status::OK;
    case absl::StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case absl::StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    default:
      code = grpc::StatusCode::INTERNAL;
      break;
  }
  return grpc::Status(code, std::string(status.message()));
}

grpc::Status Unimplemented(const char* what) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, absl::StrCat("this server keeps no ", what));
}

constexpr int kDefaultHistoryLimit = 1000;
constexpr int kMaxHistoryLimit = 100000;

// A stream that ends at once, for a Watch refused before it starts.
class Refused : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit Refused(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

grpc::Status Malformed(const google::protobuf::Message& expected) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat("malformed ", expected.GetDescriptor()->name()));
}

std::optional<std::string> Filter(const std::string& service) {
  if (service.empty()) return std::nullopt;
  return service;
}

}  // namespace

grpc::Status FleetService::FleetStatusOf(const corral::v1::FleetStatusRequest& request,
                                         corral::v1::FleetStatus* response) {
  *response = evaluator_->Status();
  return grpc::Status::OK;
}

grpc::Status FleetService::ServiceOf(const corral::v1::ServiceRequest& request, corral::v1::ServiceDetail* response) {
  absl::Status valid = ValidateName("service", request.service());
  if (!valid.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(valid.message()));
  std::shared_ptr<const Expectations> expected = book_ != nullptr ? book_->For(request.service()) : nullptr;
  absl::StatusOr<corral::v1::ServiceDetail> detail =
      BuildServiceDetail(request.service(), registry_->Instances(request.service()), registry_->Now(),
                         expected ? *expected : Expectations());
  if (!detail.ok()) return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(detail.status().message()));
  *response = *std::move(detail);
  return grpc::Status::OK;
}

grpc::Status FleetService::InstancesOf(const corral::v1::InstancesRequest& request,
                                       corral::v1::InstanceList* response) {
  *response = BuildInstanceList(registry_->Instances(Filter(request.service())), registry_->Now());
  return grpc::Status::OK;
}

grpc::Status FleetService::CheckOf(const corral::v1::CheckRequest& request, corral::v1::CheckResponse* response) {
  *response = evaluator_->Check(Filter(request.service()));
  if (!request.service().empty() && response->services().empty()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no instance of service '", request.service(), "' has reported"));
  }
  return grpc::Status::OK;
}

grpc::Status FleetService::Set(const corral::v1::SetExpectationsRequest& request,
                               corral::v1::ExpectationsList* response) {
  if (book_ == nullptr) return Unimplemented("expectations");
  if (request.services().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no service given");
  }
  std::vector<corral::v1::Event> events;
  absl::StatusOr<corral::v1::ExpectationsList> stored = book_->Set(request, registry_->Now(), &events);
  if (!stored.ok()) return ToGrpc(stored.status());
  if (history_ != nullptr) history_->Record(std::move(events));
  *response = *std::move(stored);
  return grpc::Status::OK;
}

grpc::Status FleetService::Unset(const corral::v1::UnsetExpectationsRequest& request,
                                 corral::v1::ExpectationsList* response) {
  if (book_ == nullptr) return Unimplemented("expectations");
  std::vector<corral::v1::Event> events;
  absl::StatusOr<corral::v1::ExpectationsList> stored = book_->Unset(request, registry_->Now(), &events);
  if (!stored.ok()) return ToGrpc(stored.status());
  if (history_ != nullptr) history_->Record(std::move(events));
  *response = *std::move(stored);
  return grpc::Status::OK;
}

grpc::Status FleetService::ExpectationsOf(const corral::v1::ExpectationsRequest& request,
                                          corral::v1::ExpectationsList* response) {
  if (book_ == nullptr) return Unimplemented("expectations");
  *response = book_->Get(request.service());
  return grpc::Status::OK;
}

grpc::Status FleetService::DiagnosisOf(const corral::v1::DiagnoseRequest& request, corral::v1::Diagnosis* response) {
  absl::Status valid = ValidateName("service", request.service());
  if (!valid.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(valid.message()));
  std::shared_ptr<const Expectations> expected = book_ != nullptr ? book_->For(request.service()) : nullptr;
  auto [views, version] = registry_->ServiceSnapshot(request.service());
  if (views.empty() && expected == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no instance of service '", request.service(),
                                                                  "' has reported and nothing is expected of it"));
  }
  std::vector<corral::v1::Finding> findings =
      evaluator_->Findings(request.service()).value_or(std::vector<corral::v1::Finding>());
  *response =
      server::Diagnose(request.service(), views, expected ? *expected : Expectations(), findings, registry_->Now());
  return grpc::Status::OK;
}

grpc::Status FleetService::HistoryOf(const corral::v1::HistoryRequest& request, corral::v1::HistoryResponse* response) {
  if (history_ == nullptr) return Unimplemented("history");
  if (!request.service().empty()) {
    absl::Status valid = ValidateName("service", request.service());
    if (!valid.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(valid.message()));
  }
  if (request.limit() < 0 || request.limit() > kMaxHistoryLimit) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("limit must be between 1 and ", kMaxHistoryLimit));
  }
  EventQuery query;
  query.service = request.service();
  query.since_unix_ms = request.since_unix_ms();
  query.limit = request.limit() == 0 ? kDefaultHistoryLimit : request.limit();
  bool truncated = false;
  absl::StatusOr<std::vector<corral::v1::Event>> events = history_->Query(query, &truncated);
  if (!events.ok()) return ToGrpc(events.status());
  response->mutable_events()->Reserve(static_cast<int>(events->size()));
  for (corral::v1::Event& e : *events) *response->add_events() = std::move(e);
  response->set_truncated(truncated);
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* FleetService::Watch(grpc::CallbackServerContext* context, const Raw* raw) {
  grpc::Status status = auth_->Check(*context);
  corral::v1::WatchRequest request;
  if (status.ok() && !ParseRaw(*raw, &request)) status = Malformed(request);
  if (status.ok() && history_ == nullptr) status = Unimplemented("history");
  if (status.ok() && !request.service().empty()) {
    absl::Status valid = ValidateName("service", request.service());
    if (!valid.ok()) status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(valid.message()));
  }
  if (!status.ok()) return new Refused(std::move(status));
  return new EventStream(history_, request);
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
