#include "gunicorn/python_operators.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace corral::gunicorn::python_internal {
namespace {

using Kind = PyValue::Kind;

PyValue Unknown(std::string reason) { return PyValue::Unknown(std::move(reason)); }

PyValue TypeError(absl::string_view op, const PyValue& a, const PyValue& b) {
  return Unknown(
      absl::StrCat("TypeError: unsupported operand types for ", op, ": '", a.TypeName(), "' and '", b.TypeName(), "'"));
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t FloorMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

}  // namespace

size_t ValueSize(const PyValue& v, size_t limit) {
  size_t size = kValueCost + v.text.size();
  for (const PyValue& item : v.items) {
    if (size > limit) return size;
    size += ValueSize(item, limit - size);
  }
  for (const auto& [key, value] : v.entries) {
    if (size > limit) return size;
    size += ValueSize(key, limit - size);
    if (size > limit) return size;
    size += ValueSize(value, limit - size);
  }
  return size;
}

PyValue TooLarge() {
  return Unknown(absl::StrCat("the value would be larger than ", kMaxValueSize >> 20, " MiB; not evaluated"));
}

const PyValue* FirstUnknown(std::initializer_list<const PyValue*> values) {
  for (const PyValue* v : values) {
    if (v->is_unknown()) return v;
  }
  return nullptr;
}

double AsDouble(const PyValue& v) { return v.kind == Kind::kFloat ? v.floating : static_cast<double>(v.integer); }

PyValue ApplyBinary(absl::string_view op, const PyValue& a, const PyValue& b) {
  if (const PyValue* u = FirstUnknown({&a, &b})) return *u;
  bool ints = (a.kind == Kind::kInt || a.kind == Kind::kBool) && (b.kind == Kind::kInt || b.kind == Kind::kBool);
  bool numbers = a.is_number() && b.is_number();
  if (op == "+") {
    if (ints) {
      int64_t r;
      if (__builtin_add_overflow(a.integer, b.integer, &r)) return Unknown("integer overflow");
      return PyValue::Int(r);
    }
    if (numbers) return PyValue::Float(AsDouble(a) + AsDouble(b));
    if ((a.kind == b.kind && (a.kind == Kind::kStr || a.kind == Kind::kBytes || a.is_sequence())) &&
        ValueSize(a, kMaxValueSize) + ValueSize(b, kMaxValueSize) > kMaxValueSize) {
      return TooLarge();
    }
    if (a.kind == Kind::kStr && b.kind == Kind::kStr) return PyValue::Str(a.text + b.text);
    if (a.kind == Kind::kBytes && b.kind == Kind::kBytes) return PyValue::Bytes(a.text + b.text);
    if (a.kind == b.kind && a.is_sequence()) {
      std::vector<PyValue> items = a.items;
      items.insert(items.end(), b.items.begin(), b.items.end());
      return a.kind == Kind::kList ? PyValue::List(std::move(items)) : PyValue::Tuple(std::move(items));
    }
    return TypeError(op, a, b);
  }
  if (op == "-") {
    if (ints) {
      int64_t r;
      if (__builtin_sub_overflow(a.integer, b.integer, &r)) return Unknown("integer overflow");
      return PyValue::Int(r);
    }
    if (numbers) return PyValue::Float(AsDouble(a) - AsDouble(b));
    return TypeError(op, a, b);
  }
  if (op == "*") {
    if (ints) {
      int64_t r;
      if (__builtin_mul_overflow(a.integer, b.integer, &r)) return Unknown("integer overflow");
      return PyValue::Int(r);
    }
    if (numbers) return PyValue::Float(AsDouble(a) * AsDouble(b));
    const PyValue* seq =
        a.kind == Kind::kStr || a.is_sequence() ? &a : (b.kind == Kind::kStr || b.is_sequence() ? &b : nullptr);
    const PyValue* count = seq == &a ? &b : &a;
    if (seq != nullptr && (count->kind == Kind::kInt || count->kind == Kind::kBool)) {
      int64_t n = std::max<int64_t>(0, count->integer);
      if (n > 4096) return Unknown("sequence repetition too large to evaluate");
      if (n > 0 && ValueSize(*seq, kMaxValueSize) * static_cast<size_t>(n) > kMaxValueSize) return TooLarge();
      if (seq->kind == Kind::kStr) {
        std::string out;
        for (int64_t k = 0; k < n; ++k) out += seq->text;
        return PyValue::Str(out);
      }
      std::vector<PyValue> items;
      for (int64_t k = 0; k < n; ++k) items.insert(items.end(), seq->items.begin(), seq->items.end());
      return seq->kind == Kind::kList ? PyValue::List(std::move(items)) : PyValue::Tuple(std::move(items));
    }
    return TypeError(op, a, b);
  }
  if (op == "/") {
    if (!numbers) return TypeError(op, a, b);
    if (AsDouble(b) == 0) return Unknown("ZeroDivisionError: division by zero");
    return PyValue::Float(AsDouble(a) / AsDouble(b));
  }
  if (op == "//" || op == "%") {
    if (op == "%" && a.kind == Kind::kStr) return PercentFormat(a.text, b);
    if (!numbers) return TypeError(op, a, b);
    if (AsDouble(b) == 0) return Unknown("ZeroDivisionError: integer division or modulo by zero");
    if (ints) {
      if (a.integer == std::numeric_limits<int64_t>::min() && b.integer == -1) return Unknown("integer overflow");
      return PyValue::Int(op == "//" ? FloorDiv(a.integer, b.integer) : FloorMod(a.integer, b.integer));
    }
    double x = AsDouble(a);
    double y = AsDouble(b);
    double q = std::floor(x / y);
    return PyValue::Float(op == "//" ? q : x - q * y);
  }
  if (op == "**") {
    if (ints && b.integer >= 0) {
      // 0, 1 and -1 keep their magnitude whatever the exponent; any other
      // base overflows within 63 multiplications.
      if (a.integer == -1) return PyValue::Int(b.integer % 2 == 0 ? 1 : -1);
      if (b.integer > 0 && (a.integer == 0 || a.integer == 1)) return PyValue::Int(a.integer);
      int64_t result = 1;
      for (int64_t k = 0; k < b.integer; ++k) {
        if (__builtin_mul_overflow(result, a.integer, &result)) return Unknown("integer overflow");
      }
      return PyValue::Int(result);
    }
    if (numbers) return PyValue::Float(std::pow(AsDouble(a), AsDouble(b)));
    return TypeError(op, a, b);
  }
  if (op == "|" || op == "&" || op == "^" || op == "<<" || op == ">>") {
    if (!ints) return TypeError(op, a, b);
    if (op == "|") return PyValue::Int(a.integer | b.integer);
    if (op == "&") return PyValue::Int(a.integer & b.integer);
    if (op == "^") return PyValue::Int(a.integer ^ b.integer);
    if (b.integer < 0) return Unknown("ValueError: negative shift count");
    if (op == ">>") return PyValue::Int(b.integer >= 63 ? (a.integer < 0 ? -1 : 0) : a.integer >> b.integer);
    // a << b overflows when a lies outside [-2**63 >> b, 2**63 >> b).
    int64_t bound = b.integer >= 63 ? 0 : std::numeric_limits<int64_t>::max() >> b.integer;
    if (b.integer >= 63 ? a.integer != 0 : (a.integer > bound || a.integer < -bound - 1)) {
      return Unknown("integer overflow");
    }
    return PyValue::Int(a.integer * (int64_t{1} << b.integer));
  }
  return Unknown(absl::StrCat("operator '", op, "' is not evaluated"));
}

PyValue ApplyUnary(absl::string_view op, const PyValue& operand) {
  if (operand.is_unknown()) return operand;
  if (!operand.is_number()) return Unknown(absl::StrCat("TypeError: bad operand type for unary ", op));
  if (operand.kind == Kind::kFloat) {
    if (op == "~") return Unknown("TypeError: bad operand type for unary ~: 'float'");
    return PyValue::Float(op == "-" ? -operand.floating : operand.floating);
  }
  if (op == "-") {
    if (operand.integer == std::numeric_limits<int64_t>::min()) return Unknown("integer overflow");
    return PyValue::Int(-operand.integer);
  }
  if (op == "~") return PyValue::Int(~operand.integer);
  return PyValue::Int(operand.integer);
}

std::optional<bool> CompareValues(absl::string_view op, const PyValue& a, const PyValue& b, std::string* why) {
  if (op == "==" || op == "!=") {
    std::optional<bool> eq = PyEquals(a, b);
    if (!eq) return std::nullopt;
    return op == "==" ? *eq : !*eq;
  }
  if (op == "is" || op == "is not") {
    bool singleton = a.kind == Kind::kNone || b.kind == Kind::kNone || a.kind == Kind::kBool || b.kind == Kind::kBool;
    if (!singleton) {
      *why = "`is` is only evaluated against None, True and False";
      return std::nullopt;
    }
    bool same = a.kind == b.kind && (a.kind == Kind::kNone || a.boolean == b.boolean);
    return op == "is" ? same : !same;
  }
  if (op == "in" || op == "not in") {
    std::optional<bool> found;
    if (b.kind == Kind::kStr && a.kind == Kind::kStr) {
      found = absl::StrContains(b.text, a.text);
    } else if (b.is_sequence()) {
      found = false;
      for (const PyValue& item : b.items) {
        std::optional<bool> eq = PyEquals(a, item);
        if (!eq) return std::nullopt;
        if (*eq) found = true;
      }
    } else if (b.kind == Kind::kDict) {
      found = false;
      for (const auto& entry : b.entries) {
        std::optional<bool> eq = PyEquals(a, entry.first);
        if (!eq) return std::nullopt;
        if (*eq) found = true;
      }
    }
    if (!found) return std::nullopt;
    return op == "in" ? *found : !*found;
  }
  // Ordering: numbers with numbers, strings with strings.
  int cmp;
  if (a.is_number() && b.is_number()) {
    double x = AsDouble(a);
    double y = AsDouble(b);
    if (a.kind != Kind::kFloat && b.kind != Kind::kFloat) {
      cmp = a.integer < b.integer ? -1 : (a.integer > b.integer ? 1 : 0);
    } else {
      cmp = x < y ? -1 : (x > y ? 1 : 0);
    }
  } else if (a.kind == Kind::kStr && b.kind == Kind::kStr) {
    cmp = a.text.compare(b.text);
  } else {
    *why = absl::StrCat("TypeError: '", op, "' between '", a.TypeName(), "' and '", b.TypeName(), "'");
    return std::nullopt;
  }
  if (op == "<") return cmp < 0;
  if (op == "<=") return cmp <= 0;
  if (op == ">") return cmp > 0;
  return cmp >= 0;
}

PyValue PercentFormat(const std::string& format, const PyValue& args) {
  std::vector<PyValue> values = args.kind == Kind::kTuple ? args.items : std::vector<PyValue>{args};
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (i + 1 >= format.size()) return Unknown("ValueError: incomplete format");
    char spec = format[++i];
    if (spec == '%') {
      out += '%';
      continue;
    }
    if (next >= values.size()) return Unknown("TypeError: not enough arguments for format string");
    const PyValue& v = values[next++];
    if (v.is_unknown()) return v;
    if (spec == 's') {
      out += v.ToStr();
    } else if (spec == 'r') {
      out += v.Repr();
    } else if (spec == 'd' || spec == 'i') {
      if (v.kind == Kind::kFloat) {
        // Python prints any finite float's integer part; beyond 64 bits it
        // is not evaluated (and the conversion would be undefined).
        if (std::isnan(v.floating)) return Unknown("ValueError: cannot convert float NaN to integer");
        if (!(std::fabs(v.floating) < 9.2e18)) return Unknown("%d of a float beyond 64-bit integers");
        out += absl::StrCat(static_cast<int64_t>(v.floating));
      } else if (v.is_number()) {
        out += absl::StrCat(v.integer);
      } else {
        return Unknown("TypeError: %d format: a number is required");
      }
    } else {
      return Unknown(absl::StrCat("format '%", std::string(1, spec), "' is not evaluated"));
    }
    if (out.size() > kMaxValueSize) return TooLarge();
  }
  if (next < values.size()) return Unknown("TypeError: not all arguments converted during string formatting");
  return PyValue::Str(out);
}

