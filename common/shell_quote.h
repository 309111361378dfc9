// Writing an argv as one line of shell words, in two ways for two readers.
//
// For display -- a person reads the line (the command `corral inspect`
// shows, the running command in a comparison's messages):
// QuoteWordForDisplay / QuoteArgvForDisplay leave a word as it is unless it
// is empty or holds a space, a tab, a quote, a backslash, '$' or a backtick;
// such a word is wrapped in single quotes, a single quote inside it written
// '\''. Words stay readable; the line is not meant to be run or re-split.
//
// For comparison -- a program reads the line back (the declared command an
// expectation stores, which the server re-splits with gunicorn::ShlexSplit
// and compares with the running one): ShlexQuote / ShlexJoin quote as
// Python's shlex.quote does, so shlex.split and ShlexSplit return exactly
// the words given. The display form is not read back: it leaves a newline
// unquoted, and expectations already stored hold the shlex form.
#ifndef CORRAL_COMMON_SHELL_QUOTE_H_
#define CORRAL_COMMON_SHELL_QUOTE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace corral {

// `word` for display: as it is, or single-quoted as described above.
// "it's" -> 'it'\''s'; "" -> ''.
std::string QuoteWordForDisplay(absl::string_view word);

// Each word quoted for display, joined with single spaces.
std::string QuoteArgvForDisplay(const std::vector<std::string>& argv);

// Python's shlex.quote: "" -> ''; a word of only ASCII letters, digits and
// @%+=:,./-_ as it is; any other word in single quotes, a single quote inside
// it written '"'"'. "it's" -> 'it'"'"'s'.
std::string ShlexQuote(absl::string_view word);

// Each word ShlexQuote'd, joined with single spaces: ' '.join(map(shlex.quote,
// words)).
std::string ShlexJoin(const std::vector<std::string>& words);

}  // namespace corral

#endif  // CORRAL_COMMON_SHELL_QUOTE_H_
