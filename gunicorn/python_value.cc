#include "gunicorn/python_value.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace corral::gunicorn {

PyValue PyValue::Bool(bool b) {
  PyValue v;
  v.kind = Kind::kBool;
  v.boolean = b;
  v.integer = b ? 1 : 0;
  return v;
}

PyValue PyValue::Int(int64_t i) {
  PyValue v;
  v.kind = Kind::kInt;
  v.integer = i;
  return v;
}

PyValue PyValue::Float(double d) {
  PyValue v;
  v.kind = Kind::kFloat;
  v.floating = d;
  return v;
}

PyValue PyValue::Str(std::string s) {
  PyValue v;
  v.kind = Kind::kStr;
  v.text = std::move(s);
  return v;
}

PyValue PyValue::Bytes(std::string s) {
  PyValue v;
  v.kind = Kind::kBytes;
  v.text = std::move(s);
  return v;
}

PyValue PyValue::List(std::vector<PyValue> items) {
  PyValue v;
  v.kind = Kind::kList;
  v.items = std::move(items);
  return v;
}

PyValue PyValue::Tuple(std::vector<PyValue> items) {
  PyValue v;
  v.kind = Kind::kTuple;
  v.items = std::move(items);
  return v;
}

PyValue PyValue::Dict(std::vector<std::pair<PyValue, PyValue>> entries) {
  PyValue v;
  v.kind = Kind::kDict;
  v.entries = std::move(entries);
  return v;
}

PyValue PyValue::Module(std::string name) {
  PyValue v;
  v.kind = Kind::kModule;
  v.text = std::move(name);
  return v;
}

PyValue PyValue::Builtin(std::string id, std::optional<PyValue> self) {
  PyValue v;
  v.kind = Kind::kBuiltin;
  v.text = std::move(id);
  if (self) v.items.push_back(*std::move(self));
  return v;
}

PyValue PyValue::Function(std::string name) {
  PyValue v;
  v.kind = Kind::kFunction;
  v.text = std::move(name);
  return v;
}

PyValue PyValue::Environ() {
  PyValue v;
  v.kind = Kind::kEnviron;
  return v;
}

PyValue PyValue::Unknown(std::string reason) {
  PyValue v;
  v.kind = Kind::kUnknown;
  v.text = std::move(reason);
  return v;
}

std::optional<bool> PyValue::Truthy() const {
  switch (kind) {
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return boolean;
    case Kind::kInt:
      return integer != 0;
    case Kind::kFloat:
      return floating != 0.0;
    case Kind::kStr:
    case Kind::kBytes:
      return !text.empty();
    case Kind::kList:
    case Kind::kTuple:
      return !items.empty();
    case Kind::kDict:
      return !entries.empty();
    case Kind::kModule:
    case Kind::kBuiltin:
    case Kind::kFunction:
      return true;
    case Kind::kEnviron:
    case Kind::kUnknown:
      return std::nullopt;
  }
  return std::nullopt;
}

namespace {

std::string FloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), d);
  std::string out(buffer, result.ptr);
  if (out.find_first_of(".en") == std::string::npos) out += ".0";
  return out;
}

std::string QuoteString(const std::string& s) {
  // Python prefers single quotes unless the text holds one and no double.
  bool use_double = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  char quote = use_double ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrFormat("\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

}  // namespace

std::string PyValue::Repr() const {
  switch (kind) {
    case Kind::kStr:
      return QuoteString(text);
    case Kind::kBytes:
      return "b" + QuoteString(text);
    case Kind::kList:
      return "[" + absl::StrJoin(items, ", ", [](std::string* out, const PyValue& v) { out->append(v.Repr()); }) + "]";
    case Kind::kTuple: {
      std::string inner = absl::StrJoin(items, ", ", [](std::string* out, const PyValue& v) { out->append(v.Repr()); });
      return "(" + inner + (items.size() == 1 ? ",)" : ")");
    }
    case Kind::kDict:
      return "{" +
             absl::StrJoin(entries, ", ",
                           [](std::string* out, const std::pair<PyValue, PyValue>& e) {
                             absl::StrAppend(out, e.first.Repr(), ": ", e.second.Repr());
                           }) +
             "}";
    default:
      return ToStr();
  }
}

std::string PyValue::ToStr() const {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return boolean ? "True" : "False";
    case Kind::kInt:
      return absl::StrCat(integer);
    case Kind::kFloat:
      return FloatRepr(floating);
    case Kind::kStr:
      return text;
    case Kind::kBytes:
    case Kind::kList:
    case Kind::kTuple:
    case Kind::kDict:
      return Repr();
    case Kind::kModule:
      return absl::StrCat("<module '", text, "'>");
    case Kind::kBuiltin:
      return absl::StrCat("<built-in function ", text, ">");
    case Kind::kFunction:
      return absl::StrCat("<function ", text, ">");
    case Kind::kEnviron:
      return "environ({...})";
    case Kind::kUnknown:
      return "<unknown>";
  }
  return "<unknown>";
}

std::string PyValue::TypeName() const {
  switch (kind) {
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kStr:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kModule:
      return "module";
    case Kind::kBuiltin:
      return "builtin_function_or_method";
    case Kind::kFunction:
      return "function";
    case Kind::kEnviron:
      return "os._Environ";
    case Kind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<bool> PyEquals(const PyValue& a, const PyValue& b) {
  using Kind = PyValue::Kind;
  if (a.is_unknown() || b.is_unknown()) return std::nullopt;
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::kFloat || b.kind == Kind::kFloat) {
      double x = a.kind == Kind::kFloat ? a.floating : static_cast<double>(a.integer);
      double y = b.kind == Kind::kFloat ? b.floating : static_cast<double>(b.integer);
      return x == y;
    }
    return a.integer == b.integer;
  }
  if (a.kind != b.kind) {
    // Different kinds of plain values are never equal in Python.
    bool plain_a = a.kind != Kind::kEnviron && a.kind != Kind::kModule;
    bool plain_b = b.kind != Kind::kEnviron && b.kind != Kind::kModule;
    if (plain_a && plain_b) return false;
    return std::nullopt;
  }
  switch (a.kind) {
    case Kind::kNone:
      return true;
    case Kind::kStr:
    case Kind::kBytes:
    case Kind::kModule:
    case Kind::kFunction:
    case Kind::kBuiltin:
      return a.text == b.text && a.items.size() == b.items.size();
    case Kind::kList:
    case Kind::kTuple: {
      if (a.items.size() != b.items.size()) return false;
      for (size_t i = 0; i < a.items.size(); ++i) {
        std::optional<bool> eq = PyEquals(a.items[i], b.items[i]);
        if (!eq || !*eq) return eq;
      }
      return true;
    }
    case Kind::kDict: {
      if (a.entries.size() != b.entries.size()) return false;
      for (const auto& [key, value] : a.entries) {
        bool found = false;
        for (const auto& [other_key, other_value] : b.entries) {
          std::optional<bool> keq = PyEquals(key, other_key);
          if (!keq) return std::nullopt;
          if (*keq) {
            std::optional<bool> veq = PyEquals(value, other_value);
            if (!veq || !*veq) return veq;
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace corral::gunicorn
