#include "gunicorn/value_validation.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/path_util.h"
#include "gunicorn/python_config.h"

namespace corral::gunicorn {

std::string Display(const PyValue& v) {
  switch (v.kind) {
    case PyValue::Kind::kNone:
      return "";
    case PyValue::Kind::kBool:
      return v.boolean ? "true" : "false";
    case PyValue::Kind::kList:
    case PyValue::Kind::kTuple:
      return absl::StrJoin(v.items, ",", [](std::string* out, const PyValue& item) { out->append(Display(item)); });
    default:
      return v.ToStr();
  }
}

absl::StatusOr<Validated> Validate(const GunicornSetting& setting, const PyValue& v, const std::string& cwd) {
  using K = PyValue::Kind;
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value for ", setting.name, ": ", v.Repr(), " (", why, ")"));
  };
  switch (setting.validator) {
    case Validator::kPosInt: {
      int64_t n = 0;
      if (v.kind == K::kInt || v.kind == K::kBool) {
        n = v.integer;
      } else if (v.kind == K::kStr) {
        std::optional<int64_t> parsed = ParsePythonInt(v.text, 0);
        if (!parsed) return invalid("not an integer");
        n = *parsed;
      } else {
        return invalid(absl::StrCat("a ", v.TypeName(), " is not an integer"));
      }
      if (n < 0) return invalid("must be positive");
      return Validated{absl::StrCat(n), PyValue::Int(n)};
    }
    case Validator::kBool: {
      if (v.kind == K::kNone) return Validated{"", v};
      if (v.kind == K::kBool) return Validated{Display(v), v};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a boolean"));
      std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v.text));
      if (lower == "true") return Validated{"true", PyValue::Bool(true)};
      if (lower == "false") return Validated{"false", PyValue::Bool(false)};
      return invalid("not true or false");
    }
    case Validator::kString:
    case Validator::kClass:
    case Validator::kHostPort:
    case Validator::kStatsdAddress: {
      if (v.kind == K::kNone) return Validated{"", v};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a string"));
      std::string text(absl::StripAsciiWhitespace(v.text));
      if (setting.validator == Validator::kHostPort && !text.empty() &&
          std::count(text.begin(), text.end(), ':') != 1) {
        return invalid("must be hostname:port");
      }
      if (setting.validator == Validator::kStatsdAddress && !text.empty() && !absl::StartsWith(text, "unix:")) {
        // util.parse_address: HOST[:PORT] (PORT defaults to 8125), [V6]:PORT;
        // Gunicorn stores (host, port), shown as host:port.
        size_t colon = text.rfind(':');
        bool bracketed_v6 = absl::StartsWith(text, "[") && (colon == std::string::npos || colon < text.rfind(']'));
        int port = 0;
        if (colon == std::string::npos || bracketed_v6) {
          text = absl::StrCat(text, ":8125");
        } else if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 0 || port > 65535) {
          return invalid("must be host:port or unix://PATH");
        }
      }
      return Validated{text, PyValue::Str(text)};
    }
    case Validator::kChoice: {
      if (v.kind == K::kNone) return Validated{"", v};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a string"));
      std::string text = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v.text));
      std::vector<absl::string_view> choices = absl::StrSplit(setting.choices, '|');
      if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
        return invalid(absl::StrCat("not ", absl::StrJoin(choices, ", ")));
      }
      return Validated{text, PyValue::Str(text)};
    }
    case Validator::kProxyProtocol: {
      // validate_proxy_protocol (24.0+): a boolean, or one of its words.
      if (v.kind == K::kNone) return Validated{"off", PyValue::Str("off")};
      if (v.kind == K::kBool) {
        std::string mode = v.boolean ? "auto" : "off";
        return Validated{mode, PyValue::Str(mode)};
      }
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a string"));
      std::string text = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v.text));
      std::string mode = text == "false" || text == "off" || text == "0" || text == "none" ? "off"
                         : text == "true" || text == "auto" || text == "1"                 ? "auto"
                         : text == "v1" || text == "v2"                                    ? text
                                                                                           : "";
      if (mode.empty()) return invalid("not off, v1, v2 or auto");
      return Validated{mode, PyValue::Str(mode)};
    }
    case Validator::kProtocolList: {
      // validate_http_protocols (25.0+): "h1,h2", each known, none twice.
      if (v.kind == K::kNone) return Validated{"h1", PyValue::List({PyValue::Str("h1")})};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a string"));
      std::vector<absl::string_view> choices = absl::StrSplit(setting.choices, '|');
      std::vector<std::string> protocols;
      for (absl::string_view part : absl::StrSplit(v.text, ',')) {
        std::string p = absl::AsciiStrToLower(absl::StripAsciiWhitespace(part));
        if (p.empty()) continue;
        if (std::find(choices.begin(), choices.end(), p) == choices.end()) {
          return invalid(absl::StrCat("'", p, "' is not ", absl::StrJoin(choices, " or ")));
        }
        if (std::find(protocols.begin(), protocols.end(), p) != protocols.end()) {
          return invalid(absl::StrCat("'", p, "' is listed twice"));
        }
        protocols.push_back(std::move(p));
      }
      if (protocols.empty()) protocols.push_back("h1");
      std::vector<PyValue> items;
      for (const std::string& p : protocols) items.push_back(PyValue::Str(p));
      PyValue list = PyValue::List(std::move(items));
      return Validated{Display(list), list};
    }
    case Validator::kListString: {
      std::optional<bool> truth = v.Truthy();
      if (truth && !*truth) return Validated{"", PyValue::List({})};
      std::vector<PyValue> items;
      if (v.kind == K::kStr) {
        items.push_back(PyValue::Str(std::string(absl::StripAsciiWhitespace(v.text))));
      } else if (v.is_sequence()) {
        for (const PyValue& item : v.items) {
          if (item.kind != K::kStr) return invalid(absl::StrCat("a ", item.TypeName(), " in the list is not a string"));
          items.push_back(PyValue::Str(std::string(absl::StripAsciiWhitespace(item.text))));
        }
      } else {
        return invalid(absl::StrCat("a ", v.TypeName(), " is not a list of strings"));
      }
      PyValue list = PyValue::List(std::move(items));
      return Validated{Display(list), list};
    }
    case Validator::kStringToList: {
      if (v.kind == K::kNone) return Validated{"", PyValue::List({})};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a string"));
      std::vector<PyValue> items;
      for (absl::string_view part : absl::StrSplit(absl::StripAsciiWhitespace(v.text), ',', absl::SkipEmpty())) {
        items.push_back(PyValue::Str(std::string(absl::StripAsciiWhitespace(part))));
      }
      PyValue list = PyValue::List(std::move(items));
      return Validated{Display(list), list};
    }
    case Validator::kUser:
    case Validator::kGroup: {
      if (v.kind == K::kInt) return Validated{absl::StrCat(v.integer), v};
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a user or group"));
      return Validated{v.text, v};
    }
    case Validator::kChdir: {
      if (v.kind != K::kStr) return invalid(absl::StrCat("a ", v.TypeName(), " is not a path"));
      std::string text(absl::StripAsciiWhitespace(v.text));
      std::string joined = JoinPath(cwd, text);
      if (joined.empty()) return Validated{text, PyValue::Str(text)};
      std::string normalized = NormalizePath(joined);
      return Validated{normalized, PyValue::Str(normalized)};
    }
    case Validator::kDict:
    case Validator::kCallable:
    case Validator::kSslVersion:
      return Validated{Display(v), v};
  }
  return Validated{Display(v), v};
}

