#include "common/flags.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corral {

std::string Flags::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end() && !it->second.empty()) return it->second.back();
  auto d = defaults_.find(name);
  return d == defaults_.end() ? "" : d->second;
}

std::vector<std::string> Flags::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  std::string d = Get(name);
  if (d.empty()) return {};
  return {d};
}

bool Flags::GetBool(const std::string& name) const {
  std::string v = absl::AsciiStrToLower(Get(name));
  return v == "true" || v == "1" || v == "yes" || v == "on";
}

absl::StatusOr<bool> ParseOnOff(const std::string& text) {
  std::string v = absl::AsciiStrToLower(text);
  if (v == "on" || v == "true" || v == "yes" || v == "1") return true;
  if (v == "off" || v == "false" || v == "no" || v == "0") return false;
  return absl::InvalidArgumentError(absl::StrCat("expected on or off, got '", text, "'"));
}

std::optional<std::string> GetEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<Flags> ParseFlags(const std::vector<FlagSpec>& specs, const std::vector<std::string>& args,
                                 const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  Flags flags;
  std::map<std::string, const FlagSpec*> by_name;
  for (const FlagSpec& spec : specs) {
    by_name[spec.name] = &spec;
    flags.defaults_[spec.name] = spec.default_value;
  }
  std::map<std::string, std::vector<std::string>> from_args;
  bool only_positionals = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positionals || arg.size() < 2 || arg[0] != '-') {
      flags.positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      flags.help_requested_ = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", arg, "' (flags are spelled --name)"));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto it = by_name.find(name);
    if (it == by_name.end()) return absl::InvalidArgumentError(absl::StrCat("unknown flag '--", name, "'"));
    const FlagSpec& spec = *it->second;
    if (spec.value_name.empty()) {
      if (value && absl::AsciiStrToLower(*value) != "true" && absl::AsciiStrToLower(*value) != "false") {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " is a switch; it takes no value"));
      }
      from_args[name] = {value.value_or("true")};
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value (", spec.value_name, ")"));
      }
      value = args[++i];
    }
    if (!spec.repeatable && from_args.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " given twice"));
    }
    from_args[name].push_back(*value);
  }
  for (const FlagSpec& spec : specs) {
    auto given = from_args.find(spec.name);
    if (given != from_args.end()) {
      flags.values_[spec.name] = given->second;
      continue;
    }
    if (spec.env.empty()) continue;
    std::optional<std::string> env = getenv(spec.env);
    if (!env || env->empty()) continue;
    if (spec.repeatable) {
      std::vector<std::string> parts = absl::StrSplit(*env, ',', absl::SkipWhitespace());
      for (std::string& part : parts) part = std::string(absl::StripAsciiWhitespace(part));
      flags.values_[spec.name] = parts;
    } else {
      flags.values_[spec.name] = {*env};
    }
  }
  return flags;
}

std::string FlagsHelp(const std::vector<FlagSpec>& specs) {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const FlagSpec& spec : specs) {
    std::string left = absl::StrCat("  --", spec.name, spec.value_name.empty() ? "" : " " + spec.value_name);
    std::string right = spec.help;
    if (!spec.default_value.empty() && !spec.value_name.empty())
      absl::StrAppend(&right, " (default ", spec.default_value, ")");
    if (!spec.env.empty()) absl::StrAppend(&right, " [$", spec.env, "]");
    if (spec.repeatable) absl::StrAppend(&right, " Repeatable.");
    width = std::max(width, left.size());
    rows.emplace_back(std::move(left), std::move(right));
  }
  std::string out;
  for (const auto& [left, right] : rows) {
    absl::StrAppend(&out, left, std::string(width - left.size() + 2, ' '), right, "\n");
  }
  absl::StrAppend(&out, "  --help", std::string(width > 8 ? width - 8 + 2 : 2, ' '), "Show this help.\n");
  return out;
}

}  // namespace corral
