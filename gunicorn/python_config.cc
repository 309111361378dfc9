#include "gunicorn/python_config.h"

#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gunicorn/python_tokens.h"

namespace corral::gunicorn {

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

namespace {

using Kind = PyValue::Kind;
using Environ = std::vector<std::pair<std::string, std::string>>;

PyValue Unknown(std::string reason) { return PyValue::Unknown(std::move(reason)); }

// Bounds on what the evaluator builds and copies for one file. Values count
// their text's bytes plus kValueCost per value, nested values included.
// Without them a few short lines ask for exponential memory (`a = "x" * 4096`
// then `a = a * 4096`, or `a += a` over and over) and copying ever larger
// values (`a = [a, a]` line after line) makes the evaluation quadratic.
// Gunicorn settings are far smaller; a literal in the file may still be as
// large as the file.
constexpr size_t kValueCost = 32;
constexpr size_t kMaxValueSize = size_t{1} << 20;
// What all the values that names, operators and calls produce may add up
// to; past it every further one is unknown.
constexpr size_t kMaxEvaluatedSize = size_t{8} << 20;

// The size of `v` as the bounds count it, or any number above `limit` once
// it is known to exceed it.
size_t ValueSize(const PyValue& v, size_t limit = kMaxEvaluatedSize) {
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

// The first Unknown among `values`, if any.
const PyValue* FirstUnknown(std::initializer_list<const PyValue*> values) {
  for (const PyValue* v : values) {
    if (v->is_unknown()) return v;
  }
  return nullptr;
}

double AsDouble(const PyValue& v) { return v.kind == Kind::kFloat ? v.floating : static_cast<double>(v.integer); }

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

// printf-style formatting with %s, %r, %d, %i and %%.
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

// str.format with {} / {0} / {name} fields and no format specs.
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

bool IsKeyword(absl::string_view word) {
  static const std::set<absl::string_view> kKeywords = {
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
  return kKeywords.count(word) > 0;
}

bool IsAugmentedOp(const PyToken& t) {
  static const std::set<absl::string_view> kOps = {
      "+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "|=", "^=", "@="};
  return t.type == PyToken::Type::kOp && kOps.count(t.text) > 0;
}

class Evaluator;

// Parses and evaluates one expression over a token range. Evaluation is
// pure, so both sides of `and`/`or`/ternaries are evaluated and the right one
// chosen; errors become Unknown values, never exceptions.
class ExpressionParser {
 public:
  ExpressionParser(Evaluator& evaluator, const std::vector<PyToken>& tokens, size_t begin, size_t end)
      : ev_(evaluator), tokens_(tokens), pos_(begin), end_(end) {}

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

  bool AtEnd() const { return pos_ >= end_ || failed_; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  size_t position() const { return pos_; }

  PyValue Expression();

 private:
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
  PyValue Attribute(const PyValue& object, const std::string& name);
  PyValue Subscript(const PyValue& object, const PyValue& key);
  PyValue CallArguments(const PyValue& callee);
  PyValue Binary(absl::string_view op, const PyValue& a, const PyValue& b);
  std::optional<bool> Compare(absl::string_view op, const PyValue& a, const PyValue& b, std::string* why);

  Evaluator& ev_;
  const std::vector<PyToken>& tokens_;
  size_t pos_;
  size_t end_;
  bool failed_ = false;
  std::string error_;
  int depth_ = 0;
  static constexpr int kMaxDepth = 200;
};

class Evaluator {
 public:
  Evaluator(absl::string_view source, const PythonConfigContext& context) : source_(source), context_(context) {
    if (context.environ) environ_ = *context.environ;
    environ_unknown_reason_ = context.environ ? "" : context.environ_unknown_reason;
    if (environ_unknown_reason_.empty() && !context.environ) environ_unknown_reason_ = "the environment is unknown";
    Bind("__name__", PyValue::Str("__config__"), 0, "");
    Bind("__file__", PyValue::Str(context.file_path), 0, "");
  }

  absl::StatusOr<PythonConfigResult> Run() {
    absl::StatusOr<std::vector<PyLogicalLine>> lines = TokenizePython(source_);
    if (!lines.ok()) return lines.status();
    lines_ = *std::move(lines);
    ExecuteBlock(0, lines_.size());
    names_.erase("__name__");
    names_.erase("__file__");
    PythonConfigResult result;
    result.names = std::move(names_);
    result.notes = std::move(notes_);
    result.used_cpu_count = used_cpu_count_;
    return result;
  }

  // Name lookup for the expression parser.
  PyValue Lookup(const std::string& name) {
    auto it = names_.find(name);
    if (it != names_.end()) {
      if (!Charge(it->second.value)) return Unknown(evaluated_too_much_);
      return it->second.value;
    }
    static const std::set<std::string> kBuiltins = {"int", "str", "float", "bool", "len", "abs", "min", "max"};
    if (kBuiltins.count(name)) return PyValue::Builtin(name);
    return Unknown(absl::StrCat("name '", name, "' is not defined in the file"));
  }

  PyValue GetEnv(const PyValue& key, const std::optional<PyValue>& fallback, bool raise_if_missing) {
    if (key.is_unknown()) return key;
    if (key.kind != Kind::kStr) return Unknown("environment keys must be str");
    if (!environ_) return Unknown(absl::StrCat("$", key.text, " is unknown: ", environ_unknown_reason_));
    for (const auto& [name, value] : *environ_) {
      if (name == key.text) return PyValue::Str(value);
    }
    if (raise_if_missing) return Unknown(absl::StrCat("KeyError: '", key.text, "' is not in the environment"));
    return fallback ? *fallback : PyValue::None();
  }

  std::optional<bool> EnvironContains(const PyValue& key) {
    if (!environ_ || key.kind != Kind::kStr) return std::nullopt;
    for (const auto& entry : *environ_) {
      if (entry.first == key.text) return true;
    }
    return false;
  }

  // Counts `value` against kMaxEvaluatedSize; false once past it.
  bool Charge(const PyValue& value) {
    if (evaluated_ > kMaxEvaluatedSize) return false;
    evaluated_ += ValueSize(value, kMaxEvaluatedSize - evaluated_);
    return evaluated_ <= kMaxEvaluatedSize;
  }

  // `value`, or unknown once the file has evaluated too much.
  PyValue Charged(PyValue value) {
    if (!Charge(value)) return Unknown(evaluated_too_much_);
    return value;
  }

  PyValue CpuCount() {
    used_cpu_count_ = true;
    if (context_.cpu_count <= 0) return Unknown("the CPU count Python sees is unknown");
    return PyValue::Int(context_.cpu_count);
  }

  PyValue EvaluateText(absl::string_view expression_source) {
    absl::StatusOr<std::vector<PyLogicalLine>> lines = TokenizePython(expression_source);
    if (!lines.ok() || lines->size() != 1) return Unknown("cannot parse an f-string field");
    ExpressionParser parser(*this, (*lines)[0].tokens, 0, (*lines)[0].tokens.size());
    PyValue value = parser.ExpressionList();
    if (parser.failed()) return Unknown(parser.error());
    if (!parser.AtEnd()) return Unknown("cannot parse an f-string field");
    return value;
  }

 private:
  void Bind(const std::string& name, PyValue value, int line, std::string expression) {
    names_[name] = PythonBinding{std::move(value), line, std::move(expression)};
  }

  std::string SourceText(const std::vector<PyToken>& tokens, size_t begin, size_t end) const {
    if (begin >= end) return "";
    absl::string_view raw = source_.substr(tokens[begin].begin, tokens[end - 1].end - tokens[begin].begin);
    // Fold line breaks and runs of spaces so messages stay on one line.
    std::string folded;
    bool space = false;
    for (char c : raw) {
      if (c == '\n' || c == '\r' || c == '\t' || c == ' ' || c == '\\') {
        space = true;
        continue;
      }
      if (space && !folded.empty()) folded += ' ';
      space = false;
      folded += c;
    }
    return folded;
  }

  // The index one past the block of lines indented deeper than `indent`.
  size_t BlockEnd(size_t start, int indent) const {
    size_t i = start;
    while (i < lines_.size() && lines_[i].indent > indent) ++i;
    return i;
  }

  static bool StartsWithKeyword(const PyLogicalLine& line, absl::string_view keyword) {
    return !line.tokens.empty() && line.tokens[0].type == PyToken::Type::kName && line.tokens[0].text == keyword;
  }

  // Position of the ':' ending a compound statement header, at bracket depth 0.
  static size_t HeaderColon(const std::vector<PyToken>& tokens) {
    int depth = 0;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const PyToken& t = tokens[i];
      if (t.type != PyToken::Type::kOp) continue;
      if (t.text == "(" || t.text == "[" || t.text == "{") ++depth;
      if (t.text == ")" || t.text == "]" || t.text == "}") --depth;
      // A lambda inside the header has its own ':'; headers here do not use one.
      if (t.text == ":" && depth == 0) return i;
    }
    return tokens.size();
  }

  void ExecuteBlock(size_t begin, size_t end) {
    size_t i = begin;
    while (i < end) {
      const PyLogicalLine& line = lines_[i];
      const std::vector<PyToken>& t = line.tokens;
      const std::string& head = t[0].type == PyToken::Type::kName ? t[0].text : "";
      if (head == "if") {
        i = ExecuteIf(i, end);
        continue;
      }
      if (head == "def" || head == "class" || (head == "async" && t.size() > 1 && t[1].text == "def")) {
        size_t name_index = head == "async" ? 2 : 1;
        if (name_index < t.size() && t[name_index].type == PyToken::Type::kName) {
          Bind(t[name_index].text, PyValue::Function(t[name_index].text), line.line,
               absl::StrCat(head == "class" ? "class " : "def ", t[name_index].text));
        }
        i = BlockEnd(i + 1, line.indent);
        continue;
      }
      if (!t.empty() && t[0].Is("@")) {  // decorator: the def that follows binds the name
        ++i;
        continue;
      }
      static const std::set<std::string> kOpaqueCompound = {"for",   "while", "try",  "with",   "async",
                                                            "match", "else",  "elif", "except", "finally"};
      if (kOpaqueCompound.count(head) && (head != "match" || HeaderColon(t) < t.size())) {
        // The block's effect depends on runtime behaviour: every name it
        // assigns becomes unknown. try/except/else/finally arrive here one
        // clause at a time.
        size_t block_end = BlockEnd(i + 1, line.indent);
        std::string why = absl::StrCat("assigned inside a `", head, "` block at line ", line.line,
                                       ", which is not evaluated statically");
        MarkAssignedUnknown(i, block_end, why);
        i = block_end;
        continue;
      }
      ExecuteSimpleLine(t, 0, t.size(), line.line);
      ++i;
    }
  }

  // Handles an if/elif/else chain starting at lines_[start]; returns the
  // index after the chain.
  size_t ExecuteIf(size_t start, size_t end) {
    int indent = lines_[start].indent;
    struct Clause {
      size_t line_index;
      size_t colon;
      size_t body_end;
    };
    std::vector<Clause> clauses;
    size_t i = start;
    while (i < end) {
      const PyLogicalLine& line = lines_[i];
      if (line.indent != indent) break;
      bool first = i == start;
      if (first ? !StartsWithKeyword(line, "if")
                : !(StartsWithKeyword(line, "elif") || StartsWithKeyword(line, "else"))) {
        break;
      }
      size_t colon = HeaderColon(line.tokens);
      size_t body_end = BlockEnd(i + 1, indent);
      clauses.push_back({i, colon, body_end});
      i = body_end;
      if (StartsWithKeyword(line, "else")) break;
    }
    size_t chain_end = i;
    for (size_t c = 0; c < clauses.size(); ++c) {
      const Clause& clause = clauses[c];
      const PyLogicalLine& line = lines_[clause.line_index];
      bool is_else = StartsWithKeyword(line, "else");
      std::optional<bool> taken = true;
      std::string condition_text;
      if (!is_else) {
        ExpressionParser parser(*this, line.tokens, 1, clause.colon);
        PyValue condition = parser.Expression();
        condition_text = SourceText(line.tokens, 1, clause.colon);
        taken = parser.failed() || !parser.AtEnd() ? std::nullopt : condition.Truthy();
      }
      if (!taken) {
        // Unknown condition: whatever this clause or any later one assigns
        // is unknown.
        std::string why = absl::StrCat("depends on `", condition_text, "` (line ", line.line,
                                       "), which cannot be evaluated statically");
        MarkAssignedUnknown(clause.line_index, chain_end, why);
        return chain_end;
      }
      if (*taken) {
        ExecuteClauseBody(clause.line_index, clause.colon, clause.body_end);
        return chain_end;
      }
    }
    return chain_end;
  }

  void ExecuteClauseBody(size_t header_index, size_t colon, size_t body_end) {
    const PyLogicalLine& header = lines_[header_index];
    if (colon + 1 < header.tokens.size()) {
      ExecuteSimpleLine(header.tokens, colon + 1, header.tokens.size(), header.line);
    }
    ExecuteBlock(header_index + 1, body_end);
  }

  // Marks every name assigned in lines [begin, end) unknown.
  void MarkAssignedUnknown(size_t begin, size_t end, const std::string& why) {
    for (size_t i = begin; i < end; ++i) {
      for (const std::string& name : AssignedNames(lines_[i].tokens)) {
        Bind(name, Unknown(why), lines_[i].line, "");
      }
    }
  }

  // Names a line may bind: assignment targets, for/with/except/import
  // targets, def/class names.
  static std::vector<std::string> AssignedNames(const std::vector<PyToken>& t) {
    std::vector<std::string> names;
    if (t.empty()) return names;
    auto add_name_list = [&](size_t from, size_t to) {
      int depth = 0;
      for (size_t i = from; i < to && i < t.size(); ++i) {
        if (t[i].Is("(") || t[i].Is("[") || t[i].Is("{")) ++depth;
        if (t[i].Is(")") || t[i].Is("]") || t[i].Is("}")) --depth;
        bool after_dot = i > 0 && t[i - 1].Is(".");
        bool followed_by_subscript = i + 1 < to && (t[i + 1].Is("[") || t[i + 1].Is("."));
        if (t[i].type == PyToken::Type::kName && !IsKeyword(t[i].text) && !after_dot && depth <= 1 &&
            !followed_by_subscript) {
          names.push_back(t[i].text);
        }
      }
    };
    const std::string& head = t[0].text;
    if (head == "def" || head == "class") {
      if (t.size() > 1) names.push_back(t[1].text);
      return names;
    }
    if (head == "for") {
      for (size_t i = 1; i < t.size(); ++i) {
        if (t[i].Is("in")) {
          add_name_list(1, i);
          break;
        }
      }
      return names;
    }
    if (head == "import" || head == "from") {
      for (size_t i = 0; i < t.size(); ++i) {
        if (t[i].Is("as") && i + 1 < t.size()) names.push_back(t[i + 1].text);
      }
      if (head == "import" && names.empty() && t.size() > 1) names.push_back(t[1].text);
      if (head == "from") {
        for (size_t i = 0; i < t.size(); ++i) {
          if (t[i].Is("import")) add_name_list(i + 1, t.size());
        }
      }
      return names;
    }
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i].Is("as") && i + 1 < t.size() && t[i + 1].type == PyToken::Type::kName) {
        names.push_back(t[i + 1].text);
      }
    }
    // Simple statements, possibly after a clause header's ':' on one line.
    size_t start = 0;
    int depth = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i].Is("(") || t[i].Is("[") || t[i].Is("{")) ++depth;
      if (t[i].Is(")") || t[i].Is("]") || t[i].Is("}")) --depth;
      if (depth == 0 && (t[i].Is(":") || t[i].Is(";"))) start = i + 1;
      if (depth == 0 && (t[i].Is("=") || IsAugmentedOp(t[i]))) {
        add_name_list(start, i);
        start = i + 1;
      }
      // NAME.append(...) and friends mutate NAME.
      if (depth == 0 && t[i].type == PyToken::Type::kName && i + 2 < t.size() && t[i + 1].Is(".") &&
          (i == 0 || !t[i - 1].Is("."))) {
        static const std::set<absl::string_view> kMutators = {"append", "extend", "insert", "update",
                                                              "pop",    "remove", "clear",  "setdefault"};
        if (kMutators.count(t[i + 2].text)) names.push_back(t[i].text);
      }
    }
    return names;
  }

  // Splits a line on top-level ';' and executes each simple statement.
  void ExecuteSimpleLine(const std::vector<PyToken>& t, size_t begin, size_t end, int line) {
    int depth = 0;
    size_t start = begin;
    for (size_t i = begin; i <= end; ++i) {
      if (i < end) {
        if (t[i].Is("(") || t[i].Is("[") || t[i].Is("{")) ++depth;
        if (t[i].Is(")") || t[i].Is("]") || t[i].Is("}")) --depth;
      }
      if (i == end || (depth == 0 && t[i].Is(";"))) {
        if (start < i) ExecuteStatement(t, start, i, line);
        start = i + 1;
      }
    }
  }

  void ExecuteStatement(const std::vector<PyToken>& t, size_t begin, size_t end, int line) {
    const PyToken& head = t[begin];
    if (head.type == PyToken::Type::kName) {
      if (head.text == "import") return ExecuteImport(t, begin + 1, end, line);
      if (head.text == "from") return ExecuteFromImport(t, begin + 1, end, line);
      if (head.text == "del") {
        for (size_t i = begin + 1; i < end; ++i) {
          if (t[i].type == PyToken::Type::kName) names_.erase(t[i].text);
        }
        return;
      }
      static const std::set<std::string> kIgnored = {"pass",   "global", "nonlocal", "assert", "raise",
                                                     "return", "break",  "continue", "yield",  "await"};
      if (kIgnored.count(head.text)) return;
    }
    // Find top-level '=' (assignment) or an augmented operator.
    std::vector<size_t> equals;
    size_t augmented = end;
    int depth = 0;
    for (size_t i = begin; i < end; ++i) {
      if (t[i].Is("(") || t[i].Is("[") || t[i].Is("{")) ++depth;
      if (t[i].Is(")") || t[i].Is("]") || t[i].Is("}")) --depth;
      if (depth != 0) continue;
      if (t[i].Is("=")) equals.push_back(i);
      if (IsAugmentedOp(t[i]) && augmented == end) augmented = i;
      if (t[i].Is("lambda")) break;  // a lambda's default arguments are not assignments
    }
    if (augmented != end) return ExecuteAugmented(t, begin, augmented, end, line);
    if (equals.empty()) return ExecuteExpressionStatement(t, begin, end, line);

    size_t value_begin = equals.back() + 1;
    ExpressionParser parser(*this, t, value_begin, end);
    PyValue value = parser.ExpressionList();
    std::string expression = SourceText(t, value_begin, end);
    if (parser.failed()) {
      value = Unknown(absl::StrCat("cannot evaluate statically: ", parser.error()));
    } else if (!parser.AtEnd()) {
      value = Unknown("cannot evaluate statically: unsupported syntax");
    }
    size_t target_begin = begin;
    for (size_t eq : equals) {
      AssignTarget(t, target_begin, eq, value, line, expression);
      target_begin = eq + 1;
    }
  }

  void AssignTarget(const std::vector<PyToken>& t, size_t begin, size_t end, const PyValue& value, int line,
                    const std::string& expression) {
    // Annotated assignment: NAME: annotation = value.
    for (size_t i = begin; i < end; ++i) {
      if (t[i].Is(":")) {
        end = i;
        break;
      }
    }
    if (end == begin + 1 && t[begin].type == PyToken::Type::kName) {
      Bind(t[begin].text, value, line, expression);
      return;
    }
    // os.environ["X"] = value changes what later lookups see.
    if (end - begin >= 4 && t[begin].type == PyToken::Type::kName && t[begin + 1].Is(".") &&
        t[begin + 2].Is("environ") && t[begin + 3].Is("[")) {
      ExpressionParser key_parser(*this, t, begin + 4, end - 1);
      PyValue key = key_parser.Expression();
      if (environ_ && key.kind == Kind::kStr && value.kind == Kind::kStr) {
        bool replaced = false;
        for (auto& entry : *environ_) {
          if (entry.first == key.text) {
            entry.second = value.text;
            replaced = true;
            break;
          }
        }
        if (!replaced) environ_->emplace_back(key.text, value.text);
      } else {
        environ_.reset();
        environ_unknown_reason_ = absl::StrCat("the file changes os.environ at line ", line);
      }
      return;
    }
    // Tuple unpacking: a, b = 1, 2 (optionally parenthesised).
    std::vector<std::string> names;
    bool plain_names = true;
    for (size_t i = begin; i < end; ++i) {
      if (t[i].Is(",") || t[i].Is("(") || t[i].Is(")") || t[i].Is("[") || t[i].Is("]")) continue;
      if (t[i].type == PyToken::Type::kName && !IsKeyword(t[i].text)) {
        names.push_back(t[i].text);
      } else {
        plain_names = false;
      }
    }
    if (plain_names && names.size() > 1) {
      if (value.is_sequence() && value.items.size() == names.size()) {
        for (size_t k = 0; k < names.size(); ++k) Bind(names[k], value.items[k], line, expression);
      } else {
        for (const std::string& name : names) {
          Bind(name, value.is_unknown() ? value : Unknown("tuple unpacking is not evaluated"), line, expression);
        }
      }
      return;
    }
    // Item or attribute assignment (bind[0] = ..., obj.attr = ...): the
    // object is modified in place.
    if (t[begin].type == PyToken::Type::kName && names_.count(t[begin].text)) {
      Bind(t[begin].text, Unknown(absl::StrCat("modified in place at line ", line)), line, SourceText(t, begin, end));
    }
  }

  void ExecuteAugmented(const std::vector<PyToken>& t, size_t begin, size_t op_index, size_t end, int line) {
    std::string expression = SourceText(t, begin, end);
    if (op_index != begin + 1 || t[begin].type != PyToken::Type::kName) return;
    const std::string& name = t[begin].text;
    PyValue current = Lookup(name);
    ExpressionParser parser(*this, t, op_index + 1, end);
    PyValue operand = parser.ExpressionList();
    if (parser.failed() || !parser.AtEnd()) {
      Bind(name, Unknown(absl::StrCat("cannot evaluate statically: ", parser.error())), line, expression);
      return;
    }
    std::string op = t[op_index].text.substr(0, t[op_index].text.size() - 1);
    // Evaluate `current op operand` through the parser's operator rules.
    Bind(name, Charged(ApplyBinary(op, current, operand)), line, expression);
  }

  PyValue ApplyBinary(const std::string& op, const PyValue& a, const PyValue& b);

  void ExecuteExpressionStatement(const std::vector<PyToken>& t, size_t begin, size_t end, int line) {
    // NAME.append(x) / NAME.extend(x) on a known list.
    if (end - begin >= 5 && t[begin].type == PyToken::Type::kName && t[begin + 1].Is(".") && t[begin + 3].Is("(") &&
        t[end - 1].Is(")")) {
      const std::string& name = t[begin].text;
      const std::string& method = t[begin + 2].text;
      auto it = names_.find(name);
      static const std::set<std::string> kMutators = {"append", "extend", "insert", "update",
                                                      "pop",    "remove", "clear",  "setdefault"};
      if (it != names_.end() && kMutators.count(method)) {
        PyBindingUpdate(it->second, method, t, begin + 4, end - 1, line, SourceText(t, begin, end));
        return;
      }
      if (name == "os" && method == "environ") {
        environ_.reset();
        environ_unknown_reason_ = absl::StrCat("the file changes os.environ at line ", line);
        return;
      }
    }
    static const std::set<absl::string_view> kDynamic = {"globals", "locals",  "exec",      "eval",
                                                         "vars",    "setattr", "__import__"};
    for (size_t i = begin; i < end; ++i) {
      if (t[i].type == PyToken::Type::kName && kDynamic.count(t[i].text)) {
        notes_.push_back(absl::StrCat("line ", line, " calls ", t[i].text,
                                      "(), which can set names Corral cannot see; values may be incomplete"));
        return;
      }
    }
  }

  void PyBindingUpdate(PythonBinding& binding, const std::string& method, const std::vector<PyToken>& t,
                       size_t args_begin, size_t args_end, int line, const std::string& expression) {
    binding.line = line;
    binding.expression = expression;
    if (binding.value.kind != Kind::kList || (method != "append" && method != "extend")) {
      binding.value = Unknown(absl::StrCat("modified by .", method, "() at line ", line));
      return;
    }
    ExpressionParser parser(*this, t, args_begin, args_end);
    PyValue argument = parser.Expression();
    if (parser.failed() || !parser.AtEnd()) {
      binding.value = Unknown(absl::StrCat("modified by .", method, "() at line ", line, " with a value that ",
                                           "cannot be evaluated statically"));
      return;
    }
    if (!argument.is_unknown() && (argument.is_sequence() || method == "append") &&
        ValueSize(binding.value, kMaxValueSize) + ValueSize(argument, kMaxValueSize) > kMaxValueSize) {
      binding.value = TooLarge();
    } else if (method == "append") {
      binding.value.items.push_back(argument);
    } else if (argument.is_sequence()) {
      for (const PyValue& item : argument.items) binding.value.items.push_back(item);
    } else {
      binding.value = argument.is_unknown() ? argument : Unknown("list.extend() of a non-sequence");
    }
  }

  void ExecuteImport(const std::vector<PyToken>& t, size_t begin, size_t end, int line) {
    // import a.b.c [as x], d
    size_t i = begin;
    while (i < end) {
      std::string dotted;
      while (i < end && (t[i].type == PyToken::Type::kName || t[i].Is(".")) && !t[i].Is("as")) {
        dotted += t[i].text;
        ++i;
      }
      std::string bound = dotted.substr(0, dotted.find('.'));
      PyValue module = PyValue::Module(bound);
      if (i + 1 < end && t[i].Is("as")) {
        bound = t[i + 1].text;
        module = PyValue::Module(dotted);
        i += 2;
      }
      if (!bound.empty()) Bind(bound, module, line, absl::StrCat("import ", dotted));
      if (i < end && t[i].Is(","))
        ++i;
      else
        break;
    }
  }

  void ExecuteFromImport(const std::vector<PyToken>& t, size_t begin, size_t end, int line) {
    std::string module;
    size_t i = begin;
    while (i < end && !t[i].Is("import")) module += t[i++].text;
    ++i;
    if (i < end && t[i].Is("*")) {
      notes_.push_back(absl::StrCat("line ", line, ": `from ", module, " import *` is not followed"));
      return;
    }
    while (i < end) {
      if (t[i].Is("(") || t[i].Is(")") || t[i].Is(",")) {
        ++i;
        continue;
      }
      std::string name = t[i].text;
      std::string bound = name;
      if (i + 2 < end && t[i + 1].Is("as")) {
        bound = t[i + 2].text;
        i += 3;
      } else {
        ++i;
      }
      Bind(bound, ImportedAttribute(module, name), line, absl::StrCat("from ", module, " import ", name));
    }
  }

  static PyValue ImportedAttribute(const std::string& module, const std::string& name) {
    if (module == "os") {
      if (name == "environ") return PyValue::Environ();
      if (name == "getenv") return PyValue::Builtin("os.getenv");
      if (name == "cpu_count") return PyValue::Builtin("os.cpu_count");
      if (name == "path") return PyValue::Module("os.path");
    }
    if (module == "multiprocessing" && name == "cpu_count") return PyValue::Builtin("multiprocessing.cpu_count");
    return Unknown(absl::StrCat("'", name, "' imported from module '", module, "' is not evaluated"));
  }

  absl::string_view source_;
  const PythonConfigContext& context_;
  std::vector<PyLogicalLine> lines_;
  std::map<std::string, PythonBinding> names_;
  std::vector<std::string> notes_;
  std::optional<Environ> environ_;
  std::string environ_unknown_reason_;
  bool used_cpu_count_ = false;
  size_t evaluated_ = 0;
  const std::string evaluated_too_much_ =
      absl::StrCat("the file builds more than ", kMaxEvaluatedSize >> 20, " MiB of values; not evaluated");

  friend class ExpressionParser;
};

