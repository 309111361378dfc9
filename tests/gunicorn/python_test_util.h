// Helpers for the tests of the Gunicorn config-file evaluator
// (gunicorn/python_*.h): evaluating a whole file and quoting one of its
// names, and a fake ExpressionScope for evaluating single expressions.
#ifndef CORRAL_TESTS_GUNICORN_PYTHON_TEST_UTIL_H_
#define CORRAL_TESTS_GUNICORN_PYTHON_TEST_UTIL_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "gunicorn/python_config.h"
#include "gunicorn/python_expression.h"
#include "gunicorn/python_tokens.h"

namespace corral::gunicorn::python_test {

inline PythonConfigContext Context(std::vector<std::pair<std::string, std::string>> environ = {}, int cpus = 4) {
  PythonConfigContext context;
  context.environ = std::move(environ);
  context.cpu_count = cpus;
  context.file_path = "/app/gunicorn.conf.py";
  return context;
}

inline PythonConfigResult Eval(const std::string& source, const PythonConfigContext& context = Context()) {
  absl::StatusOr<PythonConfigResult> result = EvaluatePythonConfig(source, context);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : PythonConfigResult();
}

// A value as the tests quote it: its repr(), or "<unknown: REASON>".
inline std::string ValueRepr(const PyValue& value) {
  if (value.is_unknown()) return "<unknown: " + value.text + ">";
  return value.Repr();
}

// The value a file bound to `name`, quoted; "<absent>" when unbound.
inline std::string Repr(const PythonConfigResult& r, const std::string& name) {
  auto it = r.names.find(name);
  if (it == r.names.end()) return "<absent>";
  return ValueRepr(it->second.value);
}

// The tokens of `text`, which must be one logical line.
inline std::vector<PyToken> Tokens(const std::string& text) {
  absl::StatusOr<std::vector<PyLogicalLine>> lines = TokenizePython(text);
  EXPECT_TRUE(lines.ok()) << lines.status();
  if (!lines.ok() || lines->size() != 1) {
    ADD_FAILURE() << "expected one logical line: " << text;
    return {};
  }
  return (*lines)[0].tokens;
}

// An ExpressionScope whose names and environment the test sets, and which
// records what the evaluator asked of it.
class FakeScope : public python_internal::ExpressionScope {
 public:
  std::map<std::string, PyValue> names;
  std::optional<python_internal::Environ> environ;
  // Empty while the environment is known, as the evaluator keeps it.
  std::string environ_unknown_reason;
  int cpu_count = 0;
  // When set, every charged value is over budget.
  bool budget_spent = false;

  int cpu_count_calls = 0;
  int charged_values = 0;

  const PyValue* FindName(const std::string& name) const override {
    auto it = names.find(name);
    return it == names.end() ? nullptr : &it->second;
  }
  const python_internal::Environ* KnownEnviron() const override { return environ ? &*environ : nullptr; }
  const std::string& EnvironUnknownReason() const override { return environ_unknown_reason; }
  int CpuCount() override {
    ++cpu_count_calls;
    return cpu_count;
  }
  PyValue Charged(PyValue value) override {
    ++charged_values;
    return budget_spent ? PyValue::Unknown("over budget") : value;
  }
};

// `text` evaluated as an expression_list against `scope`.
inline python_internal::ExpressionResult EvaluateText(FakeScope& scope, const std::string& text) {
  std::vector<PyToken> tokens = Tokens(text);
  return python_internal::EvaluateExpressionList(scope, tokens, 0, tokens.size());
}

}  // namespace corral::gunicorn::python_test

#endif  // CORRAL_TESTS_GUNICORN_PYTHON_TEST_UTIL_H_
