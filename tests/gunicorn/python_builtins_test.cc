#include "gunicorn/python_builtins.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "gunicorn/python_config.h"
#include "tests/gunicorn/python_test_util.h"

namespace corral::gunicorn::python_internal {
namespace {

using python_test::FakeScope;
using python_test::ValueRepr;

// callee(*args, **kwargs), quoted.
std::string Called(FakeScope& scope, const PyValue& callee, const std::vector<PyValue>& args,
                   const std::vector<std::pair<std::string, PyValue>>& kwargs = {}) {
  return ValueRepr(Call(scope, callee, args, kwargs));
}

TEST(BuiltinFunction, KnowsOnlyTheBuiltinsItEvaluates) {
  std::optional<PyValue> len = BuiltinFunction("len");
  ASSERT_TRUE(len.has_value());
  EXPECT_EQ(len->kind, PyValue::Kind::kBuiltin);
  EXPECT_EQ(len->text, "len");
  EXPECT_FALSE(BuiltinFunction("print").has_value());
  EXPECT_FALSE(BuiltinFunction("open").has_value());
}

TEST(ModuleAttribute, OsAndMultiprocessing) {
  EXPECT_EQ(ModuleAttribute("os", "environ")->kind, PyValue::Kind::kEnviron);
  EXPECT_EQ(ModuleAttribute("os", "getenv")->text, "os.getenv");
  EXPECT_EQ(ModuleAttribute("os", "path")->kind, PyValue::Kind::kModule);
  EXPECT_EQ(ModuleAttribute("multiprocessing", "cpu_count")->text, "multiprocessing.cpu_count");
  EXPECT_FALSE(ModuleAttribute("os", "system").has_value());
  EXPECT_FALSE(ModuleAttribute("socket", "gethostname").has_value());
}

TEST(GetAttribute, ModulesEnvironAndStrMethods) {
  EXPECT_EQ(GetAttribute(PyValue::Module("os"), "cpu_count").text, "os.cpu_count");
  EXPECT_EQ(ValueRepr(GetAttribute(PyValue::Module("os"), "system")), "<unknown: os.system is not evaluated>");
  EXPECT_EQ(GetAttribute(PyValue::Environ(), "get").text, "environ.get");
  EXPECT_EQ(ValueRepr(GetAttribute(PyValue::Environ(), "copy")), "<unknown: os.environ.copy is not evaluated>");
  PyValue lower = GetAttribute(PyValue::Str("A"), "lower");
  EXPECT_EQ(lower.text, "str.lower");
  ASSERT_EQ(lower.items.size(), 1u);
  EXPECT_EQ(lower.items[0].text, "A");
  EXPECT_EQ(ValueRepr(GetAttribute(PyValue::Str("a"), "title")), "<unknown: str.title() is not evaluated>");
  EXPECT_EQ(ValueRepr(GetAttribute(PyValue::Int(1), "real")), "<unknown: attribute 'real' of int is not evaluated>");
  EXPECT_EQ(ValueRepr(GetAttribute(PyValue::Unknown("why"), "real")), "<unknown: why>");
}

TEST(EnvironGet, SubscriptRaisesAndGetFallsBack) {
  FakeScope scope;
  scope.environ = Environ{{"PORT", "9000"}};
  EXPECT_EQ(ValueRepr(EnvironGet(scope, PyValue::Str("PORT"), std::nullopt, true)), "'9000'");
  EXPECT_EQ(ValueRepr(EnvironGet(scope, PyValue::Str("NOPE"), std::nullopt, true)),
            "<unknown: KeyError: 'NOPE' is not in the environment>");
  EXPECT_EQ(ValueRepr(EnvironGet(scope, PyValue::Str("NOPE"), PyValue::Str("d"), false)), "'d'");
  EXPECT_EQ(ValueRepr(EnvironGet(scope, PyValue::Str("NOPE"), std::nullopt, false)), "None");
  EXPECT_EQ(ValueRepr(EnvironGet(scope, PyValue::Int(1), std::nullopt, false)),
            "<unknown: environment keys must be str>");
  scope.environ.reset();
  scope.environ_unknown_reason = "erased";
  EXPECT_EQ(ValueRepr(EnvironGet(scope, PyValue::Str("PORT"), PyValue::Str("d"), false)),
            "<unknown: $PORT is unknown: erased>");
}

TEST(EnvironContains, UnknownWithTheScopesReason) {
  FakeScope scope;
  scope.environ = Environ{{"PORT", "9000"}};
  std::string why = "unset";
  EXPECT_EQ(EnvironContains(scope, PyValue::Str("PORT"), &why), true);
  EXPECT_EQ(EnvironContains(scope, PyValue::Str("NOPE"), &why), false);
  EXPECT_EQ(EnvironContains(scope, PyValue::Int(1), &why), std::nullopt);
  EXPECT_EQ(why, "");
  scope.environ.reset();
  scope.environ_unknown_reason = "erased";
  EXPECT_EQ(EnvironContains(scope, PyValue::Str("PORT"), &why), std::nullopt);
  EXPECT_EQ(why, "erased");
}

TEST(Call, IntFollowsPython) {
  FakeScope scope;
  PyValue int_ = PyValue::Builtin("int");
  EXPECT_EQ(Called(scope, int_, {}), "0");
  EXPECT_EQ(Called(scope, int_, {PyValue::Str(" 42 ")}), "42");
  EXPECT_EQ(Called(scope, int_, {PyValue::Str("0x1f"), PyValue::Int(0)}), "31");
  EXPECT_EQ(Called(scope, int_, {PyValue::Str("ff")}, {{"base", PyValue::Int(16)}}), "255");
  EXPECT_EQ(Called(scope, int_, {PyValue::Float(3.9)}), "3");
  EXPECT_EQ(Called(scope, int_, {PyValue::Bool(true)}), "1");
  EXPECT_EQ(Called(scope, int_, {PyValue::Str("abc")}),
            "<unknown: ValueError: invalid literal for int() with base 10: 'abc'>");
  EXPECT_EQ(Called(scope, int_, {PyValue::Int(5), PyValue::Int(10)}),
            "<unknown: TypeError: int() can't convert non-string with explicit base>");
  EXPECT_EQ(Called(scope, int_, {PyValue::None()}),
            "<unknown: TypeError: int() argument must be a string or a number, not 'NoneType'>");
}

TEST(Call, ConversionsSizesAndExtremes) {
  FakeScope scope;
  EXPECT_EQ(Called(scope, PyValue::Builtin("float"), {PyValue::Str(" 2.5 ")}), "2.5");
  EXPECT_EQ(Called(scope, PyValue::Builtin("float"), {PyValue::Int(2)}), "2.0");
  EXPECT_EQ(Called(scope, PyValue::Builtin("str"), {PyValue::Int(5)}), "'5'");
  EXPECT_EQ(Called(scope, PyValue::Builtin("str"), {}), "''");
  EXPECT_EQ(Called(scope, PyValue::Builtin("bool"), {PyValue::Str("")}), "False");
  EXPECT_EQ(Called(scope, PyValue::Builtin("len"), {PyValue::List({PyValue::Int(1), PyValue::Int(2)})}), "2");
  EXPECT_EQ(Called(scope, PyValue::Builtin("len"), {PyValue::Dict({})}), "0");
  EXPECT_EQ(Called(scope, PyValue::Builtin("abs"), {PyValue::Int(-4)}), "4");
  EXPECT_EQ(Called(scope, PyValue::Builtin("abs"), {PyValue::Str("a")}),
            "<unknown: abs() is only evaluated on one number>");
  EXPECT_EQ(Called(scope, PyValue::Builtin("min"), {PyValue::Int(3), PyValue::Int(1)}), "1");
  EXPECT_EQ(Called(scope, PyValue::Builtin("max"), {PyValue::List({PyValue::Int(2), PyValue::Int(9)})}), "9");
  EXPECT_EQ(Called(scope, PyValue::Builtin("max"), {PyValue::List({})}),
            "<unknown: ValueError: max() arg is an empty sequence>");
}

TEST(Call, StrMethodsActOnTheBoundString) {
  FakeScope scope;
  auto method = [](const std::string& self, const std::string& name) { return GetAttribute(PyValue::Str(self), name); };
  EXPECT_EQ(Called(scope, method(" A b ", "split"), {}), "['A', 'b']");
  EXPECT_EQ(Called(scope, method("a,b", "split"), {PyValue::Str(",")}), "['a', 'b']");
  EXPECT_EQ(Called(scope, method("a", "split"), {PyValue::Str("")}),
            "<unknown: this str.split() call is not evaluated>");
  EXPECT_EQ(Called(scope, method(" A b ", "strip"), {}), "'A b'");
  EXPECT_EQ(Called(scope, method("xxAxx", "strip"), {PyValue::Str("x")}), "'A'");
  EXPECT_EQ(Called(scope, method("Ab", "lower"), {}), "'ab'");
  EXPECT_EQ(Called(scope, method("Ab", "upper"), {}), "'AB'");
  EXPECT_EQ(Called(scope, method("{}:{}", "format"), {PyValue::Str("h"), PyValue::Int(1)}), "'h:1'");
}

TEST(Call, CpuCountComesFromTheScope) {
  FakeScope scope;
  scope.cpu_count = 8;
  EXPECT_EQ(Called(scope, PyValue::Builtin("os.cpu_count"), {}), "8");
  EXPECT_EQ(Called(scope, PyValue::Builtin("multiprocessing.cpu_count"), {}), "8");
  EXPECT_EQ(scope.cpu_count_calls, 2);
  EXPECT_EQ(Called(scope, PyValue::Builtin("os.cpu_count"), {PyValue::Int(1)}),
            "<unknown: TypeError: cpu_count() takes no arguments>");
  EXPECT_EQ(scope.cpu_count_calls, 2);
  scope.cpu_count = 0;
  EXPECT_EQ(Called(scope, PyValue::Builtin("os.cpu_count"), {}), "<unknown: the CPU count Python sees is unknown>");
  EXPECT_EQ(scope.cpu_count_calls, 3);
}

TEST(Call, EnvironGetUsesItsDefaultOnlyWhenTheKeyIsMissing) {
  FakeScope scope;
  scope.environ = Environ{{"PORT", "9000"}};
  EXPECT_EQ(Called(scope, PyValue::Builtin("environ.get"), {PyValue::Str("PORT"), PyValue::Unknown("why")}), "'9000'");
  EXPECT_EQ(Called(scope, PyValue::Builtin("os.getenv"), {PyValue::Str("NOPE"), PyValue::Unknown("why")}),
            "<unknown: why>");
  EXPECT_EQ(Called(scope, PyValue::Builtin("os.getenv"), {PyValue::Str("NOPE")}, {{"default", PyValue::Str("d")}}),
            "'d'");
  EXPECT_EQ(Called(scope, PyValue::Builtin("os.getenv"), {}), "<unknown: TypeError: missing key>");
}

TEST(Call, OnlyBuiltinsAreCalled) {
  FakeScope scope;
  EXPECT_EQ(Called(scope, PyValue::Function("compute"), {}),
            "<unknown: calls compute(), defined in the file; it is not executed>");
  EXPECT_EQ(Called(scope, PyValue::Int(1), {}), "<unknown: calling a int is not evaluated>");
  EXPECT_EQ(Called(scope, PyValue::Builtin("open"), {}), "<unknown: open() is not evaluated>");
  EXPECT_EQ(Called(scope, PyValue::Builtin("len"), {PyValue::Unknown("why")}), "<unknown: why>");
  EXPECT_EQ(Called(scope, PyValue::Unknown("why"), {}), "<unknown: why>");
}

TEST(ParsePythonInt, Bases) {
  EXPECT_EQ(ParsePythonInt(" 42 ", 10), 42);
  EXPECT_EQ(ParsePythonInt("-1_000", 10), -1000);
  EXPECT_EQ(ParsePythonInt("010", 10), 10);
  EXPECT_FALSE(ParsePythonInt("010", 0).has_value());
  EXPECT_EQ(ParsePythonInt("0x1f", 0), 31);
  EXPECT_EQ(ParsePythonInt("0o22", 0), 18);
  EXPECT_EQ(ParsePythonInt("0", 0), 0);
  EXPECT_EQ(ParsePythonInt("000", 0), 0);
  EXPECT_FALSE(ParsePythonInt("0x10", 10).has_value());
  EXPECT_FALSE(ParsePythonInt("1__0", 10).has_value());
  EXPECT_FALSE(ParsePythonInt("", 10).has_value());
  EXPECT_FALSE(ParsePythonInt("99999999999999999999", 10).has_value());
}

}  // namespace
}  // namespace corral::gunicorn::python_internal
