#include "gunicorn/python_builtins.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gunicorn/python_config.h"
#include "gunicorn/python_operators.h"

namespace corral::gunicorn {

// Declared in python_config.h, the public API; defined beside int(), which
// it implements.
std::optional<int64_t> ParsePythonInt(absl::string_view text, int base) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (base == 0) {
    base = 10;
    if (s.size() > 1 && s[0] == '0') {
      char p = absl::ascii_tolower(s[1]);
      if (p == 'x' || p == 'o' || p == 'b') {
        base = p == 'x' ? 16 : (p == 'o' ? 8 : 2);
        s.remove_prefix(2);
        // Python allows one underscore right after the prefix.
        if (!s.empty() && s[0] == '_') s.remove_prefix(1);
      } else if (s.find_first_not_of("0_") != absl::string_view::npos) {
        return std::nullopt;  // "010" is not a base-0 literal
      }
    }
  }
  if (s.empty() || s.front() == '_' || s.back() == '_' || absl::StrContains(s, "__")) return std::nullopt;
  int64_t value = 0;
  for (char c : s) {
    if (c == '_') continue;
    int digit;
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digit = c - '0';
    } else if (absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      digit = absl::ascii_tolower(c) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    if (__builtin_mul_overflow(value, base, &value) || __builtin_add_overflow(value, digit, &value)) {
      return std::nullopt;
    }
  }
  return negative ? -value : value;
}

