// Hook files (<hook dir>/gunicorn-PID.json), which a Gunicorn master -- or
// anything else that can write to the hook directory -- hands the agent:
// parsed (agent/hook_reader.h), matched against a master, and merged into a
// reconstructed instance as the agent does.
#include <string>

#include "absl/time/time.h"
#include "agent/hook_reader.h"
#include "fuzz/fuzz_input.h"

namespace corral::agent {
namespace {

corral::v1::GunicornInstance Reconstructed() {
  corral::v1::GunicornInstance instance;
  instance.set_app_uri("app:app");
  instance.set_gunicorn_version("23.0.0");
  instance.set_gunicorn_version_source("/usr/lib/python3/dist-packages/gunicorn/__init__.py");
  for (const auto& [name, value, source] : {std::tuple{"workers", "3", "cmdline"},
                                            {"bind", "0.0.0.0:8000", "cmdline"},
                                            {"timeout", "30", "default"},
                                            {"worker_class", "sync", "default"}}) {
    corral::v1::Setting& s = (*instance.mutable_config())[name];
    s.set_value(value);
    s.set_source(source);
  }
  instance.add_warnings()->set_code("GUNICORN_VERSION_UNKNOWN");
  instance.add_warnings()->set_code("SETTINGS_UNKNOWABLE");
  return instance;
}

}  // namespace
}  // namespace corral::agent

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::agent;
  absl::StatusOr<HookReport> report = ParseHookReport(corral::fuzz::AsText(data, size));
  if (!report.ok()) return 0;
  CORRAL_FUZZ_CHECK(report->version == kHookReportVersion);
  CORRAL_FUZZ_CHECK(report->pid > 0);
  (void)MatchHookReport(*report, report->pid, absl::FromUnixSeconds(1'700'000'000),
                        absl::FromUnixSeconds(1'699'999'000));
  (void)MatchHookReport(*report, report->pid, absl::FromUnixSeconds(1'700'000'000), absl::InfinitePast());
  corral::v1::GunicornInstance instance = Reconstructed();
  ApplyHookReport(*report, instance);
  for (const auto& [name, value] : report->settings) {
    // The report's own worker_class and app_uri fields win over the
    // settings map's.
    if (name == "worker_class" && !report->worker_class.empty()) continue;
    if (name == "app_uri" && !report->app_uri.empty()) continue;
    auto it = instance.config().find(name);
    CORRAL_FUZZ_CHECK(it != instance.config().end() && it->second.value() == value);
  }
  return 0;
}
