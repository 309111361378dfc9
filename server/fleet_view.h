// Answers to the CLI's questions about one service or instance, built from
// the registry's views and the rules. Pure: views and a time in, messages
// out. Fleet-wide answers come from FleetEvaluator, which keeps them
// current.
#ifndef CORRAL_SERVER_FLEET_VIEW_H_
#define CORRAL_SERVER_FLEET_VIEW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "corral/v1/fleet.pb.h"
#include "server/registry.h"
#include "server/rules.h"

namespace corral::server {

// NotFound naming the service when it has no instance.
absl::StatusOr<corral::v1::ServiceDetail> BuildServiceDetail(const std::string& service,
                                                             const std::vector<InstanceView>& views, absl::Time now,
                                                             const Expectations& expected = Expectations());

corral::v1::InstanceList BuildInstanceList(const std::vector<InstanceView>& views, absl::Time now);

// One instance's row.
corral::v1::InstanceSummary Summarize(const InstanceView& view, absl::Time now);

// One service's row, from its instances and their evaluation.
corral::v1::ServiceSummary Summarize(const std::string& service, absl::Span<const InstanceView> instances,
                                     const ServiceEvaluation& evaluation);

}  // namespace corral::server

#endif  // CORRAL_SERVER_FLEET_VIEW_H_
