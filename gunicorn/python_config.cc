#include "gunicorn/python_config.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "gunicorn/python_builtins.h"
#include "gunicorn/python_expression.h"
#include "gunicorn/python_operators.h"
#include "gunicorn/python_tokens.h"

namespace corral::gunicorn {
namespace {

using Kind = PyValue::Kind;
using python_internal::Environ;
using python_internal::EvaluateExpression;
using python_internal::EvaluateExpressionList;
using python_internal::ExpressionResult;
using python_internal::kMaxValueSize;
using python_internal::TooLarge;
using python_internal::ValueSize;

PyValue Unknown(std::string reason) { return PyValue::Unknown(std::move(reason)); }

// What all the values that names, operators and calls produce for one file
// may add up to, counted as python_operators.h counts them; past it every
// further one is unknown. Without it, copying ever larger values
// (`a = [a, a]` line after line) makes the evaluation quadratic.
constexpr size_t kMaxEvaluatedSize = size_t{8} << 20;

bool IsAugmentedOp(const PyToken& t) {
  static const std::set<absl::string_view> kOps = {
      "+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "|=", "^=", "@="};
  return t.type == PyToken::Type::kOp && kOps.count(t.text) > 0;
}

// Executes a file's statements in order, binding the names they assign.
// An `if` chain runs the clause its condition selects; `def` and `class`
// bind their name without running the body; other compound statements
// (loops, try, with, match) make every name they assign Unknown. Expressions
// are evaluated by python_expression.h, which sees the names bound so far,
// the environment and the budget through this class.
class StatementEvaluator final : public python_internal::ExpressionScope {
 public:
  StatementEvaluator(absl::string_view source, const PythonConfigContext& context)
      : source_(source), context_(context) {
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

  const PyValue* FindName(const std::string& name) const override {
    auto it = names_.find(name);
    return it == names_.end() ? nullptr : &it->second.value;
  }

  const Environ* KnownEnviron() const override { return environ_ ? &*environ_ : nullptr; }

  const std::string& EnvironUnknownReason() const override { return environ_unknown_reason_; }

  int CpuCount() override {
    used_cpu_count_ = true;
    return context_.cpu_count;
  }

  PyValue Charged(PyValue value) override {
    if (!Charge(value)) return Unknown(evaluated_too_much_);
    return value;
  }

 private:
  // Counts `value` against kMaxEvaluatedSize; false once past it.
  bool Charge(const PyValue& value) {
    if (evaluated_ > kMaxEvaluatedSize) return false;
    evaluated_ += ValueSize(value, kMaxEvaluatedSize - evaluated_);
    return evaluated_ <= kMaxEvaluatedSize;
  }

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
        ExpressionResult condition = EvaluateExpression(*this, line.tokens, 1, clause.colon);
        condition_text = SourceText(line.tokens, 1, clause.colon);
        taken = condition.complete() ? condition.value.Truthy() : std::nullopt;
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
        if (t[i].type == PyToken::Type::kName && !IsPythonKeyword(t[i].text) && !after_dot && depth <= 1 &&
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
    ExpressionResult result = EvaluateExpressionList(*this, t, value_begin, end);
    PyValue value = std::move(result.value);
    std::string expression = SourceText(t, value_begin, end);
    if (result.syntax_error) {
      value = Unknown(absl::StrCat("cannot evaluate statically: ", *result.syntax_error));
    } else if (result.trailing_tokens) {
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
      PyValue key = EvaluateExpression(*this, t, begin + 4, end - 1).value;
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
      if (t[i].type == PyToken::Type::kName && !IsPythonKeyword(t[i].text)) {
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
    PyValue current = python_internal::LookUpName(*this, name);
    ExpressionResult operand = EvaluateExpressionList(*this, t, op_index + 1, end);
    if (!operand.complete()) {
      Bind(name, Unknown(absl::StrCat("cannot evaluate statically: ", operand.syntax_error.value_or(""))), line,
           expression);
      return;
    }
    std::string op = t[op_index].text.substr(0, t[op_index].text.size() - 1);
    Bind(name, Charged(python_internal::ApplyBinary(op, current, operand.value)), line, expression);
  }

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
    ExpressionResult result = EvaluateExpression(*this, t, args_begin, args_end);
    const PyValue& argument = result.value;
    if (!result.complete()) {
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
    if (std::optional<PyValue> attribute = python_internal::ModuleAttribute(module, name)) return *attribute;
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
};

}  // namespace

absl::StatusOr<PythonConfigResult> EvaluatePythonConfig(absl::string_view source, const PythonConfigContext& context) {
  return StatementEvaluator(source, context).Run();
}

}  // namespace corral::gunicorn
