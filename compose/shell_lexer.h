// Reads a POSIX shell script -- the SCRIPT of a container's `sh -c SCRIPT` --
// as the words of its simple commands, one command at a time, so that
// assignments in one command can change how the next one expands. Nothing is
// run: the lexer only reads.
//
// Handled: single and double quotes, backslashes, comments, the separators
// ; & && | || ( ) and newlines, redirections (the operator and its target are
// dropped: "2>&1", "> log", ">>log"), and parameter expansion ($VAR, ${VAR},
// ${VAR:-word}, ${VAR-word}, ${VAR:=word}, ${VAR:+word}, ${VAR:?word}) with
// field splitting of unquoted values.
//
// What it cannot know -- command substitution ($(...) and `...`), special
// and positional parameters ($1, $@, $?, ...), a variable the lookup does
// not know, other ${...} forms -- stays in the word as its source text
// between two kUnresolvedMarker characters ("\x1f${WORKERS}\x1f"), so a
// caller can recognise a word built from it instead of taking the text
// literally.
#ifndef CORRAL_COMPOSE_SHELL_LEXER_H_
#define CORRAL_COMPOSE_SHELL_LEXER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "compose/variable_expansion.h"

namespace corral::compose {

// Brackets the source text of an expansion the lexer could not resolve.
inline constexpr char kUnresolvedMarker = '\x1f';

// "NAME=value" as a shell reads an assignment word: {NAME, value}, or nullopt
// when `word` is not one (no '=', or what precedes it is not a name).
std::optional<std::pair<std::string, std::string>> ParseAssignment(const std::string& word);

class ShellLexer {
 public:
  // `script` must outlive the lexer.
  explicit ShellLexer(absl::string_view script) : s_(script) {}

  // The next simple command's words, its variables expanded through
  // `lookup`; an empty vector for an empty command (";;", a blank line);
  // nullopt after the last command.
  std::optional<std::vector<std::string>> Next(const VarLookup& lookup);

 private:
  void Finish();
  void Unresolved(size_t start);
  void DoubleQuoted(const VarLookup& lookup);
  void Backtick();
  void SkipBalanced(char open, char close);
  void Dollar(const VarLookup& lookup, bool quoted);
  static std::optional<std::string> Braced(absl::string_view inner, const VarLookup& lookup);

  absl::string_view s_;
  size_t pos_ = 0;
  std::vector<std::string> words_;
  std::string word_;
  bool in_word_ = false;
  bool drop_next_ = false;
};

}  // namespace corral::compose

#endif  // CORRAL_COMPOSE_SHELL_LEXER_H_
