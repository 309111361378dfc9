#include "gunicorn/python_operators.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "tests/gunicorn/python_test_util.h"

namespace corral::gunicorn::python_internal {
namespace {

using python_test::Eval;
using python_test::Repr;
using python_test::ValueRepr;

std::string Binary(absl::string_view op, const PyValue& a, const PyValue& b) {
  return ValueRepr(ApplyBinary(op, a, b));
}

// CompareValues as "True", "False" or "<undecided: WHY>".
std::string Compared(absl::string_view op, const PyValue& a, const PyValue& b) {
  std::string why;
  std::optional<bool> result = CompareValues(op, a, b, &why);
  if (!result) return "<undecided: " + why + ">";
  return *result ? "True" : "False";
}

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinInt = std::numeric_limits<int64_t>::min();

TEST(ApplyBinary, ArithmeticFollowsPython) {
  EXPECT_EQ(Binary("+", PyValue::Int(2), PyValue::Bool(true)), "3");
  EXPECT_EQ(Binary("/", PyValue::Int(3), PyValue::Int(2)), "1.5");
  EXPECT_EQ(Binary("//", PyValue::Int(-7), PyValue::Int(2)), "-4");
  EXPECT_EQ(Binary("%", PyValue::Int(7), PyValue::Int(-3)), "-2");
  EXPECT_EQ(Binary("//", PyValue::Float(7.5), PyValue::Int(2)), "3.0");
  EXPECT_EQ(Binary("**", PyValue::Int(2), PyValue::Int(10)), "1024");
  EXPECT_EQ(Binary("**", PyValue::Int(2), PyValue::Int(-1)), "0.5");
  EXPECT_EQ(Binary("|", PyValue::Int(12), PyValue::Int(3)), "15");
  EXPECT_EQ(Binary(">>", PyValue::Int(-5), PyValue::Int(100)), "-1");
}

TEST(ApplyBinary, ResultsBeyond64BitsAreIntegerOverflow) {
  EXPECT_EQ(Binary("+", PyValue::Int(kMaxInt), PyValue::Int(1)), "<unknown: integer overflow>");
  EXPECT_EQ(Binary("-", PyValue::Int(kMinInt), PyValue::Int(1)), "<unknown: integer overflow>");
  EXPECT_EQ(Binary("//", PyValue::Int(kMinInt), PyValue::Int(-1)), "<unknown: integer overflow>");
  EXPECT_EQ(Binary("<<", PyValue::Int(1), PyValue::Int(63)), "<unknown: integer overflow>");
  EXPECT_EQ(Binary("<<", PyValue::Int(1), PyValue::Int(62)), "4611686018427387904");
}

TEST(ApplyBinary, SequencesConcatenateAndRepeat) {
  EXPECT_EQ(Binary("+", PyValue::List({PyValue::Int(1)}), PyValue::List({PyValue::Int(2)})), "[1, 2]");
  EXPECT_EQ(Binary("*", PyValue::Str("ab"), PyValue::Int(3)), "'ababab'");
  EXPECT_EQ(Binary("*", PyValue::Int(2), PyValue::Tuple({PyValue::Int(1)})), "(1, 1)");
  EXPECT_EQ(Binary("*", PyValue::Str("ab"), PyValue::Int(-1)), "''");
  EXPECT_EQ(Binary("*", PyValue::Str("ab"), PyValue::Int(4097)),
            "<unknown: sequence repetition too large to evaluate>");
  std::string half(kMaxValueSize / 2, 'x');
  EXPECT_EQ(Binary("+", PyValue::Str(half), PyValue::Str(half)),
            "<unknown: the value would be larger than 1 MiB; not evaluated>");
}

TEST(ApplyBinary, ErrorsAndUnknownOperandsBecomeUnknown) {
  EXPECT_EQ(Binary("+", PyValue::Str("x"), PyValue::Int(1)),
            "<unknown: TypeError: unsupported operand types for +: 'str' and 'int'>");
  EXPECT_EQ(Binary("%", PyValue::Int(1), PyValue::Int(0)),
            "<unknown: ZeroDivisionError: integer division or modulo by zero>");
  EXPECT_EQ(Binary(">>", PyValue::Int(1), PyValue::Int(-1)), "<unknown: ValueError: negative shift count>");
  EXPECT_EQ(Binary("@", PyValue::Int(1), PyValue::Int(1)), "<unknown: operator '@' is not evaluated>");
  EXPECT_EQ(Binary("*", PyValue::Int(2), PyValue::Unknown("why")), "<unknown: why>");
}

TEST(ApplyUnary, SignsAndInversion) {
  EXPECT_EQ(ValueRepr(ApplyUnary("-", PyValue::Int(3))), "-3");
  EXPECT_EQ(ValueRepr(ApplyUnary("+", PyValue::Bool(true))), "1");
  EXPECT_EQ(ValueRepr(ApplyUnary("~", PyValue::Int(0))), "-1");
  EXPECT_EQ(ValueRepr(ApplyUnary("-", PyValue::Float(2.5))), "-2.5");
  EXPECT_EQ(ValueRepr(ApplyUnary("~", PyValue::Float(1))),
            "<unknown: TypeError: bad operand type for unary ~: 'float'>");
  EXPECT_EQ(ValueRepr(ApplyUnary("-", PyValue::Str("a"))), "<unknown: TypeError: bad operand type for unary ->");
  EXPECT_EQ(ValueRepr(ApplyUnary("-", PyValue::Int(kMinInt))), "<unknown: integer overflow>");
  EXPECT_EQ(ValueRepr(ApplyUnary("-", PyValue::Unknown("why"))), "<unknown: why>");
}

TEST(CompareValues, DecidesWhatPythonWould) {
  EXPECT_EQ(Compared("<", PyValue::Int(1), PyValue::Float(1.5)), "True");
  EXPECT_EQ(Compared(">=", PyValue::Str("b"), PyValue::Str("a")), "True");
  EXPECT_EQ(Compared("==", PyValue::Int(1), PyValue::Float(1)), "True");
  EXPECT_EQ(Compared("!=", PyValue::Str("a"), PyValue::Str("a")), "False");
  EXPECT_EQ(Compared("is", PyValue::None(), PyValue::None()), "True");
  EXPECT_EQ(Compared("is not", PyValue::Bool(true), PyValue::Bool(false)), "True");
  EXPECT_EQ(Compared("in", PyValue::Str("b"), PyValue::Str("abc")), "True");
  EXPECT_EQ(Compared("not in", PyValue::Int(3), PyValue::List({PyValue::Int(1), PyValue::Int(2)})), "True");
  EXPECT_EQ(Compared("in", PyValue::Str("a"), PyValue::Dict({{PyValue::Str("a"), PyValue::Int(1)}})), "True");
}

TEST(CompareValues, UndecidedComparisonsSayWhyWhenTheyCan) {
  EXPECT_EQ(Compared("<", PyValue::Str("a"), PyValue::Int(1)), "<undecided: TypeError: '<' between 'str' and 'int'>");
  EXPECT_EQ(Compared("is", PyValue::Int(1), PyValue::Int(1)),
            "<undecided: `is` is only evaluated against None, True and False>");
  // Membership in os.environ depends on the scope; the operators alone
  // cannot decide it.
  EXPECT_EQ(Compared("in", PyValue::Str("PORT"), PyValue::Environ()), "<undecided: >");
}

TEST(PercentFormat, ConversionsAndArgumentCounts) {
  EXPECT_EQ(ValueRepr(PercentFormat("%s-%r", PyValue::Tuple({PyValue::Str("a"), PyValue::Str("b")}))), "\"a-'b'\"");
  EXPECT_EQ(ValueRepr(PercentFormat("%d%% of %i", PyValue::Tuple({PyValue::Float(2.75), PyValue::Bool(true)}))),
            "'2% of 1'");
  EXPECT_EQ(ValueRepr(PercentFormat("port %s", PyValue::Int(80))), "'port 80'");
  EXPECT_EQ(ValueRepr(PercentFormat("%s %s", PyValue::Str("x"))),
            "<unknown: TypeError: not enough arguments for format string>");
  EXPECT_EQ(ValueRepr(PercentFormat("%s", PyValue::Tuple({PyValue::Int(1), PyValue::Int(2)}))),
            "<unknown: TypeError: not all arguments converted during string formatting>");
  EXPECT_EQ(ValueRepr(PercentFormat("%d", PyValue::Str("1"))), "<unknown: TypeError: %d format: a number is required>");
  EXPECT_EQ(ValueRepr(PercentFormat("%x", PyValue::Int(1))), "<unknown: format '%x' is not evaluated>");
  EXPECT_EQ(ValueRepr(PercentFormat("50%", PyValue::Tuple({}))), "<unknown: ValueError: incomplete format>");
}

TEST(BraceFormat, AutomaticNumberedAndNamedFields) {
  std::vector<PyValue> args = {PyValue::Str("h"), PyValue::Int(80)};
  std::vector<std::pair<std::string, PyValue>> kwargs = {{"port", PyValue::Int(8000)}};
  EXPECT_EQ(ValueRepr(BraceFormat("{}:{}", args, {})), "'h:80'");
  EXPECT_EQ(ValueRepr(BraceFormat("{1}{0}{1}", args, {})), "'80h80'");
  EXPECT_EQ(ValueRepr(BraceFormat("{{{port}}}", {}, kwargs)), "'{8000}'");
  EXPECT_EQ(ValueRepr(BraceFormat("{0:>5}", args, {})), "<unknown: format field '{0:>5}' is not evaluated>");
  EXPECT_EQ(ValueRepr(BraceFormat("{2}", args, {})), "<unknown: format field '{2}' has no argument>");
  EXPECT_EQ(ValueRepr(BraceFormat("{", args, {})), "<unknown: ValueError: unmatched '{' in format string>");
  EXPECT_EQ(ValueRepr(BraceFormat("{}", {PyValue::Unknown("why")}, {})), "<unknown: why>");
}

TEST(ValueSize, CountsTextAndEveryNestedValue) {
  EXPECT_EQ(ValueSize(PyValue::Int(1), kMaxValueSize), kValueCost);
  EXPECT_EQ(ValueSize(PyValue::Str("abcd"), kMaxValueSize), kValueCost + 4);
  PyValue dict = PyValue::Dict({{PyValue::Str("ab"), PyValue::List({PyValue::Int(1)})}});
  EXPECT_EQ(ValueSize(dict, kMaxValueSize), kValueCost + (kValueCost + 2) + 2 * kValueCost);
  // Past the limit it stops counting, with any number above the limit.
  PyValue list = PyValue::List(std::vector<PyValue>(1000, PyValue::Int(1)));
  size_t bounded = ValueSize(list, 100);
  EXPECT_GT(bounded, 100u);
  EXPECT_LT(bounded, 1000 * kValueCost);
}

TEST(EvaluatePythonConfig, StringFormatting) {
  PythonConfigResult r = Eval(
      "port = 8000\n"
      "a = f'0.0.0.0:{port}'\n"
      "b = '0.0.0.0:%d' % port\n"
      "c = '{}:{}'.format('h', port)\n"
      "d = f'{port!r}{{x}}'\n"
      "e = f'{port:>5}'\n"
      "f = '%s-%s' % ('a', 'b')\n"
      "g = 'A, B'.split(',')\n"
      "h = str(port) + '/' + 'x'.upper()\n");
  EXPECT_EQ(Repr(r, "a"), "'0.0.0.0:8000'");
  EXPECT_EQ(Repr(r, "b"), "'0.0.0.0:8000'");
  EXPECT_EQ(Repr(r, "c"), "'h:8000'");
  EXPECT_EQ(Repr(r, "d"), "'8000{x}'");
  EXPECT_EQ(Repr(r, "e"), "<unknown: f-string format specs are not evaluated>");
  EXPECT_EQ(Repr(r, "f"), "'a-b'");
  EXPECT_EQ(Repr(r, "g"), "['A', ' B']");
  EXPECT_EQ(Repr(r, "h"), "'8000/X'");
}

TEST(EvaluatePythonConfig, IntegerEdgeCases) {
  PythonConfigResult r = Eval(
      "odd = (-1) ** 3\n"
      "even = (-1) ** 1000000000000\n"
      "one = 1 ** 1000000000000\n"
      "smallest = (-4611686018427387904) << 1\n"
      "beyond = (-9223372036854775807 - 1) << 1\n"
      "truncated = '%d' % 2.75\n"
      "huge = '%d' % 1e300\n"
      "nan = '%d' % float('nan')\n");
  EXPECT_EQ(Repr(r, "odd"), "-1");
  EXPECT_EQ(Repr(r, "even"), "1");
  EXPECT_EQ(Repr(r, "one"), "1");
  EXPECT_EQ(Repr(r, "smallest"), "-9223372036854775808");
  EXPECT_EQ(Repr(r, "beyond"), "<unknown: integer overflow>");
  EXPECT_EQ(Repr(r, "truncated"), "'2'");
  EXPECT_EQ(Repr(r, "huge"), "<unknown: %d of a float beyond 64-bit integers>");
  EXPECT_EQ(Repr(r, "nan"), "<unknown: ValueError: cannot convert float NaN to integer>");
}

}  // namespace
}  // namespace corral::gunicorn::python_internal
