#include "compose/shell_lexer.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace corral::compose {

std::optional<std::pair<std::string, std::string>> ParseAssignment(const std::string& word) {
  const size_t eq = word.find('=');
  if (eq == std::string::npos || eq == 0 || !IsNameStart(word[0])) return std::nullopt;
  for (size_t i = 1; i < eq; ++i) {
    if (!IsNameChar(word[i])) return std::nullopt;
  }
  return std::make_pair(word.substr(0, eq), word.substr(eq + 1));
}

std::optional<std::vector<std::string>> ShellLexer::Next(const VarLookup& lookup) {
  if (pos_ >= s_.size()) return std::nullopt;
  words_.clear();
  word_.clear();
  in_word_ = false;
  drop_next_ = false;
  while (pos_ < s_.size()) {
    const char c = s_[pos_];
    if (c == ' ' || c == '\t' || c == '\r') {
      Finish();
      ++pos_;
    } else if (c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')') {
      Finish();
      ++pos_;
      if (c != '\n' && c != '(' && c != ')' && pos_ < s_.size() && s_[pos_] == c) ++pos_;
      return words_;
    } else if (c == '#' && !in_word_) {
      while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
    } else if (c == '<' || c == '>') {
      // "2>&1", "> log", ">>log": the operator and its target are not
      // arguments.
      if (in_word_ && !word_.empty() && std::all_of(word_.begin(), word_.end(), absl::ascii_isdigit)) {
        word_.clear();
        in_word_ = false;
      }
      Finish();
      while (pos_ < s_.size() && absl::string_view("<>&|").find(s_[pos_]) != absl::string_view::npos) ++pos_;
      drop_next_ = true;
    } else if (c == '\\') {
      if (pos_ + 1 < s_.size() && s_[pos_ + 1] != '\n') {
        word_.push_back(s_[pos_ + 1]);
        in_word_ = true;
      }
      pos_ += 2;
    } else if (c == '\'') {
      size_t end = s_.find('\'', pos_ + 1);
      if (end == absl::string_view::npos) end = s_.size();
      word_.append(s_.data() + pos_ + 1, end - pos_ - 1);
      in_word_ = true;
      pos_ = end + 1;
    } else if (c == '"') {
      DoubleQuoted(lookup);
    } else if (c == '$') {
      Dollar(lookup, /*quoted=*/false);
    } else if (c == '`') {
      Backtick();
    } else {
      word_.push_back(c);
      in_word_ = true;
      ++pos_;
    }
  }
  Finish();
  return words_;
}

void ShellLexer::Finish() {
  if (!in_word_) return;
  if (drop_next_) {
    drop_next_ = false;
  } else {
    words_.push_back(word_);
  }
  word_.clear();
  in_word_ = false;
}

void ShellLexer::Unresolved(size_t start) {
  word_.push_back(kUnresolvedMarker);
  word_.append(s_.data() + start, pos_ - start);
  word_.push_back(kUnresolvedMarker);
  in_word_ = true;
}

void ShellLexer::DoubleQuoted(const VarLookup& lookup) {
  ++pos_;
  in_word_ = true;
  while (pos_ < s_.size() && s_[pos_] != '"') {
    const char d = s_[pos_];
    if (d == '\\' && pos_ + 1 < s_.size() &&
        absl::string_view("$`\"\\\n").find(s_[pos_ + 1]) != absl::string_view::npos) {
      if (s_[pos_ + 1] != '\n') word_.push_back(s_[pos_ + 1]);
      pos_ += 2;
    } else if (d == '$') {
      Dollar(lookup, /*quoted=*/true);
    } else if (d == '`') {
      Backtick();
    } else {
      word_.push_back(d);
      ++pos_;
    }
  }
  ++pos_;
}

void ShellLexer::Backtick() {
  const size_t start = pos_;
  size_t end = s_.find('`', pos_ + 1);
  pos_ = end == absl::string_view::npos ? s_.size() : end + 1;
  Unresolved(start);
}

// Skips to just past the bracket closing the one at pos_.
void ShellLexer::SkipBalanced(char open, char close) {
  int depth = 0;
  while (pos_ < s_.size()) {
    const char c = s_[pos_++];
    if (c == open) ++depth;
    if (c == close && --depth == 0) return;
  }
}

void ShellLexer::Dollar(const VarLookup& lookup, bool quoted) {
  const size_t start = pos_++;
  const char next = pos_ < s_.size() ? s_[pos_] : '\0';
  std::optional<std::string> value;
  if (next == '{') {
    SkipBalanced('{', '}');
    absl::string_view inner = s_.substr(start + 2, pos_ - start - 3);
    value = Braced(inner, lookup);
  } else if (next == '(') {
    SkipBalanced('(', ')');
  } else if (IsNameStart(next)) {
    size_t end = pos_;
    while (end < s_.size() && IsNameChar(s_[end])) ++end;
    value = lookup(std::string(s_.substr(pos_, end - pos_)));
    pos_ = end;
  } else if (absl::ascii_isdigit(static_cast<unsigned char>(next)) ||
             (next != '\0' && absl::string_view("@*#?$!-").find(next) != absl::string_view::npos)) {
    ++pos_;
  } else {
    word_.push_back('$');
    in_word_ = true;
    return;
  }
  if (!value) {
    Unresolved(start);
    return;
  }
  if (quoted) {
    word_.append(*value);
    in_word_ = true;
    return;
  }
  for (char ch : *value) {
    if (ch == ' ' || ch == '\t' || ch == '\n') {
      Finish();
    } else {
      word_.push_back(ch);
      in_word_ = true;
    }
  }
}

// NAME, NAME:-word, NAME-word, NAME:=word, NAME:+word, NAME:?word; other
// forms (${#NAME}, ${NAME%suffix}, ...) are not evaluated. A word that
// itself expands something is not evaluated either.
std::optional<std::string> ShellLexer::Braced(absl::string_view inner, const VarLookup& lookup) {
  size_t n = 0;
  while (n < inner.size() && IsNameChar(inner[n])) ++n;
  if (n == 0 || !IsNameStart(inner[0])) return std::nullopt;
  const std::optional<std::string> value = lookup(std::string(inner.substr(0, n)));
  absl::string_view rest = inner.substr(n);
  if (rest.empty()) return value;
  const bool colon = absl::ConsumePrefix(&rest, ":");
  if (rest.empty()) return std::nullopt;
  const char op = rest[0];
  const std::string word(rest.substr(1));
  const bool missing = !value || (colon && value->empty());
  if (word.find_first_of("$`\\'\"") != std::string::npos) return missing || op == '+' ? std::nullopt : value;
  switch (op) {
    case '-':
    case '=':
      return missing ? word : *value;
    case '+':
      return missing ? std::string() : word;
    case '?':
      return missing ? std::nullopt : value;
    default:
      return std::nullopt;
  }
}

}  // namespace corral::compose
