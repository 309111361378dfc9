#include "agent/statsd.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace corral::agent {
namespace {

// Bounds that keep every count derived from a line (value / sample rate)
// well inside 64-bit integers; no Gunicorn metric comes near them.
constexpr double kMaxMagnitude = 1e12;
constexpr double kMinSampleRate = 1e-6;

}  // namespace

absl::StatusOr<StatsdMetric> ParseStatsdLine(absl::string_view line) {
  line = absl::StripTrailingAsciiWhitespace(line);
  size_t colon = line.rfind(':', line.find('|'));
  size_t bar = line.find('|');
  if (colon == absl::string_view::npos || bar == absl::string_view::npos || colon == 0 || colon > bar) {
    return absl::InvalidArgumentError("not NAME:VALUE|TYPE");
  }
  StatsdMetric m;
  absl::string_view name = line.substr(0, colon);
  // Gunicorn puts its --statsd-prefix (ending in ".") before "gunicorn.".
  size_t gunicorn = name.find("gunicorn.");
  if (gunicorn != absl::string_view::npos && (gunicorn == 0 || name[gunicorn - 1] == '.')) {
    name = name.substr(gunicorn);
  }
  m.name = std::string(name);
  if (!absl::SimpleAtod(line.substr(colon + 1, bar - colon - 1), &m.value)) {
    return absl::InvalidArgumentError("the value is not a number");
  }
  if (!std::isfinite(m.value) || std::fabs(m.value) > kMaxMagnitude) {
    return absl::InvalidArgumentError("the value is not a finite number within 1e12");
  }
  std::vector<absl::string_view> fields = absl::StrSplit(line.substr(bar + 1), '|');
  m.type = std::string(fields[0]);
  if (m.type != "c" && m.type != "g" && m.type != "ms" && m.type != "h" && m.type != "s" && m.type != "d") {
    return absl::InvalidArgumentError(absl::StrCat("unknown type '", m.type, "'"));
  }
  for (size_t i = 1; i < fields.size(); ++i) {
    if (absl::ConsumePrefix(&fields[i], "@")) {
      if (!absl::SimpleAtod(fields[i], &m.sample_rate) || !(m.sample_rate > 0 && m.sample_rate <= 1)) {
        return absl::InvalidArgumentError("the sample rate is not in (0, 1]");
      }
      if (m.sample_rate < kMinSampleRate) return absl::InvalidArgumentError("the sample rate is below 1e-6");
    } else if (!absl::StartsWith(fields[i], "#")) {
      return absl::InvalidArgumentError("unknown field after the type");
    }
  }
  return m;
}

std::vector<StatsdMetric> ParseStatsdDatagram(absl::string_view datagram, int* malformed) {
  std::vector<StatsdMetric> out;
  for (absl::string_view line : absl::StrSplit(datagram, '\n', absl::SkipWhitespace())) {
    absl::StatusOr<StatsdMetric> m = ParseStatsdLine(line);
    if (m.ok()) {
      out.push_back(*std::move(m));
    } else {
      ++*malformed;
    }
  }
  return out;
}

}  // namespace corral::agent
