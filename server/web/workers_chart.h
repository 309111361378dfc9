// The service page's chart of live workers per replica over time, built
// from the history's events (workers_changed with before/after; an
// instance going offline breaks its line) and closed by the replicas'
// current counts. Pure: messages in, points and SVG out.
#ifndef CORRAL_SERVER_WEB_WORKERS_CHART_H_
#define CORRAL_SERVER_WEB_WORKERS_CHART_H_

#include <cstdint>
#include <string>
#include <vector>

#include "corral/v1/fleet.pb.h"

namespace corral::server::web {

// A replica's live workers as steps: from each point's time until the
// next one, the count was `workers`; -1 while the replica was not online
// (or its count was not known).
struct WorkerStep {
  int64_t unix_ms = 0;
  int workers = -1;
};

struct WorkerSeries {
  std::string instance;
  std::vector<WorkerStep> steps;  // time ascending, the first at the window's start
};

// One series per replica that is in `replicas` or in `events` (oldest
// first), in name order, covering [from_ms, to_ms].
std::vector<WorkerSeries> WorkerSeriesOf(const corral::v1::HistoryResponse& events,
                                         const std::vector<corral::v1::InstanceSummary>& replicas, int64_t from_ms,
                                         int64_t to_ms);

// An inline <svg id="workers-chart"> with a legend; times on the axis in
// UTC. Series past the eighth share colours.
std::string RenderWorkersChart(const std::vector<WorkerSeries>& series, int64_t from_ms, int64_t to_ms);

}  // namespace corral::server::web

#endif  // CORRAL_SERVER_WEB_WORKERS_CHART_H_
