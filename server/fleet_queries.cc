#include "server/fleet_queries.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "server/diagnose.h"
#include "server/fleet_view.h"
#include "server/snapshot_validation.h"

namespace corral::server {
namespace {

constexpr int kDefaultHistoryLimit = 1000;
constexpr int kMaxHistoryLimit = 100000;

absl::Status Unimplemented(const char* what) {
  return absl::UnimplementedError(absl::StrCat("this server keeps no ", what));
}

std::optional<std::string> Filter(const std::string& service) {
  if (service.empty()) return std::nullopt;
  return service;
}

}  // namespace

corral::v1::FleetStatus FleetQueries::Status() const { return evaluator_->Status(); }

absl::StatusOr<corral::v1::ServiceDetail> FleetQueries::Service(const corral::v1::ServiceRequest& request) const {
  absl::Status valid = ValidateName("service", request.service());
  if (!valid.ok()) return valid;
  std::shared_ptr<const server::Expectations> expected = book_ != nullptr ? book_->For(request.service()) : nullptr;
  absl::StatusOr<corral::v1::ServiceDetail> detail =
      BuildServiceDetail(request.service(), registry_->Instances(request.service()), registry_->Now(),
                         expected ? *expected : server::Expectations());
  if (!detail.ok()) return absl::NotFoundError(detail.status().message());
  return detail;
}

corral::v1::InstanceList FleetQueries::Instances(const corral::v1::InstancesRequest& request) const {
  return BuildInstanceList(registry_->Instances(Filter(request.service())), registry_->Now());
}

absl::StatusOr<corral::v1::CheckResponse> FleetQueries::Check(const corral::v1::CheckRequest& request) const {
  corral::v1::CheckResponse response = evaluator_->Check(Filter(request.service()));
  if (!request.service().empty() && response.services().empty()) {
    return absl::NotFoundError(absl::StrCat("no instance of service '", request.service(), "' has reported"));
  }
  return response;
}

absl::StatusOr<corral::v1::ExpectationsList> FleetQueries::SetExpectations(
    const corral::v1::SetExpectationsRequest& request) {
  if (book_ == nullptr) return Unimplemented("expectations");
  if (request.services().empty()) return absl::InvalidArgumentError("no service given");
  std::vector<corral::v1::Event> events;
  absl::StatusOr<corral::v1::ExpectationsList> stored = book_->Set(request, registry_->Now(), &events);
  if (stored.ok() && history_ != nullptr) history_->Record(std::move(events));
  return stored;
}

absl::StatusOr<corral::v1::ExpectationsList> FleetQueries::UnsetExpectations(
    const corral::v1::UnsetExpectationsRequest& request) {
  if (book_ == nullptr) return Unimplemented("expectations");
  std::vector<corral::v1::Event> events;
  absl::StatusOr<corral::v1::ExpectationsList> stored = book_->Unset(request, registry_->Now(), &events);
  if (stored.ok() && history_ != nullptr) history_->Record(std::move(events));
  return stored;
}

absl::StatusOr<corral::v1::ExpectationsList> FleetQueries::Expectations(
    const corral::v1::ExpectationsRequest& request) const {
  if (book_ == nullptr) return Unimplemented("expectations");
  return book_->Get(request.service());
}

absl::StatusOr<corral::v1::Diagnosis> FleetQueries::Diagnose(const corral::v1::DiagnoseRequest& request) const {
  absl::Status valid = ValidateName("service", request.service());
  if (!valid.ok()) return valid;
  std::shared_ptr<const server::Expectations> expected = book_ != nullptr ? book_->For(request.service()) : nullptr;
  auto [views, version] = registry_->ServiceSnapshot(request.service());
  if (views.empty() && expected == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no instance of service '", request.service(), "' has reported and nothing is expected of it"));
  }
  std::vector<corral::v1::Finding> findings =
      evaluator_->Findings(request.service()).value_or(std::vector<corral::v1::Finding>());
  return server::Diagnose(request.service(), views, expected ? *expected : server::Expectations(), findings,
                          registry_->Now());
}

absl::StatusOr<corral::v1::HistoryResponse> FleetQueries::History(const corral::v1::HistoryRequest& request) const {
  if (history_ == nullptr) return Unimplemented("history");
  if (!request.service().empty()) {
    absl::Status valid = ValidateName("service", request.service());
    if (!valid.ok()) return valid;
  }
  if (request.limit() < 0 || request.limit() > kMaxHistoryLimit) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be between 1 and ", kMaxHistoryLimit));
  }
  EventQuery query;
  query.service = request.service();
  query.since_unix_ms = request.since_unix_ms();
  query.limit = request.limit() == 0 ? kDefaultHistoryLimit : request.limit();
  bool truncated = false;
  absl::StatusOr<std::vector<corral::v1::Event>> events = history_->Query(query, &truncated);
  if (!events.ok()) return events.status();
  corral::v1::HistoryResponse response;
  response.mutable_events()->Reserve(static_cast<int>(events->size()));
  for (corral::v1::Event& e : *events) *response.add_events() = std::move(e);
  response.set_truncated(truncated);
  return response;
}

absl::StatusOr<server::History*> FleetQueries::WatchSource(const corral::v1::WatchRequest& request) const {
  if (history_ == nullptr) return Unimplemented("history");
  if (!request.service().empty()) {
    absl::Status valid = ValidateName("service", request.service());
    if (!valid.ok()) return valid;
  }
  return history_;
}

}  // namespace corral::server
