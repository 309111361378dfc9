// Gunicorn config files (Python), which the agent reads from inside other
// containers and evaluates statically (gunicorn/python_config.h, with
// python_tokens.h and python_value.h). Every top-level name that is a
// setting is then validated as Gunicorn validates it and shown as snapshots
// show values, as the loader does.
#include <string>
#include <utility>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "gunicorn/python_config.h"
#include "gunicorn/python_tokens.h"
#include "gunicorn/settings.h"
#include "gunicorn/value_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::gunicorn;
  absl::string_view source = corral::fuzz::AsText(data, size);
  PythonConfigContext context;
  context.environ = std::vector<std::pair<std::string, std::string>>{
      {"WEB_CONCURRENCY", "4"}, {"PORT", "8000"}, {"GUNICORN_TIMEOUT", "120"}, {"HOME", "/home/app"}, {"EMPTY", ""}};
  context.cpu_count = 2;
  context.file_path = "/srv/app/gunicorn.conf.py";
  absl::StatusOr<PythonConfigResult> result = EvaluatePythonConfig(source, context);
  if (!result.ok()) return 0;
  const SettingsTable& table = NewestTable();
  for (const auto& [name, binding] : result->names) {
    CORRAL_FUZZ_CHECK(binding.line >= 0);
    (void)binding.value.Truthy();
    (void)binding.value.Repr();
    (void)Display(binding.value);
    if (const GunicornSetting* setting = table.Find(name)) {
      if (absl::StatusOr<Validated> v = Validate(*setting, binding.value, "/srv/app"); v.ok()) {
        CORRAL_FUZZ_CHECK(!v->value.is_unknown());
      }
    }
  }
  // The same text without an environment or a CPU count, as for a master
  // whose environment setproctitle erased.
  PythonConfigContext erased;
  erased.environ_unknown_reason = "erased by setproctitle";
  (void)EvaluatePythonConfig(source, erased);
  return 0;
}
