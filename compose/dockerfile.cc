#include "compose/dockerfile.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json_reader.h"
#include "compose/variable_expansion.h"
#include "gunicorn/args.h"

namespace corral::compose {
namespace {

constexpr char kByDockerfile[] = "dockerfile";

struct Instruction {
  std::string keyword;  // upper case
  std::string args;
  int line = 0;  // 1-based, where the instruction starts
};

// Splits a Dockerfile into instructions: the escape parser directive, line
// continuations (comment and empty lines inside them are dropped, as Docker
// does), comments, and heredoc bodies of RUN/COPY/ADD.
std::vector<Instruction> SplitDockerfile(const std::string& content) {
  std::vector<std::string> lines = absl::StrSplit(content, '\n');
  for (std::string& line : lines) {
    if (absl::EndsWith(line, "\r")) line.pop_back();
  }
  char escape = '\\';
  for (const std::string& line : lines) {
    absl::string_view directive = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&directive, "#")) break;
    const size_t eq = directive.find('=');
    if (eq == absl::string_view::npos) break;
    const std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(directive.substr(0, eq)));
    if (key.empty() || !std::all_of(key.begin(), key.end(), [](char c) { return absl::ascii_isalpha(c); })) break;
    absl::string_view value = absl::StripAsciiWhitespace(directive.substr(eq + 1));
    if (key == "escape" && (value == "`" || value == "\\")) escape = value[0];
  }
  auto blank_or_comment = [](absl::string_view line) {
    line = absl::StripLeadingAsciiWhitespace(line);
    return line.empty() || line[0] == '#';
  };

  std::vector<Instruction> out;
  size_t i = 0;
  while (i < lines.size()) {
    if (blank_or_comment(lines[i])) {
      ++i;
      continue;
    }
    Instruction instruction;
    instruction.line = static_cast<int>(i) + 1;
    std::string text;
    absl::string_view current = absl::StripLeadingAsciiWhitespace(lines[i]);
    while (true) {
      absl::string_view right = absl::StripTrailingAsciiWhitespace(current);
      ++i;
      if (right.empty() || right.back() != escape) {
        text.append(current.data(), current.size());
        break;
      }
      text.append(right.data(), right.size() - 1);
      while (i < lines.size() && blank_or_comment(lines[i])) ++i;
      if (i >= lines.size()) break;
      current = lines[i];
    }
    absl::string_view stripped = absl::StripAsciiWhitespace(text);
    const size_t space = stripped.find_first_of(" \t");
    instruction.keyword = absl::AsciiStrToUpper(stripped.substr(0, space));
    instruction.args =
        space == absl::string_view::npos ? "" : std::string(absl::StripLeadingAsciiWhitespace(stripped.substr(space)));
    if (instruction.keyword == "RUN" || instruction.keyword == "COPY" || instruction.keyword == "ADD") {
      // Skip heredoc bodies (<<EOF, <<-EOF, <<"EOF"): their lines are not
      // instructions.
      const std::string& args = instruction.args;
      size_t pos = 0;
      while ((pos = args.find("<<", pos)) != std::string::npos) {
        size_t p = pos + 2;
        const bool strip_tabs = p < args.size() && args[p] == '-';
        if (strip_tabs) ++p;
        const char quote = p < args.size() && (args[p] == '"' || args[p] == '\'') ? args[p] : '\0';
        if (quote) ++p;
        const size_t word_start = p;
        while (p < args.size() && IsNameChar(args[p])) ++p;
        pos = p;
        if (p == word_start || (quote && (p >= args.size() || args[p] != quote))) continue;
        const std::string word = args.substr(word_start, p - word_start);
        while (i < lines.size()) {
          absl::string_view body = lines[i++];
          if (strip_tabs) body = absl::StripLeadingAsciiWhitespace(body);
          if (body == word) break;
        }
      }
    }
    out.push_back(std::move(instruction));
  }
  return out;
}

