// The page at `/service/NAME`: replicas, the settings that differ between
// them, findings, expectations, the diagnosis, and the last hours of
// history as a timeline and a chart of live workers.
#ifndef CORRAL_SERVER_WEB_SERVICE_PAGE_H_
#define CORRAL_SERVER_WEB_SERVICE_PAGE_H_

#include <optional>
#include <set>
#include <string>

#include "corral/v1/fleet.pb.h"

namespace corral::server::web {

// What the page shows, each part the message the CLI's --json prints.
struct ServicePageData {
  std::string service;
  // Absent when no replica has reported (the service is only declared).
  std::optional<corral::v1::ServiceDetail> detail;
  std::optional<corral::v1::Diagnosis> diagnosis;
  corral::v1::ExpectationsList expectations;
  corral::v1::HistoryResponse history;
  // The window of the history shown.
  int64_t from_unix_ms = 0;
  int64_t to_unix_ms = 0;
};

// The replicas a finding singles out as unlike the others (REPLICAS_DISAGREE,
// STALE_IMAGE and CONFIG_DRIFT about one instance): the rows the page marks.
std::set<std::string> InstancesThatDiffer(const corral::v1::ServiceDetail& detail);

// The contents of <main>.
std::string RenderServiceMain(const ServicePageData& page);

// The JSON the page answers with `Accept: application/json`:
// {"service": <corral service --json> or null, "diagnosis": <corral
// diagnose --json> or null, "expectations": <corral expect show --json>,
// "history": <corral history --json>}.
std::string ServicePageJson(const ServicePageData& page);

}  // namespace corral::server::web

#endif  // CORRAL_SERVER_WEB_SERVICE_PAGE_H_
