// Python's operators on the values of the config-file subset: binary and
// unary arithmetic, bitwise operators, comparisons, `%` formatting and
// str.format. Every function is pure and total: an operation Python would
// reject, or one the subset does not evaluate, yields an Unknown value whose
// text says why ("TypeError: ...", "integer overflow"), never an exception.
// Values they build stay under kMaxValueSize.
//
// Internal to the config-file evaluator (python_config.h); declared here so
// the expression evaluator and the tests can reach them.
#ifndef CORRAL_GUNICORN_PYTHON_OPERATORS_H_
#define CORRAL_GUNICORN_PYTHON_OPERATORS_H_

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gunicorn/python_value.h"

namespace corral::gunicorn::python_internal {

// Bounds on the values the evaluator builds for one file. Values count their
// text's bytes plus kValueCost per value, nested values included. Without a
// bound a few short lines ask for exponential memory (`a = "x" * 4096` then
// `a = a * 4096`, or `a += a` over and over). Gunicorn settings are far
// smaller; a literal in the file may still be as large as the file.
inline constexpr size_t kValueCost = 32;
inline constexpr size_t kMaxValueSize = size_t{1} << 20;

// The size of `v` as the bounds count it, or any number above `limit` once
// it is known to exceed it.
size_t ValueSize(const PyValue& v, size_t limit);

// The Unknown value that stands for one larger than kMaxValueSize.
PyValue TooLarge();

// The first Unknown among `values`, or nullptr.
const PyValue* FirstUnknown(std::initializer_list<const PyValue*> values);

// A number (int, bool or float) as a double.
double AsDouble(const PyValue& v);

// `a op b` for op one of + - * / // % ** | & ^ << >> (and @, which is
// never evaluated). Integers are 64-bit: results beyond are "integer
// overflow". `str % args` is PercentFormat.
PyValue ApplyBinary(absl::string_view op, const PyValue& a, const PyValue& b);

// `op operand` for op one of - + ~.
PyValue ApplyUnary(absl::string_view op, const PyValue& operand);

// `a op b` for op one of == != < <= > >= is `is not` in `not in`. nullopt
// when the subset cannot decide; then *why holds the reason when there is
// one (it may stay empty). `in` is decided for str, list, tuple and dict
// containers; membership in os.environ depends on the file's environment
// and is the expression evaluator's business.
std::optional<bool> CompareValues(absl::string_view op, const PyValue& a, const PyValue& b, std::string* why);

// `format % args`: %s, %r, %d, %i and %%; `args` is a tuple of arguments or
// a single one.
PyValue PercentFormat(const std::string& format, const PyValue& args);

// format.format(*args, **kwargs) with {} / {0} / {name} fields; conversions,
// format specs, attribute and index fields are not evaluated.
PyValue BraceFormat(const std::string& format, const std::vector<PyValue>& args,
                    const std::vector<std::pair<std::string, PyValue>>& kwargs);

}  // namespace corral::gunicorn::python_internal

#endif  // CORRAL_GUNICORN_PYTHON_OPERATORS_H_
