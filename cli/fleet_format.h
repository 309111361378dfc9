// Human rendering of the fleet answers: `corral status`, `service`,
// `instances` and `check`. On Kubernetes a service reads
// "namespace/service", its instances are pods, and an instance's host is its
// node.
#ifndef CORRAL_CLI_FLEET_FORMAT_H_
#define CORRAL_CLI_FLEET_FORMAT_H_

#include <string>

#include "cli/text.h"
#include "corral/v1/fleet.pb.h"

namespace corral::cli {

std::string RenderFleetStatus(const corral::v1::FleetStatus& status, const Style& style);
std::string RenderServiceDetail(const corral::v1::ServiceDetail& detail, const Style& style);
std::string RenderInstances(const corral::v1::InstanceList& list, const Style& style);
// `fail_on` is the threshold the summary line counts against.
std::string RenderCheck(const corral::v1::CheckResponse& check, const std::string& fail_on, const Style& style);

// A status, state, severity or verdict word, coloured by what it means.
std::string Colored(const std::string& word, const Style& style);

// "3,3,1" with offline replicas shown as "-".
std::string LiveWorkersText(const corral::v1::ServiceSummary& summary);

}  // namespace corral::cli

#endif  // CORRAL_CLI_FLEET_FORMAT_H_