namespace python_internal {
namespace {

using Kind = PyValue::Kind;

PyValue Unknown(std::string reason) { return PyValue::Unknown(std::move(reason)); }

}  // namespace

std::optional<PyValue> BuiltinFunction(const std::string& name) {
  static const std::set<std::string> kBuiltins = {"int", "str", "float", "bool", "len", "abs", "min", "max"};
  if (kBuiltins.count(name)) return PyValue::Builtin(name);
  return std::nullopt;
}

std::optional<PyValue> ModuleAttribute(const std::string& module, const std::string& name) {
  if (module == "os") {
    if (name == "environ") return PyValue::Environ();
    if (name == "getenv") return PyValue::Builtin("os.getenv");
    if (name == "cpu_count") return PyValue::Builtin("os.cpu_count");
    if (name == "path") return PyValue::Module("os.path");
  }
  if (module == "multiprocessing" && name == "cpu_count") return PyValue::Builtin("multiprocessing.cpu_count");
  return std::nullopt;
}

PyValue GetAttribute(const PyValue& object, const std::string& name) {
  if (object.is_unknown()) return object;
  switch (object.kind) {
    case Kind::kModule:
      if (std::optional<PyValue> attribute = ModuleAttribute(object.text, name)) return *attribute;
      return Unknown(absl::StrCat(object.text, ".", name, " is not evaluated"));
    case Kind::kEnviron:
      if (name == "get") return PyValue::Builtin("environ.get");
      return Unknown(absl::StrCat("os.environ.", name, " is not evaluated"));
    case Kind::kStr:
      if (name == "split" || name == "strip" || name == "lower" || name == "upper" || name == "format") {
        return PyValue::Builtin(absl::StrCat("str.", name), object);
      }
      return Unknown(absl::StrCat("str.", name, "() is not evaluated"));
    default:
      return Unknown(absl::StrCat("attribute '", name, "' of ", object.TypeName(), " is not evaluated"));
  }
}

PyValue EnvironGet(const ExpressionScope& scope, const PyValue& key, const std::optional<PyValue>& fallback,
                   bool raise_if_missing) {
  if (key.is_unknown()) return key;
  if (key.kind != Kind::kStr) return Unknown("environment keys must be str");
  const Environ* environment = scope.KnownEnviron();
  if (environment == nullptr)
    return Unknown(absl::StrCat("$", key.text, " is unknown: ", scope.EnvironUnknownReason()));
  for (const auto& [name, value] : *environment) {
    if (name == key.text) return PyValue::Str(value);
  }
  if (raise_if_missing) return Unknown(absl::StrCat("KeyError: '", key.text, "' is not in the environment"));
  return fallback ? *fallback : PyValue::None();
}

std::optional<bool> EnvironContains(const ExpressionScope& scope, const PyValue& key, std::string* why) {
  const Environ* environment = scope.KnownEnviron();
  if (environment == nullptr || key.kind != Kind::kStr) {
    *why = scope.EnvironUnknownReason();
    return std::nullopt;
  }
  for (const auto& entry : *environment) {
    if (entry.first == key.text) return true;
  }
  return false;
}

PyValue Call(ExpressionScope& scope, const PyValue& callee, const std::vector<PyValue>& args,
             const std::vector<std::pair<std::string, PyValue>>& kwargs) {
  if (callee.is_unknown()) return callee;
  if (callee.kind == Kind::kFunction) {
    return Unknown(absl::StrCat("calls ", callee.text, "(), defined in the file; it is not executed"));
  }
  if (callee.kind != Kind::kBuiltin) return Unknown(absl::StrCat("calling a ", callee.TypeName(), " is not evaluated"));
  const std::string& id = callee.text;
  auto arity = [&](size_t lo, size_t hi) { return args.size() >= lo && args.size() <= hi; };
  for (const PyValue& a : args) {
    if (a.is_unknown() && id != "environ.get" && id != "os.getenv") return a;
  }
  for (const auto& kw : kwargs) {
    if (kw.second.is_unknown()) return kw.second;
  }

  if (id == "os.cpu_count" || id == "multiprocessing.cpu_count") {
    if (!args.empty()) return Unknown("TypeError: cpu_count() takes no arguments");
    int cpu_count = scope.CpuCount();
    if (cpu_count <= 0) return Unknown("the CPU count Python sees is unknown");
    return PyValue::Int(cpu_count);
  }
  if (id == "environ.get" || id == "os.getenv") {
    std::optional<PyValue> fallback;
    if (args.size() >= 2) fallback = args[1];
    for (const auto& kw : kwargs) {
      if (kw.first == "default") fallback = kw.second;
    }
    if (!arity(1, 2) || args[0].is_unknown()) return args.empty() ? Unknown("TypeError: missing key") : args[0];
    PyValue value = EnvironGet(scope, args[0], fallback, false);
    return value;
  }
  if (id == "int") {
    if (!arity(0, 2)) return Unknown("TypeError: int() takes at most 2 arguments");
    if (args.empty()) return PyValue::Int(0);
    int base = 10;
    std::optional<PyValue> base_value;
    if (args.size() == 2) base_value = args[1];
    for (const auto& kw : kwargs) {
      if (kw.first == "base") base_value = kw.second;
    }
    if (base_value) {
      if (base_value->kind != Kind::kInt) return Unknown("TypeError: base must be an int");
      base = static_cast<int>(base_value->integer);
      if (args[0].kind != Kind::kStr) return Unknown("TypeError: int() can't convert non-string with explicit base");
    }
    const PyValue& x = args[0];
    if (x.kind == Kind::kBool || x.kind == Kind::kInt) return PyValue::Int(x.integer);
    if (x.kind == Kind::kFloat) {
      if (!std::isfinite(x.floating) || std::fabs(x.floating) > 9.2e18) return Unknown("int() of a huge float");
      return PyValue::Int(static_cast<int64_t>(x.floating));
    }
    if (x.kind == Kind::kStr) {
      std::optional<int64_t> v = ParsePythonInt(x.text, base);
      if (!v) return Unknown(absl::StrCat("ValueError: invalid literal for int() with base ", base, ": ", x.Repr()));
      return PyValue::Int(*v);
    }
    if (x.kind == Kind::kNone) return Unknown("TypeError: int() argument must be a string or a number, not 'NoneType'");
    return Unknown(absl::StrCat("int() of ", x.TypeName(), " is not evaluated"));
  }
  if (id == "float") {
    if (!arity(0, 1)) return Unknown("TypeError: float() takes at most 1 argument");
    if (args.empty()) return PyValue::Float(0);
    const PyValue& x = args[0];
    if (x.is_number()) return PyValue::Float(AsDouble(x));
    if (x.kind == Kind::kStr) {
      std::string cleaned(absl::StripAsciiWhitespace(x.text));
      double d = 0;
      if (!absl::SimpleAtod(cleaned, &d))
        return Unknown(absl::StrCat("ValueError: could not convert string to float: ", x.Repr()));
      return PyValue::Float(d);
    }
    return Unknown(absl::StrCat("float() of ", x.TypeName(), " is not evaluated"));
  }
  if (id == "str") {
    if (!arity(0, 1)) return Unknown("str() with an encoding is not evaluated");
    return PyValue::Str(args.empty() ? "" : args[0].ToStr());
  }
  if (id == "bool") {
    if (!arity(0, 1)) return Unknown("TypeError: bool() takes at most 1 argument");
    if (args.empty()) return PyValue::Bool(false);
    std::optional<bool> truth = args[0].Truthy();
    if (!truth) return Unknown("truth value cannot be evaluated");
    return PyValue::Bool(*truth);
  }
  if (id == "len") {
    if (!arity(1, 1)) return Unknown("TypeError: len() takes exactly one argument");
    const PyValue& x = args[0];
    if (x.kind == Kind::kStr || x.kind == Kind::kBytes) return PyValue::Int(static_cast<int64_t>(x.text.size()));
    if (x.is_sequence()) return PyValue::Int(static_cast<int64_t>(x.items.size()));
    if (x.kind == Kind::kDict) return PyValue::Int(static_cast<int64_t>(x.entries.size()));
    return Unknown(absl::StrCat("len() of ", x.TypeName(), " is not evaluated"));
  }
  if (id == "abs") {
    if (!arity(1, 1) || !args[0].is_number()) return Unknown("abs() is only evaluated on one number");
    if (args[0].kind == Kind::kFloat) return PyValue::Float(std::fabs(args[0].floating));
    if (args[0].integer == std::numeric_limits<int64_t>::min()) return Unknown("integer overflow");
    return PyValue::Int(args[0].integer < 0 ? -args[0].integer : args[0].integer);
  }
  if (id == "min" || id == "max") {
    std::vector<PyValue> candidates = args.size() == 1 && args[0].is_sequence() ? args[0].items : args;
    if (candidates.empty()) return Unknown(absl::StrCat("ValueError: ", id, "() arg is an empty sequence"));
    PyValue best = candidates[0];
    for (size_t k = 1; k < candidates.size(); ++k) {
      std::string why;
      if (candidates[k].is_unknown()) return candidates[k];
      std::optional<bool> less = CompareValues("<", candidates[k], best, &why);
      std::optional<bool> greater = CompareValues(">", candidates[k], best, &why);
      if (!less || !greater)
        return Unknown(why.empty() ? absl::StrCat(id, "() of these values is not evaluated") : why);
      if ((id == "min" && *less) || (id == "max" && *greater)) best = candidates[k];
    }
    return best;
  }
  if (absl::StartsWith(id, "str.")) {
    const PyValue& self = callee.items[0];
    std::string method = id.substr(4);
    if (method == "lower") return PyValue::Str(absl::AsciiStrToLower(self.text));
    if (method == "upper") return PyValue::Str(absl::AsciiStrToUpper(self.text));
    if (method == "strip") {
      if (args.empty()) return PyValue::Str(std::string(absl::StripAsciiWhitespace(self.text)));
      if (args[0].kind != Kind::kStr) return Unknown("str.strip() argument must be a str");
      size_t b = self.text.find_first_not_of(args[0].text);
      if (b == std::string::npos) return PyValue::Str("");
      size_t e = self.text.find_last_not_of(args[0].text);
      return PyValue::Str(self.text.substr(b, e - b + 1));
    }
    if (method == "split") {
      if (self.text.size() * kValueCost > kMaxValueSize) return TooLarge();
      std::vector<PyValue> parts;
      if (args.empty() || args[0].kind == Kind::kNone) {
        for (absl::string_view p : absl::StrSplit(self.text, absl::ByAnyChar(" \t\n\r\f\v"), absl::SkipEmpty())) {
          parts.push_back(PyValue::Str(std::string(p)));
        }
      } else if (args.size() == 1 && args[0].kind == Kind::kStr && !args[0].text.empty()) {
        for (absl::string_view p : absl::StrSplit(self.text, args[0].text))
          parts.push_back(PyValue::Str(std::string(p)));
      } else {
        return Unknown("this str.split() call is not evaluated");
      }
      return PyValue::List(std::move(parts));
    }
    if (method == "format") return BraceFormat(self.text, args, kwargs);
  }
  return Unknown(absl::StrCat(id, "() is not evaluated"));
}

}  // namespace python_internal
}  // namespace corral::gunicorn
