#include "cli/fleet_client.h"

#include "absl/strings/str_cat.h"
#include "common/duration.h"
#include "common/grpc_security.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace corral::cli {

std::vector<FlagSpec> ConnectionFlags() {
  return {
      {"server", "HOST:PORT", "corral-server address", "127.0.0.1:7400", "CORRAL_SERVER"},
      {"token-file", "FILE", "Bearer token for the server", "", "CORRAL_TOKEN_FILE"},
      {"tls-ca", "FILE", "Use TLS and verify the server against this CA", "", "CORRAL_TLS_CA"},
      {"tls-cert", "FILE", "Client certificate for mutual TLS", "", "CORRAL_TLS_CERT"},
      {"tls-key", "FILE", "Private key of --tls-cert", "", "CORRAL_TLS_KEY"},
      {"timeout", "DURATION", "Give up on the server after this long", "5s", "CORRAL_TIMEOUT"},
      {"json", "", "Print JSON (proto field names) instead of text", "", ""},
  };
}

absl::StatusOr<FleetClient> FleetClient::FromFlags(const Flags& flags) {
  FleetClient client;
  // CORRAL_SERVER may list several servers for agents; the CLI asks the first.
  client.address_ = flags.Get("server");
  size_t comma = client.address_.find(',');
  if (comma != std::string::npos) client.address_ = client.address_.substr(0, comma);
  absl::StatusOr<absl::Duration> timeout = ParseDuration(flags.Get("timeout"));
  if (!timeout.ok()) return absl::InvalidArgumentError(absl::StrCat("--timeout: ", timeout.status().message()));
  client.timeout_ = *timeout;
  if (!flags.Get("token-file").empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(flags.Get("token-file"));
    if (!token.ok()) return token.status();
    client.token_ = *token;
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials({flags.Get("tls-ca"), flags.Get("tls-cert"), flags.Get("tls-key")});
  if (!credentials.ok()) return credentials.status();
  client.channel_ = grpc::CreateChannel(client.address_, *credentials);
  client.stub_ = corral::v1::Fleet::NewStub(client.channel_);
  return client;
}

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> FleetClient::Call(Method method, const Request& request) const {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout_));
  if (token_) context.AddMetadata(kAuthorizationHeader, BearerValue(*token_));
  Response response;
  grpc::Status status = (stub_.get()->*method)(&context, request, &response);
  if (status.ok()) return response;
  return Translate(status);
}

absl::Status FleetClient::Translate(const grpc::Status& status) const {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(absl::StrCat("cannot reach corral-server at ", address_, ": ",
                                                 status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                                                     ? absl::StrCat("no answer within ", FormatDurationShort(timeout_))
                                                     : status.error_message()));
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::UnauthenticatedError(
          absl::StrCat("corral-server at ", address_, " refused the call: ", status.error_message()));
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(status.error_message());
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::InvalidArgumentError(status.error_message());
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("corral-server at ", address_, ": ", status.error_message()));
  }
}

absl::StatusOr<corral::v1::FleetStatus> FleetClient::FleetStatus() const {
  return Call<corral::v1::FleetStatusRequest, corral::v1::FleetStatus>(&corral::v1::Fleet::Stub::GetFleetStatus,
                                                                       corral::v1::FleetStatusRequest());
}

absl::StatusOr<corral::v1::ServiceDetail> FleetClient::Service(const std::string& name) const {
  corral::v1::ServiceRequest request;
  request.set_service(name);
  return Call<corral::v1::ServiceRequest, corral::v1::ServiceDetail>(&corral::v1::Fleet::Stub::GetService, request);
}

absl::StatusOr<corral::v1::InstanceList> FleetClient::Instances(const std::string& service) const {
  corral::v1::InstancesRequest request;
  request.set_service(service);
  return Call<corral::v1::InstancesRequest, corral::v1::InstanceList>(&corral::v1::Fleet::Stub::ListInstances, request);
}

absl::StatusOr<corral::v1::CheckResponse> FleetClient::Check(const std::string& service) const {
  corral::v1::CheckRequest request;
  request.set_service(service);
  return Call<corral::v1::CheckRequest, corral::v1::CheckResponse>(&corral::v1::Fleet::Stub::Check, request);
}

absl::StatusOr<corral::v1::ExpectationsList> FleetClient::SetExpectations(
    const corral::v1::SetExpectationsRequest& request) const {
  return Call<corral::v1::SetExpectationsRequest, corral::v1::ExpectationsList>(
      &corral::v1::Fleet::Stub::SetExpectations, request);
}

absl::StatusOr<corral::v1::ExpectationsList> FleetClient::UnsetExpectations(
    const corral::v1::UnsetExpectationsRequest& request) const {
  return Call<corral::v1::UnsetExpectationsRequest, corral::v1::ExpectationsList>(
      &corral::v1::Fleet::Stub::UnsetExpectations, request);
}

absl::StatusOr<corral::v1::ExpectationsList> FleetClient::GetExpectations(const std::string& service) const {
  corral::v1::ExpectationsRequest request;
  request.set_service(service);
  return Call<corral::v1::ExpectationsRequest, corral::v1::ExpectationsList>(&corral::v1::Fleet::Stub::GetExpectations,
                                                                             request);
}

absl::StatusOr<corral::v1::Diagnosis> FleetClient::Diagnose(const std::string& service) const {
  corral::v1::DiagnoseRequest request;
  request.set_service(service);
  return Call<corral::v1::DiagnoseRequest, corral::v1::Diagnosis>(&corral::v1::Fleet::Stub::Diagnose, request);
}

absl::StatusOr<corral::v1::HistoryResponse> FleetClient::History(const corral::v1::HistoryRequest& request) const {
  return Call<corral::v1::HistoryRequest, corral::v1::HistoryResponse>(&corral::v1::Fleet::Stub::History, request);
}

absl::StatusOr<bool> FleetClient::Serving() const {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout_));
  if (token_) context.AddMetadata(kAuthorizationHeader, BearerValue(*token_));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = grpc::health::v1::Health::NewStub(channel_)->Check(&context, request, &response);
  if (!status.ok()) return Translate(status);
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

absl::Status FleetClient::Watch(const corral::v1::WatchRequest& request,
                                const std::function<void(const corral::v1::Event&)>& on_event) const {
  grpc::ClientContext context;
  if (token_) context.AddMetadata(kAuthorizationHeader, BearerValue(*token_));
  std::unique_ptr<grpc::ClientReader<corral::v1::Event>> reader = stub_->Watch(&context, request);
  corral::v1::Event event;
  while (reader->Read(&event)) on_event(event);
  return Translate(reader->Finish());
}

}  // namespace corral::cli
