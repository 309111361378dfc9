#include "compose/variable_expansion.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace corral::compose {
namespace {

// The inside of ${...}: NAME, NAME:-word, NAME-word, NAME:?err, NAME?err,
// NAME:+word, NAME+word. The word is expanded only when it is used.
absl::Status ExpandBraced(absl::string_view inner, const VarLookup& lookup, Dialect dialect, std::string* out) {
  size_t n = 0;
  while (n < inner.size() && IsNameChar(inner[n])) ++n;
  if (n == 0 || !IsNameStart(inner[0])) {
    return absl::InvalidArgumentError(absl::StrCat("invalid interpolation format ${", inner, "}"));
  }
  const std::string name(inner.substr(0, n));
  absl::string_view rest = inner.substr(n);
  const std::optional<std::string> value = lookup(name);
  if (rest.empty()) {
    if (!value) return absl::NotFoundError(absl::StrCat("variable ", name, " is not set and has no default"));
    out->append(*value);
    return absl::OkStatus();
  }
  const bool colon = absl::ConsumePrefix(&rest, ":");
  if (rest.empty()) return absl::InvalidArgumentError(absl::StrCat("invalid interpolation format ${", inner, "}"));
  const char op = rest[0];
  rest.remove_prefix(1);
  const bool missing = !value || (colon && value->empty());
  switch (op) {
    case '-':
      if (missing) return Expand(rest, lookup, dialect, out);
      out->append(*value);
      return absl::OkStatus();
    case '?':
      if (missing) {
        return absl::FailedPreconditionError(
            absl::StrCat("required variable ", name, " is missing a value", rest.empty() ? "" : ": ", rest));
      }
      out->append(*value);
      return absl::OkStatus();
    case '+':
      if (!missing) return Expand(rest, lookup, dialect, out);
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(absl::StrCat("invalid interpolation format ${", inner, "}"));
  }
}

}  // namespace

bool IsNameStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

absl::Status Expand(absl::string_view text, const VarLookup& lookup, Dialect dialect, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (!dialect.compose && c == '\\' && i + 1 < text.size() && text[i + 1] == '$') {
      out->push_back('$');
      i += 2;
      continue;
    }
    if (c != '$') {
      out->push_back(c);
      ++i;
      continue;
    }
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (dialect.compose && next == '$') {
      out->push_back('$');
      i += 2;
    } else if (IsNameStart(next)) {
      size_t end = i + 1;
      while (end < text.size() && IsNameChar(text[end])) ++end;
      const std::string name(text.substr(i + 1, end - i - 1));
      const std::optional<std::string> value = lookup(name);
      if (!value) return absl::NotFoundError(absl::StrCat("variable ", name, " is not set and has no default"));
      out->append(*value);
      i = end;
    } else if (next == '{') {
      size_t j = i + 2;
      int depth = 1;
      while (j < text.size()) {
        if (text[j] == '$' && j + 1 < text.size() && text[j + 1] == '{') {
          ++depth;
          j += 2;
          continue;
        }
        if (text[j] == '}' && --depth == 0) break;
        ++j;
      }
      if (depth != 0) return absl::InvalidArgumentError(absl::StrCat("unterminated ${ in '", text, "'"));
      CORRAL_RETURN_IF_ERROR(ExpandBraced(text.substr(i + 2, j - i - 2), lookup, dialect, out));
      i = j + 1;
    } else if (dialect.compose) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid interpolation format in '", text, "' (write $$ for a literal $)"));
    } else {
      out->push_back('$');
      ++i;
    }
  }
  return absl::OkStatus();
}

}  // namespace corral::compose
