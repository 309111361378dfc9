#include "gunicorn/python_tokens.h"

#include <cctype>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace corral::gunicorn {
namespace {

bool IsNameStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IsNameChar(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

}  // namespace

bool IsPythonKeyword(absl::string_view word) {
  static const std::set<absl::string_view> kKeywords = {
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
  return kKeywords.count(word) > 0;
}

std::string DecodePythonEscapes(absl::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      out += c;
      continue;
    }
    char e = body[++i];
    switch (e) {
      case '\n':
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        int value = 0;
        size_t n = 0;
        while (n < 3 && i < body.size() && body[i] >= '0' && body[i] <= '7') {
          value = value * 8 + (body[i] - '0');
          ++i;
          ++n;
        }
        --i;
        AppendUtf8(static_cast<uint32_t>(value), &out);
        break;
      }
      case 'x':
      case 'u':
      case 'U': {
        size_t digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        uint32_t value = 0;
        size_t n = 0;
        while (n < digits && i + 1 < body.size() && std::isxdigit(static_cast<unsigned char>(body[i + 1]))) {
          char h = body[++i];
          value = value * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                         ? h - '0'
                                                         : (absl::ascii_tolower(h) - 'a' + 10));
          ++n;
        }
        AppendUtf8(value, &out);
        break;
      }
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
      case '\'':
      case '"':
        out += e;
        break;
      default:
        out += '\\';
        out += e;
    }
  }
  return out;
}

namespace {

PyToken MakeToken(PyToken::Type type, std::string text, size_t begin, size_t end, int line) {
  PyToken token;
  token.type = type;
  token.text = std::move(text);
  token.begin = begin;
  token.end = end;
  token.line = line;
  return token;
}

class Tokenizer {
 public:
  explicit Tokenizer(absl::string_view source) : src_(source) {}

  absl::StatusOr<std::vector<PyLogicalLine>> Run() {
    while (pos_ < src_.size()) {
      if (at_line_start_) {
        MeasureIndent();
        if (pos_ >= src_.size()) break;
      }
      char c = src_[pos_];
      if (c == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
        continue;
      }
      if (c == '\n') {
        ++pos_;
        ++line_;
        if (depth_ == 0) EndLogicalLine();
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        ++pos_;
        continue;
      }
      if (c == '\\' && pos_ + 1 < src_.size() && (src_[pos_ + 1] == '\n' || src_[pos_ + 1] == '\r')) {
        pos_ += src_[pos_ + 1] == '\r' && pos_ + 2 < src_.size() && src_[pos_ + 2] == '\n' ? 3 : 2;
        ++line_;
        continue;
      }
      absl::Status status = NextToken();
      if (!status.ok()) return status;
    }
    if (depth_ != 0) return absl::InvalidArgumentError(absl::StrCat("line ", open_line_, ": unclosed bracket"));
    EndLogicalLine();
    return std::move(lines_);
  }

