// Tokenizer for Gunicorn config files: Python source split into logical
// lines (brackets and backslashes joined), each with its indentation.
#ifndef CORRAL_GUNICORN_PYTHON_TOKENS_H_
#define CORRAL_GUNICORN_PYTHON_TOKENS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corral::gunicorn {

struct PyToken {
  enum class Type { kName, kNumber, kString, kOp };
  Type type = Type::kOp;
  // The token as written (for strings: with prefix and quotes).
  std::string text;
  // Strings only: the decoded content (raw content for f-strings), and
  // whether it is an f-string or bytes.
  std::string value;
  bool fstring = false;
  bool bytes = false;
  bool raw = false;
  // Byte offsets in the source, for quoting expressions in messages.
  size_t begin = 0;
  size_t end = 0;
  int line = 0;

  bool Is(absl::string_view op) const { return (type == Type::kOp || type == Type::kName) && text == op; }
};

struct PyLogicalLine {
  int indent = 0;  // columns, tabs to the next multiple of 8
  int line = 0;    // 1-based line of the first token
  std::vector<PyToken> tokens;
};

// Whether `word` is one of Python 3's reserved keywords (`if`, `None`,
// `lambda`, ...), which can never be a name. Soft keywords (`match`) are not.
bool IsPythonKeyword(absl::string_view word);

// Decodes the backslash escapes of a non-raw string literal's body.
std::string DecodePythonEscapes(absl::string_view body);

// Splits `source` into logical lines. Blank and comment-only lines are
// dropped. Fails (like Python's SyntaxError) on an unterminated string or
// unbalanced brackets, naming the line.
absl::StatusOr<std::vector<PyLogicalLine>> TokenizePython(absl::string_view source);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_PYTHON_TOKENS_H_
