#include "agent/gunicorn_args.h"

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace corral::agent {
namespace {

struct Match {
  const GunicornSetting* setting;
  std::string spelling;
  std::optional<std::string> explicit_value;
};

const absl::flat_hash_map<std::string, const GunicornSetting*>& FlagTable() {
  static const auto* table = [] {
    auto* map = new absl::flat_hash_map<std::string, const GunicornSetting*>();
    for (const GunicornSetting& setting : GunicornSettings()) {
      for (const char* flag : setting.flags) (*map)[flag] = &setting;
    }
    return map;
  }();
  return *table;
}

const GunicornSetting* ExactFlag(absl::string_view flag) {
  auto it = FlagTable().find(std::string(flag));
  return it == FlagTable().end() ? nullptr : it->second;
}

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

// argparse's _parse_optional and _get_option_tuples.
Classified Classify(absl::string_view arg) {
  if (arg.empty() || arg[0] != '-' || arg == "-") return {Kind::kPositional, {}, {}};
  if (const GunicornSetting* s = ExactFlag(arg)) return {Kind::kOption, {s, std::string(arg), std::nullopt}, {}};
  size_t eq = arg.find('=');
  if (eq != absl::string_view::npos) {
    if (const GunicornSetting* s = ExactFlag(arg.substr(0, eq))) {
      return {Kind::kOption, {s, std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))}, {}};
    }
  }
  std::vector<Match> matches;
  if (absl::StartsWith(arg, "--")) {
    absl::string_view prefix = eq == absl::string_view::npos ? arg : arg.substr(0, eq);
    std::optional<std::string> value;
    if (eq != absl::string_view::npos) value = std::string(arg.substr(eq + 1));
    for (const GunicornSetting& s : GunicornSettings()) {
      for (const char* flag : s.flags) {
        if (absl::StartsWith(flag, prefix)) matches.push_back({&s, flag, value});
      }
    }
  } else {
    absl::string_view short_prefix = arg.substr(0, 2);
    std::string short_value(arg.substr(2));
    for (const GunicornSetting& s : GunicornSettings()) {
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

bool TakesValue(const GunicornSetting& setting) {
  return setting.action == ArgAction::kStore || setting.action == ArgAction::kAppend;
}

void Record(ParsedArgs& parsed, const Match& match, std::optional<std::string> value) {
  OptionValue& option = parsed.options[match.setting->name];
  option.setting = match.setting;
  option.spelling = match.spelling;
  if (!value) return;
  if (match.setting->action == ArgAction::kAppend) {
    option.texts.push_back(*std::move(value));
  } else {
    option.texts = {*std::move(value)};
  }
}

}  // namespace

ParsedArgs ParseGunicornArgs(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  bool only_positionals = false;
  size_t i = 0;
  while (i < args.size()) {
    const std::string& arg = args[i];
    if (only_positionals) {
      parsed.positionals.push_back(arg);
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
        parsed.positionals.push_back(arg);
        ++i;
        continue;
      case Kind::kAmbiguous:
        parsed.problems.push_back(
            absl::StrCat("ambiguous option: ", arg, " could match ", absl::StrJoin(c.candidates, ", ")));
        ++i;
        continue;
      case Kind::kUnknownOption:
        parsed.problems.push_back(absl::StrCat("unrecognized argument: ", arg));
        ++i;
        continue;
      case Kind::kOption:
        break;
    }
    Match match = c.match;
    ++i;
    while (true) {
      if (match.explicit_value) {
        if (TakesValue(*match.setting)) {
          Record(parsed, match, match.explicit_value);
          break;
        }
        // A flag without a value followed by more letters: -Dw3 is -D -w3.
        if (match.spelling.size() == 2 && !match.explicit_value->empty()) {
          Record(parsed, match, std::nullopt);
          std::string next_flag = absl::StrCat("-", match.explicit_value->substr(0, 1));
          std::string rest = match.explicit_value->substr(1);
          const GunicornSetting* next = ExactFlag(next_flag);
          if (next == nullptr) {
            parsed.problems.push_back(
                absl::StrCat("argument ", match.spelling, ": ignored explicit argument '", *match.explicit_value, "'"));
            break;
          }
          match = {next, next_flag, rest.empty() ? std::nullopt : std::optional<std::string>(rest)};
          continue;
        }
        parsed.problems.push_back(
            absl::StrCat("argument ", match.spelling, ": ignored explicit argument '", *match.explicit_value, "'"));
        break;
      }
      if (!TakesValue(*match.setting)) {
        Record(parsed, match, std::nullopt);
        break;
      }
      bool next_is_value =
          i < args.size() && !only_positionals && args[i] != "--" && Classify(args[i]).kind == Kind::kPositional;
      if (!next_is_value) {
        parsed.problems.push_back(absl::StrCat("argument ", match.spelling, ": expected one argument"));
        break;
      }
      Record(parsed, match, args[i]);
      ++i;
      break;
    }
  }
  return parsed;
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

}  // namespace corral::agent
