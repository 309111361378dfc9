#include "gunicorn/python_expression.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/gunicorn/python_test_util.h"

namespace corral::gunicorn::python_internal {
namespace {

using python_test::Eval;
using python_test::EvaluateText;
using python_test::FakeScope;
using python_test::Repr;
using python_test::Tokens;
using python_test::ValueRepr;

// `text` evaluated against `scope`, quoted.
std::string Evaluated(FakeScope& scope, const std::string& text) { return ValueRepr(EvaluateText(scope, text).value); }

TEST(EvaluateExpression, NamesComeFromTheScope) {
  FakeScope scope;
  scope.names["port"] = PyValue::Int(8000);
  EXPECT_EQ(Evaluated(scope, "port + 1"), "8001");
  EXPECT_EQ(Evaluated(scope, "nope"), "<unknown: name 'nope' is not defined in the file>");
}

TEST(LookUpName, BoundNamesThenBuiltinsThenUndefined) {
  FakeScope scope;
  scope.names["len"] = PyValue::Int(3);
  EXPECT_EQ(ValueRepr(LookUpName(scope, "len")), "3");  // the file's binding hides the builtin
  EXPECT_EQ(scope.charged_values, 1);
  PyValue max = LookUpName(scope, "max");
  EXPECT_EQ(max.kind, PyValue::Kind::kBuiltin);
  EXPECT_EQ(max.text, "max");
  EXPECT_EQ(ValueRepr(LookUpName(scope, "print")), "<unknown: name 'print' is not defined in the file>");
  EXPECT_EQ(scope.charged_values, 1);
}

TEST(EvaluateExpressionList, TopLevelCommasMakeATuple) {
  FakeScope scope;
  std::vector<PyToken> tokens = Tokens("1, 2");
  ExpressionResult list = EvaluateExpressionList(scope, tokens, 0, tokens.size());
  EXPECT_EQ(ValueRepr(list.value), "(1, 2)");
  EXPECT_TRUE(list.complete());
  EXPECT_EQ(Evaluated(scope, "1,"), "(1,)");

  ExpressionResult single = EvaluateExpression(scope, tokens, 0, tokens.size());
  EXPECT_EQ(ValueRepr(single.value), "1");
  EXPECT_FALSE(single.syntax_error.has_value());
  EXPECT_TRUE(single.trailing_tokens);
  EXPECT_FALSE(single.complete());
}

TEST(EvaluateExpression, EvaluatesOnlyTheGivenRange) {
  FakeScope scope;
  std::vector<PyToken> tokens = Tokens("a = (1 + 2) * 3");
  EXPECT_EQ(ValueRepr(EvaluateExpression(scope, tokens, 2, tokens.size()).value), "9");
  EXPECT_EQ(ValueRepr(EvaluateExpression(scope, tokens, 3, 6).value), "3");
  ExpressionResult cut = EvaluateExpression(scope, tokens, 2, 5);  // "(1 +"
  EXPECT_EQ(cut.syntax_error, "unexpected end of expression");
  EXPECT_FALSE(cut.trailing_tokens);
  EXPECT_TRUE(cut.value.is_unknown());
}

TEST(EvaluateExpression, SyntaxOutsideTheSubsetIsASyntaxError) {
  struct Case {
    std::string text;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{{"lambda: 1", "lambda is not evaluated"},
                                         {"[i for i in x]", "list comprehensions are not evaluated"},
                                         {"(i for i in x)", "generator expressions are not evaluated"},
                                         {"x[1:2]", "slices are not evaluated"},
                                         {"f(*args)", "star arguments are not evaluated"},
                                         {"{**d}", "dict unpacking is not evaluated"}}) {
    FakeScope scope;
    ExpressionResult result = EvaluateText(scope, c.text);
    EXPECT_EQ(result.syntax_error, c.error) << c.text;
    EXPECT_FALSE(result.complete()) << c.text;
    EXPECT_TRUE(result.value.is_unknown()) << c.text;
  }
}

TEST(EvaluateExpression, BothSidesAreEvaluatedAndTheRightOneChosen) {
  FakeScope scope;
  EXPECT_EQ(Evaluated(scope, "0 or 'x'"), "'x'");
  EXPECT_EQ(Evaluated(scope, "None and undefined"), "None");
  EXPECT_EQ(Evaluated(scope, "1 if True else undefined"), "1");
  EXPECT_EQ(Evaluated(scope, "undefined if False else 2"), "2");
  EXPECT_EQ(Evaluated(scope, "1 if undefined else 2"), "<unknown: name 'undefined' is not defined in the file>");
  EXPECT_EQ(Evaluated(scope, "1 < 2 < 0 < undefined"), "False");
}

TEST(EvaluateExpression, LiteralsSubscriptsAndFStrings) {
  FakeScope scope;
  scope.names["port"] = PyValue::Int(8000);
  EXPECT_EQ(Evaluated(scope, "1_000 + 0x10"), "1016");
  EXPECT_EQ(Evaluated(scope, "1e3"), "1000.0");
  EXPECT_EQ(Evaluated(scope, "99999999999999999999"),
            "<unknown: integer literal '99999999999999999999' is not evaluated>");
  EXPECT_EQ(Evaluated(scope, "1j"), "<unknown: complex numbers are not evaluated>");
  EXPECT_EQ(Evaluated(scope, "[1, 2][-1]"), "2");
  EXPECT_EQ(Evaluated(scope, "'abc'[5]"), "<unknown: IndexError: index out of range>");
  EXPECT_EQ(Evaluated(scope, "{'a': 1}['b']"), "<unknown: KeyError: 'b'>");
  EXPECT_EQ(Evaluated(scope, "f'{port + 1}:{port!r}'"), "'8001:8000'");
  EXPECT_EQ(Evaluated(scope, "f'{nope}'"), "<unknown: name 'nope' is not defined in the file>");
}

TEST(EvaluateExpression, EnvironLookupsAndMembershipAskTheScope) {
  FakeScope scope;
  scope.names["os"] = PyValue::Module("os");
  scope.environ = Environ{{"PORT", "9000"}};
  EXPECT_EQ(Evaluated(scope, "'PORT' in os.environ"), "True");
  EXPECT_EQ(Evaluated(scope, "'NOPE' not in os.environ"), "True");
  EXPECT_EQ(Evaluated(scope, "os.environ['PORT']"), "'9000'");
  EXPECT_EQ(Evaluated(scope, "os.environ.get('NOPE', 'd')"), "'d'");

  scope.environ.reset();
  scope.environ_unknown_reason = "erased by setproctitle";
  EXPECT_EQ(Evaluated(scope, "'PORT' in os.environ"), "<unknown: erased by setproctitle>");
  EXPECT_EQ(Evaluated(scope, "os.environ['PORT']"), "<unknown: $PORT is unknown: erased by setproctitle>");
}

TEST(EvaluateExpression, NamesCallsAndOperatorResultsAreChargedToTheScope) {
  FakeScope scope;
  scope.names["a"] = PyValue::Int(1);
  scope.budget_spent = true;
  EXPECT_EQ(Evaluated(scope, "3"), "3");
  EXPECT_EQ(Evaluated(scope, "a"), "<unknown: over budget>");
  EXPECT_EQ(Evaluated(scope, "1 + 2"), "<unknown: over budget>");
  EXPECT_EQ(Evaluated(scope, "len('ab')"), "<unknown: over budget>");
}

TEST(EvaluatePythonConfig, BuiltinsAndConditionals) {
  PythonConfigResult r = Eval(
      "workers = max(2, min(8, 4 * 3))\n"
      "t = 30 if False else 60\n"
      "u = int('42') + int(3.9) + len([1, 2]) + abs(-1)\n"
      "v = float('2.5')\n"
      "w = bool(0) or 'set'\n"
      "x = 1 < 2 <= 2 != 3\n"
      "y = None is None and 'a' not in 'bcd'\n");
  EXPECT_EQ(Repr(r, "workers"), "8");
  EXPECT_EQ(Repr(r, "t"), "60");
  EXPECT_EQ(Repr(r, "u"), "48");
  EXPECT_EQ(Repr(r, "v"), "2.5");
  EXPECT_EQ(Repr(r, "w"), "'set'");
  EXPECT_EQ(Repr(r, "x"), "True");
  EXPECT_EQ(Repr(r, "y"), "True");
}

TEST(EvaluatePythonConfig, NestingDeeperThanPythonAllowsIsRefused) {
  for (const std::string& expr : {std::string(5000, '(') + "1" + std::string(5000, ')'), std::string(5000, '-') + "1",
                                  [] {
                                    std::string s;
                                    for (int i = 0; i < 5000; ++i) s += "not ";
                                    return s + "1";
                                  }(),
                                  [] {
                                    std::string s = "2";
                                    for (int i = 0; i < 5000; ++i) s += " ** 1";
                                    return s;
                                  }()}) {
    absl::StatusOr<PythonConfigResult> r = EvaluatePythonConfig("a = " + expr + "\n", PythonConfigContext());
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->names.at("a").value.text.find("nested too deeply"), std::string::npos);
  }
}

}  // namespace
}  // namespace corral::gunicorn::python_internal
