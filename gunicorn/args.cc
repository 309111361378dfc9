#include "gunicorn/args.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace corral::gunicorn {
namespace {

struct Match {
  const GunicornSetting* setting;
  std::string spelling;
  std::optional<std::string> explicit_value;
};

// argparse treats "-3" and "-.5" as positionals when no option looks like a
// negative number, which holds for Gunicorn's parser.
bool LooksLikeNegativeNumber(absl::string_view arg) {
  if (arg.size() < 2 || arg[0] != '-') return false;
  absl::string_view rest = arg.substr(1);
  bool digit = false;
  bool dot = false;
  for (char c : rest) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digit;
}

enum class Kind { kPositional, kOption, kUnknownOption, kAmbiguous };

struct Classified {
  Kind kind;
  Match match;
  std::vector<std::string> candidates;
};

bool TakesValue(const GunicornSetting& setting) {
  return setting.action == ArgAction::kStore || setting.action == ArgAction::kAppend ||
         setting.action == ArgAction::kStoreOptional;
}

class Parser {
 public:
  explicit Parser(const SettingsTable& table) : table_(table) {}

  ParsedArgs Parse(const std::vector<std::string>& args) {
    bool only_positionals = false;
    // The unknown option the previous argument was, if any.
    std::string after_unknown;
    size_t i = 0;
    while (i < args.size()) {
      const std::string& arg = args[i];
      std::string previous_unknown = std::move(after_unknown);
      after_unknown.clear();
      if (only_positionals) {
        parsed_.positionals.push_back(arg);
        ++i;
        continue;
      }
      if (arg == "--") {
        only_positionals = true;
        ++i;
        continue;
      }
      Classified c = Classify(arg);
      switch (c.kind) {
        case Kind::kPositional:
          if (!previous_unknown.empty()) parsed_.maybe_option_values[parsed_.positionals.size()] = previous_unknown;
          parsed_.positionals.push_back(arg);
          ++i;
          continue;
        case Kind::kAmbiguous:
          parsed_.problems.push_back(
              absl::StrCat("ambiguous option: ", arg, " could match ", absl::StrJoin(c.candidates, ", ")));
          ++i;
          continue;
        case Kind::kUnknownOption:
          parsed_.problems.push_back(absl::StrCat("unrecognized argument: ", arg));
          parsed_.unknown_options.push_back(arg);
          // "--flag=value" carries its own value; a bare one may take the next.
          if (arg.find('=') == std::string::npos) after_unknown = arg;
          ++i;
          continue;
        case Kind::kOption:
          break;
      }
      ++i;
      ParseOption(c.match, args, i, only_positionals);
    }
    return std::move(parsed_);
  }

