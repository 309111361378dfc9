// The page at `/`: one row per service, worst first.
#ifndef CORRAL_SERVER_WEB_FLEET_PAGE_H_
#define CORRAL_SERVER_WEB_FLEET_PAGE_H_

#include <string>

#include "corral/v1/fleet.pb.h"

namespace corral::server::web {

// The services in the order the page lists them: critical, then degraded,
// then the rest; more findings first; then by name.
std::vector<const corral::v1::ServiceSummary*> WorstFirst(const corral::v1::FleetStatus& status);

// The contents of <main> for `/`. `expectations` supplies the expected
// workers column; `filter` (the ?q= of the page, for readers without the
// script) keeps only services whose name contains it.
std::string RenderFleetMain(const corral::v1::FleetStatus& status, const corral::v1::ExpectationsList& expectations,
                            const std::string& filter);

}  // namespace corral::server::web

#endif  // CORRAL_SERVER_WEB_FLEET_PAGE_H_