// Docker's exec form: a JSON array of strings, as Go's JSON decoder reads
// it. nullopt when `text` is not one, which makes it shell form.
std::optional<std::vector<std::string>> ParseJsonStringArray(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (!absl::StartsWith(text, "[")) return std::nullopt;
  absl::StatusOr<Json> json = ParseJson(text);
  if (!json.ok() || json->type != Json::Type::kArray) return std::nullopt;
  std::vector<std::string> items;
  for (Json& item : json->items) {
    if (item.type != Json::Type::kString) return std::nullopt;
    items.push_back(std::move(item.text));
  }
  return items;
}

}  // namespace

std::optional<ImageFacts> DockerfileEvaluator::Run() {
  std::map<std::string, std::optional<std::string>> global_args;
  for (const Instruction& instruction : SplitDockerfile(source_.content)) {
    const std::string origin = Origin(source_.path, instruction.line + source_.line_offset);
    const std::string& kw = instruction.keyword;
    if (kw == "FROM") {
      From(instruction.args, origin);
      continue;
    }
    if (stages_.empty()) {
      if (kw == "ARG") DeclareArgs(instruction.args, origin, global_args, global_args);
      continue;
    }
    Stage& stage = stages_.back();
    if (kw == "ARG") {
      DeclareArgs(instruction.args, origin, global_args, stage.args);
    } else if (kw == "ENV") {
      SetEnv(stage, instruction.args, origin);
    } else if (kw == "CMD") {
      stage.facts.cmd = CommandForm(stage, instruction.args, origin);
      stage.cmd_set_here = true;
    } else if (kw == "ENTRYPOINT") {
      stage.facts.entrypoint = CommandForm(stage, instruction.args, origin);
      if (!stage.cmd_set_here) stage.facts.cmd = CommandPart{{}, origin, kByDockerfile};
    } else if (kw == "SHELL") {
      if (std::optional<std::vector<std::string>> shell = ParseJsonStringArray(instruction.args)) {
        stage.shell = *shell;
      } else {
        Warn(origin, "SHELL is not a JSON array; shell-form commands below keep /bin/sh -c");
      }
    }
  }
  if (stages_.empty()) {
    Warn(Origin(source_.path, 1 + source_.line_offset), "no FROM instruction; the Dockerfile is not interpreted");
    return std::nullopt;
  }
  if (!source_.target.empty()) {
    const std::string target = absl::AsciiStrToLower(source_.target);
    for (const Stage& stage : stages_) {
      if (stage.name == target) return stage.facts;
    }
    Warn(Origin(source_.path, 1 + source_.line_offset),
         absl::StrCat("build target '", source_.target, "' is not a stage of this Dockerfile; using the last stage"));
  }
  return stages_.back().facts;
}

void DockerfileEvaluator::Warn(const std::string& origin, const std::string& what) {
  warnings_->push_back(absl::StrCat(origin, ": ", service_, ": ", what));
}

