// Gunicorn's value validation (the validate_* functions of
// gunicorn/config.py) and argparse's type conversion, applied to a value from
// any source: a flag's text, a config file's Python value, an expectation.
#ifndef CORRAL_GUNICORN_VALUE_VALIDATION_H_
#define CORRAL_GUNICORN_VALUE_VALIDATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "gunicorn/args.h"
#include "gunicorn/python_value.h"
#include "gunicorn/settings.h"

namespace corral::gunicorn {

// A validated value: what Gunicorn stores, and how Corral shows it.
struct Validated {
  std::string display;
  PyValue value;
};

// How snapshots show a Python value: "" for None, "true"/"false", lists
// comma-separated, the rest as str() would.
std::string Display(const PyValue& v);

// Validates `v` as `setting` does. `cwd` resolves a relative chdir.
absl::StatusOr<Validated> Validate(const GunicornSetting& setting, const PyValue& v, const std::string& cwd);

// argparse's `type=` conversion of a flag's text(s), before validation.
absl::StatusOr<PyValue> FlagValue(const OptionValue& option);

// Validates `text` as a value of `setting` the way Gunicorn validates a
// value from its command line (a list setting takes comma-separated items)
// and returns it as snapshots show that setting: "3", "true",
// "0.0.0.0:8000,[::]:8000". Refuses what Gunicorn would refuse, saying why.
absl::StatusOr<std::string> NormalizeSettingText(const GunicornSetting& setting, const std::string& text);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_VALUE_VALIDATION_H_
