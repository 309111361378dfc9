#include "server/expectations.h"

#include <algorithm>
#include <set>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/duration.h"
#include "common/edit_distance.h"
#include "gunicorn/args.h"
#include "gunicorn/settings.h"
#include "gunicorn/value_validation.h"
#include "server/snapshot_validation.h"

namespace corral::server {
namespace {

constexpr const char* kWorkloadKeys[] = {"workers", "min_workers", "replicas",       "build_revision",
                                         "command", "max_latency", "max_error_rate", "gunicorn_version"};

absl::Status Invalid(const std::string& key, const std::string& value, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("expectation ", key, "=", value, ": ", why));
}

absl::StatusOr<std::string> Count(const std::string& key, const std::string& value, int64_t minimum) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n)) return Invalid(key, value, "not a whole number");
  if (n < minimum) return Invalid(key, value, absl::StrCat("must be at least ", minimum));
  if (n > kMaxWorkersPerMaster) return Invalid(key, value, absl::StrCat("more than ", kMaxWorkersPerMaster));
  return absl::StrCat(n);
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && absl::c_all_of(s, [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

bool Printable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

absl::StatusOr<std::string> NormalizeValue(const std::string& key, const std::string& raw) {
  std::string value(absl::StripAsciiWhitespace(raw));
  if (value.size() > kMaxExpectationValueBytes) {
    return Invalid(key, value.substr(0, 32) + "...", absl::StrCat("longer than ", kMaxExpectationValueBytes, " bytes"));
  }
  if (!Printable(value)) return Invalid(key, value, "contains control characters");
  if (key == "workers" || key == "min_workers") return Count(key, value, 1);
  if (key == "replicas") return Count(key, value, 0);
  if (key == "build_revision") {
    if (value.empty() || value.size() > 128 || value.find(' ') != std::string::npos) {
      return Invalid(key, value, "a revision is 1 to 128 characters without spaces");
    }
    return value;
  }
  if (key == "max_latency") {
    absl::StatusOr<absl::Duration> d = ParseDuration(value);
    if (!d.ok()) return Invalid(key, value, std::string(d.status().message()));
    return absl::FormatDuration(*d);
  }
  if (key == "max_error_rate") {
    absl::string_view number = value;
    bool percent = absl::ConsumeSuffix(&number, "%");
    double rate = 0;
    if (!absl::SimpleAtod(number, &rate)) return Invalid(key, value, "not a rate such as 5% or 0.05");
    if (percent) rate /= 100;
    if (!(rate > 0 && rate <= 1)) return Invalid(key, value, "must be above 0% and at most 100%");
    return absl::StrCat(rate * 100, "%");
  }
  if (key == "command") {
    absl::StatusOr<std::vector<std::string>> words = gunicorn::ShlexSplit(value);
    if (!words.ok()) return Invalid(key, value, std::string(words.status().message()));
    if (words->empty()) return Invalid(key, value, "empty command");
    return value;
  }
  if (key == "gunicorn_version") {
    // Only plain release numbers: "23.0" stands for the whole line, so a
    // pre-release or a wildcard would make the match ambiguous.
    std::vector<absl::string_view> parts = absl::StrSplit(value, '.');
    bool numeric = parts.size() == 2 || parts.size() == 3;
    for (absl::string_view part : parts) numeric = numeric && AllDigits(part);
    std::optional<gunicorn::Release> release = numeric ? gunicorn::ParseRelease(value) : std::nullopt;
    if (!release) return Invalid(key, value, "not a Gunicorn release such as 23.0 (any 23.0.x) or 23.0.1");
    return parts.size() == 2 ? absl::StrCat(release->major, ".", release->minor) : release->ToString();
  }
  if (key == "app_uri") {
    if (value.empty() || value.find(' ') != std::string::npos) return Invalid(key, value, "not a WSGI application");
    return value;
  }
  // Expectations are read with the newest release's settings; a setting
  // only an older release has is found in its table.
  const gunicorn::GunicornSetting* setting = nullptr;
  for (auto t = gunicorn::AllTables().rbegin(); setting == nullptr && t != gunicorn::AllTables().rend(); ++t) {
    setting = (*t)->Find(key);
  }
  if (setting == nullptr) {
    NearestName nearest(key);
    for (const gunicorn::GunicornSetting& s : gunicorn::NewestTable()) {
      if (s.reported()) nearest.Offer(s.name);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown expectation '", key, "'",
        nearest.name().empty() ? "" : absl::StrCat(" (did you mean '", nearest.name(), "'?)"),
        "; keys are workers, min_workers, replicas, build_revision, command, app_uri, max_latency, max_error_rate, "
        "gunicorn_version and Gunicorn settings"));
  }
  if (!setting->reported()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expectation ", key, ": the agent does not observe Gunicorn's '", key, "' setting"));
  }
  absl::StatusOr<std::string> normalized = gunicorn::NormalizeSettingText(*setting, value);
  if (!normalized.ok()) return Invalid(key, value, std::string(normalized.status().message()));
  return *normalized;
}

}  // namespace

