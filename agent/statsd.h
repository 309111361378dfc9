// The statsd line protocol as Gunicorn speaks it (gunicorn/instrument/
// statsd.py): "NAME:VALUE|TYPE[|@RATE][|#TAGS]", one metric per line, one
// or more lines per datagram. Pure.
#ifndef CORRAL_AGENT_STATSD_H_
#define CORRAL_AGENT_STATSD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corral::agent {

struct StatsdMetric {
  // The name without Gunicorn's --statsd-prefix: "gunicorn.requests",
  // "gunicorn.request.status.200"; names that are not Gunicorn's keep their
  // full text.
  std::string name;
  double value = 0;
  // "c" counter, "g" gauge, "ms" timer, "h" histogram, "s" set, "d" distribution.
  std::string type;
  double sample_rate = 1;
};

// One line. InvalidArgument says what is wrong with it.
absl::StatusOr<StatsdMetric> ParseStatsdLine(absl::string_view line);

// Every line of a datagram; `malformed` counts the lines refused.
std::vector<StatsdMetric> ParseStatsdDatagram(absl::string_view datagram, int* malformed);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_STATSD_H_
