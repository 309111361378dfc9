#include "gunicorn/python_expression.h"

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gunicorn/python_builtins.h"
#include "gunicorn/python_config.h"
#include "gunicorn/python_operators.h"

namespace corral::gunicorn::python_internal {
namespace {

using Kind = PyValue::Kind;

PyValue Unknown(std::string reason) { return PyValue::Unknown(std::move(reason)); }

// A recursive-descent parser over tokens [begin, end) that evaluates as it
// parses, one method per level of Python's expression grammar.
class ExpressionParser {
 public:
  ExpressionParser(ExpressionScope& scope, const std::vector<PyToken>& tokens, size_t begin, size_t end)
      : scope_(scope), tokens_(tokens), pos_(begin), end_(end) {}

  // expression_list: one expression, or a tuple when commas follow.
  PyValue ExpressionList() {
    PyValue first = Expression();
    if (!Peek(",")) return first;
    std::vector<PyValue> items{std::move(first)};
    while (Accept(",")) {
      if (AtEnd()) break;
      items.push_back(Expression());
    }
    return PyValue::Tuple(std::move(items));
  }

  PyValue Expression();

  // The result of the expression just parsed.
  ExpressionResult Result(PyValue value) const {
    ExpressionResult result;
    result.value = std::move(value);
    if (failed_) result.syntax_error = error_;
    result.trailing_tokens = !AtEnd();
    return result;
  }

 private:
  bool AtEnd() const { return pos_ >= end_ || failed_; }
  const PyToken* Current() const { return pos_ < end_ ? &tokens_[pos_] : nullptr; }
  bool Peek(absl::string_view op) const {
    const PyToken* t = Current();
    return t != nullptr && t->type != PyToken::Type::kString && t->type != PyToken::Type::kNumber && t->text == op;
  }
  bool Accept(absl::string_view op) {
    if (!Peek(op)) return false;
    ++pos_;
    return true;
  }
  PyValue Fail(std::string message) {
    if (!failed_) {
      failed_ = true;
      error_ = std::move(message);
    }
    return Unknown(error_);
  }
  bool Expect(absl::string_view op) {
    if (Accept(op)) return true;
    Fail(absl::StrCat("expected '", op, "'"));
    return false;
  }

  PyValue Ternary();
  PyValue OrTest();
  PyValue AndTest();
  PyValue NotTest();
  PyValue Comparison();
  PyValue BitOr();
  PyValue BitXor();
  PyValue BitAnd();
  PyValue Shift();
  PyValue Arith();
  PyValue Term();
  PyValue Factor();
  PyValue Power();
  PyValue Primary();
  PyValue Atom();
  PyValue StringAtom();
  PyValue FString(const PyToken& token);
  PyValue Number(const PyToken& token);
  PyValue Subscript(const PyValue& object, const PyValue& key);
  PyValue CallArguments(const PyValue& callee);
  PyValue Binary(absl::string_view op, const PyValue& a, const PyValue& b);
  std::optional<bool> Compare(absl::string_view op, const PyValue& a, const PyValue& b, std::string* why);