void DockerfileEvaluator::From(const std::string& args, const std::string& origin) {
  std::vector<std::string> words = absl::StrSplit(args, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  words.erase(
      std::remove_if(words.begin(), words.end(), [](const std::string& w) { return absl::StartsWith(w, "--"); }),
      words.end());
  Stage stage;
  const std::string base = words.empty() ? "" : words[0];
  if (words.size() >= 3 && absl::AsciiStrToLower(words[1]) == "as") stage.name = absl::AsciiStrToLower(words[2]);
  const Stage* parent = nullptr;
  for (const Stage& earlier : stages_) {
    if (!earlier.name.empty() && earlier.name == absl::AsciiStrToLower(base)) parent = &earlier;
  }
  if (parent != nullptr) {
    stage.facts = parent->facts;
    stage.shell = parent->shell;
  } else {
    stage.facts.base_image = base;
    if (absl::AsciiStrToLower(base) == "scratch") {
      stage.facts.entrypoint = CommandPart{{}, origin, kByDockerfile};
      stage.facts.cmd = CommandPart{{}, origin, kByDockerfile};
    }
  }
  stages_.push_back(std::move(stage));
}

std::optional<std::string> DockerfileEvaluator::Lookup(const Stage* stage,
                                                       const std::map<std::string, std::optional<std::string>>& args,
                                                       const std::string& name) const {
  if (stage != nullptr) {
    auto env = stage->facts.env.find(name);
    if (env != stage->facts.env.end()) return env->second.value;
  }
  auto arg = args.find(name);
  if (arg != args.end()) return arg->second;
  return std::nullopt;
}

// ARG NAME[=default] ...: the build argument compose passes wins over the
// default; an ARG inside a stage without default takes the global one.
void DockerfileEvaluator::DeclareArgs(const std::string& text, const std::string& origin,
                                      const std::map<std::string, std::optional<std::string>>& global_args,
                                      std::map<std::string, std::optional<std::string>>& into) {
  absl::StatusOr<std::vector<std::string>> words = gunicorn::ShlexSplit(text);
  if (!words.ok()) {
    Warn(origin, absl::StrCat("ARG ", text, ": ", words.status().message(), "; not interpreted"));
    return;
  }
  const Stage* stage = stages_.empty() ? nullptr : &stages_.back();
  for (const std::string& word : *words) {
    const size_t eq = word.find('=');
    const std::string name = word.substr(0, eq);
    std::optional<std::string> value;
    auto given = source_.build_args.find(name);
    if (given != source_.build_args.end()) {
      value = given->second;
    } else if (eq != std::string::npos) {
      std::string expanded;
      VarLookup lookup = [&](const std::string& n) { return Lookup(stage, into, n); };
      if (Expand(word.substr(eq + 1), lookup, Dialect{false}, &expanded).ok()) value = expanded;
    } else {
      auto global = global_args.find(name);
      if (global != global_args.end()) value = global->second;
    }
    into[name] = value;
  }
}

void DockerfileEvaluator::SetEnv(Stage& stage, const std::string& text, const std::string& origin) {
  std::vector<std::pair<std::string, std::string>> pairs;
  absl::string_view stripped = absl::StripAsciiWhitespace(text);
  const size_t space = stripped.find_first_of(" \t");
  const absl::string_view first = stripped.substr(0, space);
  if (first.find('=') == absl::string_view::npos) {
    // Legacy form: ENV NAME the rest of the line.
    absl::string_view value =
        space == absl::string_view::npos ? "" : absl::StripAsciiWhitespace(stripped.substr(space));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    pairs.emplace_back(std::string(first), std::string(value));
  } else {
    absl::StatusOr<std::vector<std::string>> words = gunicorn::ShlexSplit(stripped);
    if (!words.ok()) {
      Warn(origin, absl::StrCat("ENV ", text, ": ", words.status().message(), "; not imported"));
      return;
    }
    for (const std::string& word : *words) {
      const size_t eq = word.find('=');
      if (eq == std::string::npos) {
        Warn(origin, absl::StrCat("ENV ", word, " has no value; not imported"));
        continue;
      }
      pairs.emplace_back(word.substr(0, eq), word.substr(eq + 1));
    }
  }
  // Docker expands every pair against the variables as they were before
  // the instruction.
  Stage snapshot;
  snapshot.facts.env = stage.facts.env;
  for (const auto& [name, raw] : pairs) {
    std::string expanded;
    VarLookup lookup = [&](const std::string& n) { return Lookup(&snapshot, stage.args, n); };
    absl::Status status = Expand(raw, lookup, Dialect{false}, &expanded);
    if (!status.ok()) {
      stage.facts.env.erase(name);
      Warn(origin, absl::StrCat("ENV ", name, ": ", status.message(),
                                " in this Dockerfile (a base image may set it); not imported"));
      continue;
    }
    stage.facts.env[name] = Declared{std::move(expanded), origin, kByDockerfile};
  }
}

CommandPart DockerfileEvaluator::CommandForm(const Stage& stage, const std::string& args, const std::string& origin) {
  CommandPart part{{}, origin, kByDockerfile};
  if (std::optional<std::vector<std::string>> exec = ParseJsonStringArray(args)) {
    part.argv = std::move(*exec);
    return part;
  }
  if (args.empty()) return part;
  part.argv = stage.shell;
  part.argv.push_back(args);
  return part;
}

}  // namespace corral::compose
