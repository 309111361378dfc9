// Human rendering of `corral expect show`, `corral diagnose`, and the
// events of `corral history` and `corral watch`.
#ifndef CORRAL_CLI_DIAGNOSIS_FORMAT_H_
#define CORRAL_CLI_DIAGNOSIS_FORMAT_H_

#include <string>

#include "absl/time/time.h"
#include "cli/text.h"
#include "corral/v1/fleet.pb.h"

namespace corral::cli {

std::string RenderExpectations(const corral::v1::ExpectationsList& list, const Style& style);

std::string RenderDiagnosis(const corral::v1::Diagnosis& diagnosis, const Style& style);

// One line per event: "2026-11-27 03:41:07  finding_opened  api/r3  ...".
// Times are shown in `zone`.
std::string RenderEvent(const corral::v1::Event& event, absl::TimeZone zone, const Style& style);
std::string RenderHistory(const corral::v1::HistoryResponse& history, absl::TimeZone zone, const Style& style);

}  // namespace corral::cli

#endif  // CORRAL_CLI_DIAGNOSIS_FORMAT_H_
