#include "common/duration.h"

#include <cctype>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace corral {

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty duration");
  absl::Duration total = absl::ZeroDuration();
  absl::string_view rest = text;
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[digits])) || rest[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid duration '", text, "': expected a number at '", rest,
                                                     "' (examples: 500ms, 5s, 1m30s, 2h)"));
    }
    double amount = 0;
    if (!absl::SimpleAtod(rest.substr(0, digits), &amount)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid duration '", text, "'"));
    }
    rest.remove_prefix(digits);
    size_t unit_len = 0;
    while (unit_len < rest.size() && std::isalpha(static_cast<unsigned char>(rest[unit_len]))) ++unit_len;
    absl::string_view unit = rest.substr(0, unit_len);
    rest.remove_prefix(unit_len);
    absl::Duration scale;
    if (unit == "ms") {
      scale = absl::Milliseconds(1);
    } else if (unit == "s") {
      scale = absl::Seconds(1);
    } else if (unit == "m") {
      scale = absl::Minutes(1);
    } else if (unit == "h") {
      scale = absl::Hours(1);
    } else if (unit == "d") {
      scale = absl::Hours(24);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid duration '", text, "': unit '", unit, "' is not one of ms, s, m, h, d"));
    }
    total += amount * scale;
  }
  if (total <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration '", text, "': must be positive"));
  }
  return total;
}

std::string FormatDurationShort(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  int64_t ms = absl::ToInt64Milliseconds(d);
  if (ms < 1000) return absl::StrCat(ms, "ms");
  int64_t s = ms / 1000;
  if (s < 60) return absl::StrCat(s, "s");
  int64_t m = s / 60;
  if (m < 60) return absl::StrFormat("%dm%02ds", m, s % 60);
  int64_t h = m / 60;
  if (h < 24) return absl::StrFormat("%dh%02dm", h, m % 60);
  return absl::StrFormat("%dd%02dh", h / 24, h % 24);
}

}  // namespace corral
