// Evaluation of one expression of a Gunicorn config file (Python) over a
// range of its tokens: literals, f-strings, names, attributes, subscripts,
// calls of the builtins python_builtins.h knows, `and`/`or`/`not`, ternaries,
// chained comparisons and the operators of python_operators.h.
//
// Evaluation is pure: both sides of `and`/`or` and of a ternary are
// evaluated and the right one chosen. What cannot be evaluated becomes an
// Unknown value carrying the reason; syntax the evaluator does not parse
// (lambda, comprehensions, slices, star arguments, nesting deeper than
// Python allows) is reported as a syntax error beside the value. The
// expression sees the file's names and the master's environment only
// through an ExpressionScope.
//
// Internal to the config-file evaluator (python_config.h); declared here so
// the statement evaluator and the tests can reach them.
#ifndef CORRAL_GUNICORN_PYTHON_EXPRESSION_H_
#define CORRAL_GUNICORN_PYTHON_EXPRESSION_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gunicorn/python_tokens.h"
#include "gunicorn/python_value.h"

namespace corral::gunicorn::python_internal {

// os.environ's entries, in order.
using Environ = std::vector<std::pair<std::string, std::string>>;

// What an expression can see of the file being evaluated and of the master
// it runs in. The statement evaluator implements it; tests fake it.
class ExpressionScope {
 public:
  virtual ~ExpressionScope() = default;

  // The value the file has bound to `name` so far, or nullptr.
  virtual const PyValue* FindName(const std::string& name) const = 0;

  // os.environ as the file sees it at this point, or nullptr when unknown;
  // then EnvironUnknownReason() says why ("erased by setproctitle", ...).
  virtual const Environ* KnownEnviron() const = 0;
  virtual const std::string& EnvironUnknownReason() const = 0;

  // What os.cpu_count() returns in the master, 0 when unknown. Called for
  // each os.cpu_count() or multiprocessing.cpu_count() evaluated, so the
  // scope can record that the file used it.
  virtual int CpuCount() = 0;

  // `value`, counted against what one file may evaluate in all; an Unknown
  // value instead once the file has evaluated more than that.
  virtual PyValue Charged(PyValue value) = 0;
};

// The outcome of evaluating one expression.
struct ExpressionResult {
  // The value, or an Unknown one saying why it cannot be evaluated. After a
  // syntax error: what the parser had built, normally Unknown.
  PyValue value;
  // Set when the tokens are not an expression the evaluator parses
  // ("expected ')'", "lambda is not evaluated").
  std::optional<std::string> syntax_error;
  // True when the expression ended before the range did (`1 2`); never
  // together with a syntax error.
  bool trailing_tokens = false;

  // Parsed, and every token of the range used.
  bool complete() const { return !syntax_error && !trailing_tokens; }
};

// Evaluates tokens[begin, end) as one `expression`, as in an `if` header or
// a subscript. Requires begin <= end <= tokens.size().
ExpressionResult EvaluateExpression(ExpressionScope& scope, const std::vector<PyToken>& tokens, size_t begin,
                                    size_t end);

// The same for an `expression_list`, as on the right of `=`: top-level
// commas make a tuple.
ExpressionResult EvaluateExpressionList(ExpressionScope& scope, const std::vector<PyToken>& tokens, size_t begin,
                                        size_t end);

// What `name` means in an expression: the value the file bound (charged to
// the scope), else a builtin function (`int`, `len`, ...), else an Unknown
// value saying the name is not defined.
PyValue LookUpName(ExpressionScope& scope, const std::string& name);

}  // namespace corral::gunicorn::python_internal

#endif  // CORRAL_GUNICORN_PYTHON_EXPRESSION_H_
