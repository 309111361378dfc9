#include "server/command_compare.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/shell_quote.h"
#include "gunicorn/args.h"
#include "gunicorn/command.h"

namespace corral::server {
namespace {

constexpr char kNotGiven[] = "not given";

// What a parsed command says, setting by setting.
std::map<std::string, std::string> Options(const gunicorn::ParsedArgs& parsed) {
  std::map<std::string, std::string> out;
  for (const auto& [name, option] : parsed.options) {
    out[name] = option.texts.empty() ? "set" : absl::StrJoin(option.texts, ",");
  }
  out["app_uri"] = parsed.positionals.empty() ? kNotGiven : parsed.positionals.front();
  return out;
}

}  // namespace

CommandComparison CompareGunicornCommands(const std::vector<std::string>& running_argv,
                                          const std::string& running_version, const std::string& declared) {
  CommandComparison out;
  out.running_text = QuoteArgvForDisplay(running_argv);
  std::optional<gunicorn::GunicornCommand> running = gunicorn::RecognizeGunicorn(running_argv);
  if (!running) {
    out.why_not = "the master's command line is not readable";
    return out;
  }
  if (running->is_title()) {
    out.why_not = "setproctitle replaced the master's command line with its title";
    return out;
  }
  absl::StatusOr<std::vector<std::string>> words = gunicorn::ShlexSplit(declared);
  std::optional<gunicorn::GunicornCommand> expected;
  if (words.ok()) expected = gunicorn::RecognizeGunicorn(*words);
  if (!expected || expected->is_title()) {
    out.why_not = absl::StrCat("the declared command (", declared, ") is not a Gunicorn command line");
    return out;
  }
  const gunicorn::SettingsTable& running_table = *gunicorn::TableFor(gunicorn::ParseRelease(running_version)).table;
  const gunicorn::SettingsTable& declared_table = gunicorn::NewestTable();
  out.running_table = running_table.line();
  out.declared_table = declared_table.line();
  gunicorn::ParsedArgs running_args = gunicorn::ParseGunicornArgs(running->args, running_table);
  if (!running_args.problems.empty()) {
    // The master runs, so its Gunicorn accepted this command line: the table
    // is not its release's (the version is unknown or another table stood
    // in), and any difference could be the table's.
    out.why_not = absl::StrCat("the master's command line does not parse with Gunicorn ", out.running_table,
                               "'s settings (", absl::StrJoin(running_args.problems, "; "), ")");
    return out;
  }
  gunicorn::ParsedArgs declared_args = gunicorn::ParseGunicornArgs(expected->args, declared_table);
  if (!declared_args.problems.empty()) {
    out.why_not = absl::StrCat("the declared command (", declared, ") does not parse with Gunicorn ",
                               out.declared_table, "'s settings (", absl::StrJoin(declared_args.problems, "; "), ")");
    return out;
  }
  out.comparable = true;
  // By setting name: the same setting may be spelled by flags (or unique
  // prefixes) that only one of the two releases knows.
  std::map<std::string, std::string> a = Options(running_args);
  std::map<std::string, std::string> b = Options(declared_args);
  std::set<std::string> names;
  for (const auto& [name, value] : a) names.insert(name);
  for (const auto& [name, value] : b) names.insert(name);
  for (const std::string& name : names) {
    auto x = a.find(name);
    auto y = b.find(name);
    std::string running_value = x == a.end() ? kNotGiven : x->second;
    std::string declared_value = y == b.end() ? kNotGiven : y->second;
    if (running_value != declared_value) out.differences.push_back({name, running_value, declared_value});
  }
  return out;
}

std::string DescribeDifferences(const std::vector<CommandDifference>& differences) {
  return absl::StrJoin(differences, ", ", [](std::string* out, const CommandDifference& d) {
    absl::StrAppend(out, d.setting, " ", d.running, " vs ", d.declared);
  });
}

}  // namespace corral::server