 private:
  // argparse's _parse_optional and _get_option_tuples.
  Classified Classify(absl::string_view arg) const {
    if (arg.empty() || arg[0] != '-' || arg == "-") return {Kind::kPositional, {}, {}};
    if (const GunicornSetting* s = table_.FindFlag(arg))
      return {Kind::kOption, {s, std::string(arg), std::nullopt}, {}};
    size_t eq = arg.find('=');
    if (eq != absl::string_view::npos) {
      if (const GunicornSetting* s = table_.FindFlag(arg.substr(0, eq))) {
        return {Kind::kOption, {s, std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))}, {}};
      }
    }
    std::vector<Match> matches;
    if (absl::StartsWith(arg, "--")) {
      absl::string_view prefix = eq == absl::string_view::npos ? arg : arg.substr(0, eq);
      std::optional<std::string> value;
      if (eq != absl::string_view::npos) value = std::string(arg.substr(eq + 1));
      for (const GunicornSetting& s : table_) {
        for (const char* flag : s.flags) {
          if (absl::StartsWith(flag, prefix)) matches.push_back({&s, flag, value});
        }
      }
    } else {
      absl::string_view short_prefix = arg.substr(0, 2);
      std::string short_value(arg.substr(2));
      for (const GunicornSetting& s : table_) {
        for (const char* flag : s.flags) {
          if (short_prefix == flag) {
            matches.push_back({&s, flag, short_value});
          } else if (absl::StartsWith(flag, arg)) {
            matches.push_back({&s, flag, std::nullopt});
          }
        }
      }
    }
    if (matches.size() == 1) return {Kind::kOption, matches[0], {}};
    if (matches.size() > 1) {
      Classified ambiguous{Kind::kAmbiguous, {}, {}};
      for (const Match& m : matches) ambiguous.candidates.push_back(m.spelling);
      return ambiguous;
    }
    if (LooksLikeNegativeNumber(arg) || absl::StrContains(arg, ' ')) return {Kind::kPositional, {}, {}};
    return {Kind::kUnknownOption, {}, {}};
  }

  void Record(const Match& match, std::optional<std::string> value) {
    OptionValue& option = parsed_.options[match.setting->name];
    option.setting = match.setting;
    option.spelling = match.spelling;
    if (!value) return;
    if (match.setting->action == ArgAction::kAppend) {
      option.texts.push_back(*std::move(value));
    } else {
      option.texts = {*std::move(value)};
    }
  }

  // Consumes the option `match` (already past its own argument) and its
  // value, advancing `i`.
  void ParseOption(Match match, const std::vector<std::string>& args, size_t& i, bool only_positionals) {
    // In a cluster of short flags, how many letters of the explicit value
    // earlier flags took. The value is never copied per letter: a cluster
    // as long as an argument may be (128 KiB) would cost quadratic time.
    size_t taken = 0;
    while (true) {
      if (match.explicit_value) {
        absl::string_view rest = absl::string_view(*match.explicit_value).substr(taken);
        if (TakesValue(*match.setting)) {
          Record(match, std::string(rest));
          return;
        }
        // A flag without a value followed by more letters: -Dw3 is -D -w3.
        if (match.spelling.size() == 2 && !rest.empty()) {
          Record(match, std::nullopt);
          std::string next_flag = absl::StrCat("-", rest.substr(0, 1));
          const GunicornSetting* next = table_.FindFlag(next_flag);
          if (next == nullptr) {
            parsed_.problems.push_back(
                absl::StrCat("argument ", match.spelling, ": ignored explicit argument '", rest, "'"));
            return;
          }
          match.setting = next;
          match.spelling = std::move(next_flag);
          if (++taken == match.explicit_value->size()) match.explicit_value.reset();
          continue;
        }
        parsed_.problems.push_back(
            absl::StrCat("argument ", match.spelling, ": ignored explicit argument '", rest, "'"));
        return;
      }
      if (!TakesValue(*match.setting)) {
        Record(match, std::nullopt);
        return;
      }
      bool next_is_value =
          i < args.size() && !only_positionals && args[i] != "--" && Classify(args[i]).kind == Kind::kPositional;
      if (!next_is_value) {
        if (match.setting->action == ArgAction::kStoreOptional) {
          Record(match, std::string(match.setting->const_value));
          return;
        }
        parsed_.problems.push_back(absl::StrCat("argument ", match.spelling, ": expected one argument"));
        return;
      }
      Record(match, args[i]);
      ++i;
      return;
    }
  }

  const SettingsTable& table_;
  ParsedArgs parsed_;
};

}  // namespace

std::optional<std::string> ParsedArgs::AppUri(std::string* why) const {
  if (positionals.empty()) return std::nullopt;
  auto maybe = maybe_option_values.find(0);
  if (maybe != maybe_option_values.end()) {
    if (why != nullptr) {
      *why = absl::StrCat("'", positionals.front(), "' follows ", maybe->second,
                          ", an option this Gunicorn release's table does not know, and may be its value");
    }
    return std::nullopt;
  }
  return positionals.front();
}

ParsedArgs ParseGunicornArgs(const std::vector<std::string>& args, const SettingsTable& table) {
  return Parser(table).Parse(args);
}

absl::StatusOr<std::vector<std::string>> ShlexSplit(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
      ++i;
    } else if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == absl::string_view::npos) return absl::InvalidArgumentError("No closing quotation");
      word.append(std::string(text.substr(i + 1, end - i - 1)));
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        // Inside double quotes a backslash escapes only \ and ".
        if (d == '\\' && i + 1 < text.size() && (text[i + 1] == '\\' || text[i + 1] == '"')) {
          word.push_back(text[i + 1]);
          i += 2;
          continue;
        }
        word.push_back(d);
        ++i;
      }
      if (!closed) return absl::InvalidArgumentError("No closing quotation");
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return absl::InvalidArgumentError("No escaped character");
      word.push_back(text[i + 1]);
      in_word = true;
      i += 2;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace corral::gunicorn