bool IsWorkloadKey(const std::string& key) {
  for (const char* k : kWorkloadKeys) {
    if (key == k) return true;
  }
  return false;
}

absl::StatusOr<corral::v1::Expectation> NormalizeExpectation(const corral::v1::Expectation& in) {
  if (in.key().empty() || in.key().size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat("expectation key '", in.key(), "' must be 1 to 64 characters"));
  }
  absl::StatusOr<std::string> value = NormalizeValue(in.key(), in.value());
  if (!value.ok()) return value.status();
  if (in.origin().size() > kMaxOriginBytes || !Printable(in.origin())) {
    return absl::InvalidArgumentError(absl::StrCat("expectation ", in.key(), ": origin is not a short printable text"));
  }
  const std::string& by = in.declared_by();
  if (!by.empty() && by != "manual" && by != "compose" && by != "dockerfile") {
    return absl::InvalidArgumentError(
        absl::StrCat("expectation ", in.key(), ": declared_by '", by, "' is not manual, compose or dockerfile"));
  }
  corral::v1::Expectation out = in;
  out.set_value(*value);
  if (by.empty()) out.set_declared_by("manual");
  return out;
}

absl::Status NormalizeServiceExpectations(corral::v1::ServiceExpectations* service) {
  absl::Status name = ValidateName("service", service->service());
  if (!name.ok()) return name;
  if (service->expectations_size() > kMaxExpectationsPerService) {
    return absl::InvalidArgumentError(
        absl::StrCat(service->service(), ": more than ", kMaxExpectationsPerService, " expectations"));
  }
  std::set<std::string> keys;
  for (corral::v1::Expectation& e : *service->mutable_expectations()) {
    absl::StatusOr<corral::v1::Expectation> normalized = NormalizeExpectation(e);
    if (!normalized.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(service->service(), ": ", normalized.status().message()));
    }
    if (!keys.insert(e.key()).second) {
      return absl::InvalidArgumentError(absl::StrCat(service->service(), ": ", e.key(), " is given twice"));
    }
    e = *std::move(normalized);
  }
  if (keys.count("workers") && keys.count("min_workers")) {
    return absl::InvalidArgumentError(
        absl::StrCat(service->service(), ": expect either workers (exact) or min_workers (a minimum), not both"));
  }
  return absl::OkStatus();
}

std::optional<bool> ReleaseMatches(const std::string& expected, const std::string& running) {
  std::optional<gunicorn::Release> want = gunicorn::ParseRelease(expected);
  std::optional<gunicorn::Release> have = gunicorn::ParseRelease(running);
  if (!want || !have) return std::nullopt;
  bool whole_line = std::count(expected.begin(), expected.end(), '.') == 1;
  if (whole_line) return want->major == have->major && want->minor == have->minor;
  return *want == *have;
}

Expectations::Expectations(corral::v1::ServiceExpectations proto) : proto_(std::move(proto)) {
  for (int i = 0; i < proto_.expectations_size(); ++i) by_key_[proto_.expectations(i).key()] = i;
}

const corral::v1::Expectation* Expectations::Find(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &proto_.expectations(it->second);
}

std::optional<int64_t> Expectations::Int(const std::string& key) const {
  const corral::v1::Expectation* e = Find(key);
  int64_t n = 0;
  if (e == nullptr || !absl::SimpleAtoi(e->value(), &n)) return std::nullopt;
  return n;
}

std::vector<const corral::v1::Expectation*> Expectations::Settings() const {
  std::vector<const corral::v1::Expectation*> out;
  for (const auto& [key, index] : by_key_) {
    if (!IsWorkloadKey(key)) out.push_back(&proto_.expectations(index));
  }
  return out;
}

std::string OriginText(const corral::v1::Expectation& expectation) {
  if (!expectation.origin().empty()) return expectation.origin();
  return "corral expect set";
}

}  // namespace corral::server
