#include "compose/env_file.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "compose/declared.h"

namespace corral::compose {

std::vector<EnvFileVar> ParseEnvFile(const std::string& path, const std::string& content, const VarLookup& lookup,
                                     std::vector<std::string>* warnings) {
  std::vector<EnvFileVar> vars;
  std::map<std::string, std::string> so_far;
  VarLookup chained = [&](const std::string& name) -> std::optional<std::string> {
    if (std::optional<std::string> v = lookup(name)) return v;
    auto it = so_far.find(name);
    if (it == so_far.end()) return std::nullopt;
    return it->second;
  };
  std::vector<std::string> lines = absl::StrSplit(content, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    const int line_number = static_cast<int>(i) + 1;
    absl::string_view line = absl::StripAsciiWhitespace(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    absl::ConsumePrefix(&line, "export ");
    line = absl::StripLeadingAsciiWhitespace(line);
    const size_t eq = line.find('=');
    const std::string name(absl::StripAsciiWhitespace(line.substr(0, eq)));
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return IsNameChar(c) || c == '.'; })) {
      warnings->push_back(absl::StrCat(Origin(path, line_number), ": not a NAME=VALUE line; skipped"));
      continue;
    }
    if (eq == absl::string_view::npos) {
      if (std::optional<std::string> v = lookup(name)) {
        so_far[name] = *v;
        vars.push_back({name, *v, line_number});
      } else {
        warnings->push_back(absl::StrCat(Origin(path, line_number), ": ", name,
                                         " takes its value from the environment, where it is not set; not imported"));
      }
      continue;
    }
    absl::string_view raw = absl::StripLeadingAsciiWhitespace(line.substr(eq + 1));
    std::string value;
    bool expand = true;
    if (!raw.empty() && raw[0] == '\'') {
      const size_t close = raw.find('\'', 1);
      value = std::string(raw.substr(1, close == absl::string_view::npos ? absl::string_view::npos : close - 1));
      expand = false;
    } else if (!raw.empty() && raw[0] == '"') {
      std::string text(raw.substr(1));
      bool closed = false;
      while (true) {
        for (size_t k = 0; k < text.size(); ++k) {
          const char c = text[k];
          if (c == '\\' && k + 1 < text.size()) {
            const char e = text[++k];
            value.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
            continue;
          }
          if (c == '"') {
            closed = true;
            break;
          }
          value.push_back(c);
        }
        if (closed || i + 1 >= lines.size()) break;
        value.push_back('\n');
        text = lines[++i];
      }
      if (!closed) {
        warnings->push_back(absl::StrCat(Origin(path, line_number), ": ", name, " has no closing quote; not imported"));
        continue;
      }
    } else {
      const size_t comment = raw.find(" #");
      value = std::string(absl::StripTrailingAsciiWhitespace(raw.substr(0, comment)));
    }
    if (expand) {
      std::string expanded;
      absl::Status status = Expand(value, chained, Dialect{true}, &expanded);
      if (!status.ok()) {
        warnings->push_back(
            absl::StrCat(Origin(path, line_number), ": ", name, ": ", status.message(), "; not imported"));
        continue;
      }
      value = std::move(expanded);
    }
    so_far[name] = value;
    vars.push_back({name, std::move(value), line_number});
  }
  return vars;
}

}  // namespace corral::compose