absl::StatusOr<PyValue> FlagValue(const OptionValue& option) {
  const GunicornSetting& s = *option.setting;
  switch (s.action) {
    case ArgAction::kStoreTrue:
      return PyValue::Bool(true);
    case ArgAction::kStoreConst:
      return PyValue::Bool(absl::string_view(s.const_value) == "true");
    case ArgAction::kAppend: {
      std::vector<PyValue> items;
      for (const std::string& text : option.texts) items.push_back(PyValue::Str(text));
      return PyValue::List(std::move(items));
    }
    case ArgAction::kStore:
    case ArgAction::kStoreOptional:
    case ArgAction::kNoFlag:
      break;
  }
  if (option.texts.empty()) return absl::InvalidArgumentError(absl::StrCat(option.spelling, " has no value"));
  const std::string& text = option.texts.back();
  if (s.type == ArgType::kInt || s.type == ArgType::kAutoInt) {
    std::string literal = text;
    // auto_int: a leading zero followed by a digit means octal ("022").
    if (s.type == ArgType::kAutoInt && literal.size() > 1 && literal[0] == '0' &&
        absl::ascii_isdigit(static_cast<unsigned char>(literal[1]))) {
      literal = "0o" + literal.substr(1);
    }
    std::optional<int64_t> n = ParsePythonInt(literal, s.type == ArgType::kInt ? 10 : 0);
    if (!n)
      return absl::InvalidArgumentError(
          absl::StrCat("argument ", option.spelling, ": invalid int value: '", text, "'"));
    return PyValue::Int(*n);
  }
  return PyValue::Str(text);
}

absl::StatusOr<std::string> NormalizeSettingText(const GunicornSetting& setting, const std::string& text) {
  PyValue value = PyValue::Str(text);
  if (setting.validator == Validator::kListString) {
    std::vector<PyValue> items;
    for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
      items.push_back(PyValue::Str(std::string(absl::StripAsciiWhitespace(item))));
    }
    value = PyValue::List(std::move(items));
  }
  absl::StatusOr<Validated> validated = Validate(setting, value, "");
  if (!validated.ok()) return validated.status();
  return validated->display;
}

}  // namespace corral::gunicorn