// ---- Expression grammar ------------------------------------------------

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
    } else if (b.kind == Kind::kEnviron) {
      found = ev_.EnvironContains(a);
      if (!found) *why = ev_.environ_unknown_reason_;
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
      value = Attribute(value, name->text);
    } else if (Accept("(")) {
      value = ev_.Charged(CallArguments(value));
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
    if (IsKeyword(t->text)) return Fail(absl::StrCat("unexpected '", t->text, "'"));
    return ev_.Lookup(t->text);
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
    PyValue value = ev_.EvaluateText(field);
    if (value.is_unknown()) return value;
    out += conversion == "r" ? value.Repr() : value.ToStr();
    if (out.size() > kMaxValueSize) return TooLarge();
    i = j;
  }
  flush_literal();
  return PyValue::Str(out);
}

PyValue ExpressionParser::Attribute(const PyValue& object, const std::string& name) {
  if (object.is_unknown()) return object;
  switch (object.kind) {
    case Kind::kModule:
      if (object.text == "os") {
        if (name == "environ") return PyValue::Environ();
        if (name == "getenv") return PyValue::Builtin("os.getenv");
        if (name == "cpu_count") return PyValue::Builtin("os.cpu_count");
        if (name == "path") return PyValue::Module("os.path");
      }
      if (object.text == "multiprocessing" && name == "cpu_count") {
        return PyValue::Builtin("multiprocessing.cpu_count");
      }
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

PyValue ExpressionParser::Subscript(const PyValue& object, const PyValue& key) {
  if (const PyValue* u = FirstUnknown({&object, &key})) return *u;
  if (object.kind == Kind::kEnviron) return ev_.GetEnv(key, std::nullopt, /*raise_if_missing=*/true);
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
    return ev_.CpuCount();
  }
  if (id == "environ.get" || id == "os.getenv") {
    std::optional<PyValue> fallback;
    if (args.size() >= 2) fallback = args[1];
    for (const auto& kw : kwargs) {
      if (kw.first == "default") fallback = kw.second;
    }
    if (!arity(1, 2) || args[0].is_unknown()) return args.empty() ? Unknown("TypeError: missing key") : args[0];
    PyValue value = ev_.GetEnv(args[0], fallback, false);
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
      std::optional<bool> less = Compare("<", candidates[k], best, &why);
      std::optional<bool> greater = Compare(">", candidates[k], best, &why);
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

PyValue ExpressionParser::Binary(absl::string_view op, const PyValue& a, const PyValue& b) {
  return ev_.Charged(ev_.ApplyBinary(std::string(op), a, b));
}

PyValue Evaluator::ApplyBinary(const std::string& op, const PyValue& a, const PyValue& b) {
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

}  // namespace

absl::StatusOr<PythonConfigResult> EvaluatePythonConfig(absl::string_view source, const PythonConfigContext& context) {
  return Evaluator(source, context).Run();
}

}  // namespace corral::gunicorn