 private:
  void MeasureIndent() {
    int col = 0;
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ') {
        ++col;
      } else if (c == '\t') {
        col = (col / 8 + 1) * 8;
      } else if (c == '\f') {
        col = 0;
      } else {
        break;
      }
      ++pos_;
    }
    indent_ = col;
    at_line_start_ = false;
  }

  void EndLogicalLine() {
    if (!current_.tokens.empty()) {
      current_.indent = line_indent_;
      lines_.push_back(std::move(current_));
    }
    current_ = PyLogicalLine();
    at_line_start_ = true;
  }

  void Push(PyToken token) {
    if (current_.tokens.empty()) {
      current_.line = token.line;
      line_indent_ = indent_;
    }
    current_.tokens.push_back(std::move(token));
  }

  absl::Status NextToken() {
    size_t start = pos_;
    unsigned char c = static_cast<unsigned char>(src_[pos_]);
    if (IsNameStart(c)) {
      while (pos_ < src_.size() && IsNameChar(static_cast<unsigned char>(src_[pos_]))) ++pos_;
      absl::string_view word = src_.substr(start, pos_ - start);
      if (pos_ < src_.size() && (src_[pos_] == '\'' || src_[pos_] == '"') && IsStringPrefix(word)) {
        return StringToken(start, word);
      }
      Push(MakeToken(PyToken::Type::kName, std::string(word), start, pos_, line_));
      return absl::OkStatus();
    }
    if (std::isdigit(c) ||
        (c == '.' && pos_ + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_ + 1])))) {
      bool radix = c == '0' && pos_ + 1 < src_.size() && std::isalpha(static_cast<unsigned char>(src_[pos_ + 1]));
      while (pos_ < src_.size()) {
        char d = src_[pos_];
        bool exponent_sign = !radix && (d == '+' || d == '-') && (src_[pos_ - 1] == 'e' || src_[pos_ - 1] == 'E');
        if (std::isalnum(static_cast<unsigned char>(d)) || d == '_' || (d == '.' && !radix) || exponent_sign) {
          ++pos_;
        } else {
          break;
        }
      }
      Push(MakeToken(PyToken::Type::kNumber, std::string(src_.substr(start, pos_ - start)), start, pos_, line_));
      return absl::OkStatus();
    }
    if (c == '\'' || c == '"') return StringToken(start, "");
    static constexpr absl::string_view kOps3[] = {"**=", "//=", ">>=", "<<=", "...", "!="};
    static constexpr absl::string_view kOps2[] = {"**", "//", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=",
                                                  "*=", "/=", "%=", "&=", "|=", "^=", "@=", "->", ":="};
    absl::string_view rest = src_.substr(pos_);
    for (absl::string_view op : kOps3) {
      if (op.size() == 3 && absl::StartsWith(rest, op)) return Op(start, 3);
    }
    for (absl::string_view op : kOps2) {
      if (absl::StartsWith(rest, op)) return Op(start, 2);
    }
    if (c == '(' || c == '[' || c == '{') {
      if (depth_ == 0) open_line_ = line_;
      ++depth_;
    } else if (c == ')' || c == ']' || c == '}') {
      if (depth_ == 0)
        return absl::InvalidArgumentError(absl::StrCat("line ", line_, ": unmatched '", std::string(1, c), "'"));
      --depth_;
    }
    if (std::string("+-*/%@&|^~<>()[]{},:;.=!").find(static_cast<char>(c)) == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_, ": invalid character '", std::string(1, c), "'"));
    }
    return Op(start, 1);
  }

  absl::Status Op(size_t start, size_t length) {
    pos_ += length;
    Push(MakeToken(PyToken::Type::kOp, std::string(src_.substr(start, length)), start, pos_, line_));
    return absl::OkStatus();
  }

  static bool IsStringPrefix(absl::string_view word) {
    std::string lower = absl::AsciiStrToLower(word);
    for (absl::string_view p : {"r", "u", "b", "f", "br", "rb", "fr", "rf"}) {
      if (lower == p) return true;
    }
    return false;
  }

  absl::Status StringToken(size_t start, absl::string_view prefix) {
    std::string lower = absl::AsciiStrToLower(prefix);
    bool raw = absl::StrContains(lower, 'r');
    bool fstring = absl::StrContains(lower, 'f');
    bool bytes = absl::StrContains(lower, 'b');
    char quote = src_[pos_];
    bool triple = src_.substr(pos_, 3) == std::string(3, quote);
    size_t open_len = triple ? 3 : 1;
    int start_line = line_;
    size_t body_start = pos_ + open_len;
    size_t i = body_start;
    while (true) {
      if (i >= src_.size()) {
        return absl::InvalidArgumentError(absl::StrCat("line ", start_line, ": unterminated string literal"));
      }
      char d = src_[i];
      if (d == '\\') {
        if (i + 1 < src_.size() && src_[i + 1] == '\n') ++line_;
        i += 2;
        continue;
      }
      if (d == '\n') {
        if (!triple)
          return absl::InvalidArgumentError(absl::StrCat("line ", start_line, ": unterminated string literal"));
        ++line_;
      }
      if (d == quote && (!triple || src_.substr(i, 3) == std::string(3, quote))) break;
      ++i;
    }
    absl::string_view body = src_.substr(body_start, i - body_start);
    pos_ = i + open_len;
    PyToken token =
        MakeToken(PyToken::Type::kString, std::string(src_.substr(start, pos_ - start)), start, pos_, start_line);
    token.fstring = fstring;
    token.bytes = bytes;
    token.raw = raw;
    token.value = raw || fstring ? std::string(body) : DecodePythonEscapes(body);
    Push(std::move(token));
    return absl::OkStatus();
  }

  absl::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
  int indent_ = 0;
  int line_indent_ = 0;
  int depth_ = 0;
  int open_line_ = 0;
  bool at_line_start_ = true;
  PyLogicalLine current_;
  std::vector<PyLogicalLine> lines_;
};

}  // namespace

absl::StatusOr<std::vector<PyLogicalLine>> TokenizePython(absl::string_view source) { return Tokenizer(source).Run(); }

}  // namespace corral::gunicorn