  ExpressionScope& scope_;
  const std::vector<PyToken>& tokens_;
  size_t pos_;
  size_t end_;
  bool failed_ = false;
  std::string error_;
  int depth_ = 0;
  static constexpr int kMaxDepth = 200;
};

// Evaluates the text of an f-string's replacement field.
PyValue EvaluateFieldText(ExpressionScope& scope, absl::string_view expression_source) {
  absl::StatusOr<std::vector<PyLogicalLine>> lines = TokenizePython(expression_source);
  if (!lines.ok() || lines->size() != 1) return Unknown("cannot parse an f-string field");
  ExpressionResult result = EvaluateExpressionList(scope, (*lines)[0].tokens, 0, (*lines)[0].tokens.size());
  if (result.syntax_error) return Unknown(*result.syntax_error);
  if (result.trailing_tokens) return Unknown("cannot parse an f-string field");
  return result.value;
}

PyValue ExpressionParser::Expression() {
  if (Peek("lambda")) return Fail("lambda is not evaluated");
  // Python's own parser refuses deeper nesting; so does this one, before
  // the stack would.
  if (++depth_ > kMaxDepth) return Fail("expression nested too deeply");
  PyValue value = Ternary();
  --depth_;
  return value;
}

PyValue ExpressionParser::Ternary() {
  PyValue value = OrTest();
  if (!Accept("if")) return value;
  PyValue condition = OrTest();
  if (!Expect("else")) return Unknown(error_);
  PyValue otherwise = Expression();
  std::optional<bool> truth = condition.Truthy();
  if (!truth) return condition.is_unknown() ? condition : Unknown("condition cannot be evaluated");
  return *truth ? value : otherwise;
}

PyValue ExpressionParser::OrTest() {
  PyValue left = AndTest();
  while (Accept("or")) {
    PyValue right = AndTest();
    std::optional<bool> truth = left.Truthy();
    if (!truth) {
      left = left.is_unknown() ? left : Unknown("truth value cannot be evaluated");
    } else if (!*truth) {
      left = right;
    }
  }
  return left;
}

PyValue ExpressionParser::AndTest() {
  PyValue left = NotTest();
  while (Accept("and")) {
    PyValue right = NotTest();
    std::optional<bool> truth = left.Truthy();
    if (!truth) {
      left = left.is_unknown() ? left : Unknown("truth value cannot be evaluated");
    } else if (*truth) {
      left = right;
    }
  }
  return left;
}

PyValue ExpressionParser::NotTest() {
  if (Accept("not")) {
    if (++depth_ > kMaxDepth) return Fail("expression nested too deeply");
    PyValue operand = NotTest();
    --depth_;
    std::optional<bool> truth = operand.Truthy();
    if (!truth) return operand.is_unknown() ? operand : Unknown("truth value cannot be evaluated");
    return PyValue::Bool(!*truth);
  }
  return Comparison();
}

std::optional<bool> ExpressionParser::Compare(absl::string_view op, const PyValue& a, const PyValue& b,
                                              std::string* why) {
  if ((op == "in" || op == "not in") && b.kind == Kind::kEnviron) {
    std::optional<bool> found = EnvironContains(scope_, a, why);
    if (!found) return std::nullopt;
    return op == "in" ? *found : !*found;
  }
  return CompareValues(op, a, b, why);
}

PyValue ExpressionParser::Comparison() {
  PyValue left = BitOr();
  // Chained comparisons: `a < b <= c` is true when every link is.
  bool result = true;
  bool known = true;
  PyValue unknown;
  bool any = false;
  while (true) {
    std::string op;
    if (Peek("==") || Peek("!=") || Peek("<") || Peek("<=") || Peek(">") || Peek(">=") || Peek("in")) {
      op = Current()->text;
      ++pos_;
    } else if (Peek("not") && pos_ + 1 < end_ && tokens_[pos_ + 1].Is("in")) {
      op = "not in";
      pos_ += 2;
    } else if (Peek("is")) {
      ++pos_;
      op = Accept("not") ? "is not" : "is";
    } else {
      break;
    }
    PyValue right = BitOr();
    any = true;
    if (!result) {  // an earlier link was false: Python stops evaluating
      left = right;
      continue;
    }
    if (const PyValue* u = FirstUnknown({&left, &right})) {
      if (known) unknown = *u;
      known = false;
    } else if (known) {
      std::string why;
      std::optional<bool> r = Compare(op, left, right, &why);
      if (!r) {
        unknown = Unknown(why.empty() ? absl::StrCat("comparison '", op, "' is not evaluated") : why);
        known = false;
      } else if (!*r) {
        result = false;
      }
    }
    left = right;
  }
  if (!any) return left;
  if (!known) return unknown.is_unknown() ? unknown : Unknown("comparison cannot be evaluated");
  return PyValue::Bool(result);
}

PyValue ExpressionParser::BitOr() {
  PyValue left = BitXor();
  while (Peek("|")) {
    ++pos_;
    left = Binary("|", left, BitXor());
  }
  return left;
}

PyValue ExpressionParser::BitXor() {
  PyValue left = BitAnd();
  while (Peek("^")) {
    ++pos_;
    left = Binary("^", left, BitAnd());
  }
  return left;
}

PyValue ExpressionParser::BitAnd() {
  PyValue left = Shift();
  while (Peek("&")) {
    ++pos_;
    left = Binary("&", left, Shift());
  }
  return left;
}

PyValue ExpressionParser::Shift() {
  PyValue left = Arith();
  while (Peek("<<") || Peek(">>")) {
    std::string op = Current()->text;
    ++pos_;
    left = Binary(op, left, Arith());
  }
  return left;
}

PyValue ExpressionParser::Arith() {
  PyValue left = Term();
  while (Peek("+") || Peek("-")) {
    std::string op = Current()->text;
    ++pos_;
    left = Binary(op, left, Term());
  }
  return left;
}

PyValue ExpressionParser::Term() {
  PyValue left = Factor();
  while (Peek("*") || Peek("/") || Peek("//") || Peek("%") || Peek("@")) {
    std::string op = Current()->text;
    ++pos_;
    left = Binary(op, left, Factor());
  }
  return left;
}

PyValue ExpressionParser::Factor() {
  if (Peek("-") || Peek("+") || Peek("~")) {
    std::string op = Current()->text;
    ++pos_;
    if (++depth_ > kMaxDepth) return Fail("expression nested too deeply");
    PyValue operand = Factor();
    --depth_;
    return ApplyUnary(op, operand);
  }
  return Power();
}

PyValue ExpressionParser::Power() {
  PyValue base = Primary();
  if (Accept("**")) {
    if (++depth_ > kMaxDepth) return Fail("expression nested too deeply");
    PyValue exponent = Factor();
    --depth_;
    return Binary("**", base, exponent);
  }
  return base;
}

PyValue ExpressionParser::Primary() {
  PyValue value = Atom();
  while (!failed_) {
    if (Accept(".")) {
      const PyToken* name = Current();
      if (name == nullptr || name->type != PyToken::Type::kName) return Fail("expected a name after '.'");
      ++pos_;
      value = GetAttribute(value, name->text);
    } else if (Accept("(")) {
      value = scope_.Charged(CallArguments(value));
    } else if (Accept("[")) {
      size_t start = pos_;
      int depth = 0;
      for (size_t i = pos_; i < end_; ++i) {
        if (tokens_[i].Is("(") || tokens_[i].Is("[") || tokens_[i].Is("{")) ++depth;
        if (tokens_[i].Is(")") || tokens_[i].Is("]") || tokens_[i].Is("}")) {
          if (depth == 0) break;
          --depth;
        }
        if (depth == 0 && tokens_[i].Is(":")) return Fail("slices are not evaluated");
      }
      pos_ = start;
      PyValue key = ExpressionList();
      if (!Expect("]")) return Unknown(error_);
      value = Subscript(value, key);
    } else {
      break;
    }
  }
  return value;
}

PyValue ExpressionParser::Atom() {
  const PyToken* t = Current();
  if (t == nullptr) return Fail("unexpected end of expression");
  if (t->type == PyToken::Type::kNumber) {
    ++pos_;
    return Number(*t);
  }
  if (t->type == PyToken::Type::kString) return StringAtom();
  if (t->type == PyToken::Type::kName) {
    ++pos_;
    if (t->text == "True") return PyValue::Bool(true);
    if (t->text == "False") return PyValue::Bool(false);
    if (t->text == "None") return PyValue::None();
    if (IsPythonKeyword(t->text)) return Fail(absl::StrCat("unexpected '", t->text, "'"));
    return LookUpName(scope_, t->text);
  }
  if (Accept("(")) {
    if (Accept(")")) return PyValue::Tuple({});
    PyValue first = Expression();
    if (Peek("for")) return Fail("generator expressions are not evaluated");
    if (Accept(")")) return first;
    std::vector<PyValue> items{std::move(first)};
    while (Accept(",")) {
      if (Peek(")")) break;
      items.push_back(Expression());
    }
    if (!Expect(")")) return Unknown(error_);
    return PyValue::Tuple(std::move(items));
  }
  if (Accept("[")) {
    std::vector<PyValue> items;
    while (!Peek("]") && !failed_) {
      items.push_back(Expression());
      if (Peek("for")) return Fail("list comprehensions are not evaluated");
      if (!Accept(",")) break;
    }
    if (!Expect("]")) return Unknown(error_);
    return PyValue::List(std::move(items));
  }
  if (Accept("{")) {
    std::vector<std::pair<PyValue, PyValue>> entries;
    bool is_set = false;
    while (!Peek("}") && !failed_) {
      if (Peek("**")) return Fail("dict unpacking is not evaluated");
      PyValue key = Expression();
      if (Peek("for")) return Fail("comprehensions are not evaluated");
      if (Accept(":")) {
        PyValue value = Expression();
        if (Peek("for")) return Fail("comprehensions are not evaluated");
        entries.emplace_back(std::move(key), std::move(value));
      } else {
        is_set = true;
      }
      if (!Accept(",")) break;
    }
    if (!Expect("}")) return Unknown(error_);
    if (is_set) return Unknown("sets are not evaluated");
    return PyValue::Dict(std::move(entries));
  }
  return Fail(absl::StrCat("unexpected '", t->text, "'"));
}

PyValue ExpressionParser::Number(const PyToken& token) {
  std::string text = token.text;
  char last = absl::ascii_tolower(text.back());
  if (last == 'j') return Unknown("complex numbers are not evaluated");
  bool is_float = !absl::StartsWithIgnoreCase(text, "0x") && (text.find_first_of(".eE") != std::string::npos);
  if (is_float) {
    std::string cleaned;
    for (char c : text) {
      if (c != '_') cleaned += c;
    }
    double d = 0;
    if (!absl::SimpleAtod(cleaned, &d)) return Fail(absl::StrCat("invalid number '", text, "'"));
    return PyValue::Float(d);
  }
  std::optional<int64_t> value = ParsePythonInt(text, 0);
  if (!value) {
    // A literal too large for 64 bits is valid Python, just not evaluated.
    return Unknown(absl::StrCat("integer literal '", text, "' is not evaluated"));
  }
  return PyValue::Int(*value);
}

PyValue ExpressionParser::StringAtom() {
  // Adjacent literals concatenate: "a" "b" == "ab".
  std::string text;
  bool bytes = false;
  std::optional<PyValue> unknown;
  while (const PyToken* t = Current()) {
    if (t->type != PyToken::Type::kString) break;
    ++pos_;
    bytes = t->bytes;
    if (t->fstring) {
      PyValue part = FString(*t);
      if (part.is_unknown()) {
        if (!unknown) unknown = part;
      } else {
        text += part.text;
      }
    } else {
      text += t->value;
    }
  }
  if (unknown) return *unknown;
  return bytes ? PyValue::Bytes(text) : PyValue::Str(text);
}

PyValue ExpressionParser::FString(const PyToken& token) {
  const std::string& body = token.value;
  std::string out;
  std::string literal;
  auto flush_literal = [&] {
    out += token.raw ? literal : DecodePythonEscapes(literal);
    literal.clear();
  };
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if ((c == '{' || c == '}') && i + 1 < body.size() && body[i + 1] == c) {
      literal += c;
      ++i;
      continue;
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    flush_literal();
    int depth = 0;
    size_t j = i + 1;
    for (; j < body.size(); ++j) {
      if (body[j] == '{' || body[j] == '[' || body[j] == '(') ++depth;
      if (body[j] == ']' || body[j] == ')') --depth;
      if (body[j] == '}') {
        if (depth == 0) break;
        --depth;
      }
    }
    if (j >= body.size()) return Unknown("f-string: expecting '}'");
    std::string field = body.substr(i + 1, j - i - 1);
    std::string conversion;
    size_t bang = field.rfind('!');
    if (bang != std::string::npos && bang + 2 == field.size() && (bang == 0 || field[bang - 1] != '=')) {
      conversion = field.substr(bang + 1);
      field = field.substr(0, bang);
    }
    int bracket_depth = 0;
    for (size_t k = 0; k < field.size(); ++k) {
      if (field[k] == '[' || field[k] == '(' || field[k] == '{') ++bracket_depth;
      if (field[k] == ']' || field[k] == ')' || field[k] == '}') --bracket_depth;
      if (field[k] == ':' && bracket_depth == 0) return Unknown("f-string format specs are not evaluated");
    }
    PyValue value = EvaluateFieldText(scope_, field);
    if (value.is_unknown()) return value;
    out += conversion == "r" ? value.Repr() : value.ToStr();
    if (out.size() > kMaxValueSize) return TooLarge();
    i = j;
  }
  flush_literal();
  return PyValue::Str(out);
}

PyValue ExpressionParser::Subscript(const PyValue& object, const PyValue& key) {
  if (const PyValue* u = FirstUnknown({&object, &key})) return *u;
  if (object.kind == Kind::kEnviron) return EnvironGet(scope_, key, std::nullopt, /*raise_if_missing=*/true);
  if (object.kind == Kind::kDict) {
    for (const auto& [k, v] : object.entries) {
      std::optional<bool> eq = PyEquals(k, key);
      if (eq && *eq) return v;
    }
    return Unknown(absl::StrCat("KeyError: ", key.Repr()));
  }
  if ((object.is_sequence() || object.kind == Kind::kStr) && key.kind == Kind::kInt) {
    int64_t size = object.kind == Kind::kStr ? static_cast<int64_t>(object.text.size())
                                             : static_cast<int64_t>(object.items.size());
    int64_t index = key.integer < 0 ? key.integer + size : key.integer;
    if (index < 0 || index >= size) return Unknown("IndexError: index out of range");
    if (object.kind == Kind::kStr) return PyValue::Str(object.text.substr(static_cast<size_t>(index), 1));
    return object.items[static_cast<size_t>(index)];
  }
  return Unknown(absl::StrCat("subscript of ", object.TypeName(), " is not evaluated"));
}

PyValue ExpressionParser::CallArguments(const PyValue& callee) {
  std::vector<PyValue> args;
  std::vector<std::pair<std::string, PyValue>> kwargs;
  while (!Peek(")") && !failed_) {
    if (Peek("*") || Peek("**")) return Fail("star arguments are not evaluated");
    const PyToken* t = Current();
    if (t != nullptr && t->type == PyToken::Type::kName && pos_ + 1 < end_ && tokens_[pos_ + 1].Is("=")) {
      pos_ += 2;
      kwargs.emplace_back(t->text, Expression());
    } else {
      args.push_back(Expression());
      if (Peek("for")) return Fail("generator expressions are not evaluated");
    }
    if (!Accept(",")) break;
  }
  if (!Expect(")")) return Unknown(error_);
  return Call(scope_, callee, args, kwargs);
}

PyValue ExpressionParser::Binary(absl::string_view op, const PyValue& a, const PyValue& b) {
  return scope_.Charged(ApplyBinary(op, a, b));
}

}  // namespace

ExpressionResult EvaluateExpression(ExpressionScope& scope, const std::vector<PyToken>& tokens, size_t begin,
                                    size_t end) {
  ExpressionParser parser(scope, tokens, begin, end);
  PyValue value = parser.Expression();
  return parser.Result(std::move(value));
}

ExpressionResult EvaluateExpressionList(ExpressionScope& scope, const std::vector<PyToken>& tokens, size_t begin,
                                        size_t end) {
  ExpressionParser parser(scope, tokens, begin, end);
  PyValue value = parser.ExpressionList();
  return parser.Result(std::move(value));
}

PyValue LookUpName(ExpressionScope& scope, const std::string& name) {
  if (const PyValue* bound = scope.FindName(name)) return scope.Charged(*bound);
  if (std::optional<PyValue> builtin = BuiltinFunction(name)) return *builtin;
  return Unknown(absl::StrCat("name '", name, "' is not defined in the file"));
}

}  // namespace corral::gunicorn::python_internal