PyValue BraceFormat(const std::string& format, const std::vector<PyValue>& args,
                    const std::vector<std::pair<std::string, PyValue>>& kwargs) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c == '{' && i + 1 < format.size() && format[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < format.size() && format[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    size_t close = format.find('}', i);
    if (close == std::string::npos) return Unknown("ValueError: unmatched '{' in format string");
    std::string field = format.substr(i + 1, close - i - 1);
    if (field.find_first_of(":!.[") != std::string::npos) {
      return Unknown(absl::StrCat("format field '{", field, "}' is not evaluated"));
    }
    const PyValue* value = nullptr;
    size_t index = 0;
    if (field.empty()) {
      index = auto_index++;
      if (index < args.size()) value = &args[index];
    } else if (absl::SimpleAtoi(field, &index)) {
      if (index < args.size()) value = &args[index];
    } else {
      for (const auto& [name, v] : kwargs) {
        if (name == field) value = &v;
      }
    }
    if (value == nullptr) return Unknown(absl::StrCat("format field '{", field, "}' has no argument"));
    if (value->is_unknown()) return *value;
    out += value->ToStr();
    if (out.size() > kMaxValueSize) return TooLarge();
    i = close;
  }
  return PyValue::Str(out);
}

}  // namespace corral::gunicorn::python_internal
