#include "compose/declared_expectations.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/setting_source.h"
#include "common/shell_quote.h"
#include "compose/invocation_finder.h"
#include "compose/shell_lexer.h"
#include "gunicorn/args.h"
#include "gunicorn/config_loader.h"

namespace corral::compose {
namespace {

std::string StripMarkers(const std::string& text) {
  std::string out = text;
  out.erase(std::remove(out.begin(), out.end(), kUnresolvedMarker), out.end());
  return out;
}

// The expansions in `text` that had no value, as written ("${WORKERS}").
void CollectUnresolved(const std::string& text, std::set<std::string>* out) {
  size_t start = text.find(kUnresolvedMarker);
  while (start != std::string::npos) {
    const size_t end = text.find(kUnresolvedMarker, start + 1);
    if (end == std::string::npos) return;
    out->insert(text.substr(start + 1, end - start - 1));
    start = text.find(kUnresolvedMarker, end + 1);
  }
}

// The words with unresolved expansions' markers removed, shlex-quoted: the
// form of the "command" expectation, which the server splits back.
std::string ShlexJoinStripped(const std::vector<std::string>& words) {
  std::vector<std::string> stripped;
  stripped.reserve(words.size());
  for (const std::string& word : words) stripped.push_back(StripMarkers(word));
  return ShlexJoin(stripped);
}

constexpr const char* kLoaderVariables[] = {"GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "PORT"};

}  // namespace

ImportedExpectations ExpectationsFromDeclaration(const DeclaredService& service) {
  ImportedExpectations out;
  out.expectations.set_service(service.name);
  std::map<std::string, corral::v1::Expectation> by_key;
  auto expect = [&](const std::string& key, const std::string& value, const std::string& origin,
                    const std::string& declared_by) {
    corral::v1::Expectation& e = by_key[key];
    e.set_key(key);
    e.set_value(value);
    e.set_origin(origin);
    e.set_declared_by(declared_by);
  };
  auto warn = [&](const std::string& what) { out.warnings.push_back(absl::StrCat(service.name, ": ", what)); };
  auto finish = [&] {
    for (auto& [key, e] : by_key) *out.expectations.add_expectations() = std::move(e);
    return std::move(out);
  };

  if (service.replicas)
    expect("replicas", service.replicas->value, service.replicas->origin, service.replicas->declared_by);
  if (service.build_revision) {
    expect("build_revision", service.build_revision->value, service.build_revision->origin,
           service.build_revision->declared_by);
  }
  const std::string only =
      service.build_revision ? "only replicas and build_revision imported" : "only replicas imported";

  if (service.command.empty()) {
    warn(absl::StrCat("no command is known for it",
                      service.image.empty() ? "" : absl::StrCat(" (the image ", service.image, " may set one)"), "; ",
                      only));
    return finish();
  }
  std::optional<GunicornInvocation> invocation = FindGunicornInvocation(service);
  if (!invocation) {
    warn(absl::StrCat("its command (", ShlexJoinStripped(service.command), ") does not run Gunicorn; ", only));
    return finish();
  }

  gunicorn::LoaderInputs inputs;
  inputs.declared = true;
  inputs.args = invocation->command.args;
  inputs.environ.emplace();
  for (const auto& [name, declared] : invocation->environ) inputs.environ->emplace_back(name, declared.value);
  inputs.read_file = [](const std::string& path) -> absl::StatusOr<gunicorn::MasterFile> {
    return absl::NotFoundError(absl::StrCat(path, " is inside the image"));
  };
  gunicorn::ReconstructedConfig config = gunicorn::ReconstructConfig(inputs);

  auto variable = [&](const std::string& name) -> const Declared* {
    auto it = invocation->environ.find(name);
    return it == invocation->environ.end() ? nullptr : &it->second;
  };
  for (const auto& [key, setting] : config.settings) {
    const std::string& source = setting.source();
    if (absl::StrContains(setting.value(), kUnresolvedMarker)) continue;
    if (source == kSourceCmdline) {
      expect(key, setting.value(), service.command_origin, service.command_declared_by);
    } else if (source == kSourceCmdArgs || source == kSourceEnv) {
      // An env setting's note names the variable: "WEB_CONCURRENCY=4".
      const std::string name =
          source == kSourceCmdArgs ? "GUNICORN_CMD_ARGS" : setting.note().substr(0, setting.note().find('='));
      const Declared* from = variable(name);
      expect(key, setting.value(), from ? from->origin : service.command_origin,
             from ? from->declared_by : service.command_declared_by);
    }
  }

  std::set<std::string> unresolved;
  for (const std::string& word : invocation->argv) CollectUnresolved(word, &unresolved);
  for (const char* name : kLoaderVariables) {
    if (const Declared* v = variable(name)) CollectUnresolved(v->value, &unresolved);
  }
  if (unresolved.empty()) {
    expect("command", ShlexJoinStripped(invocation->argv), service.command_origin, service.command_declared_by);
  } else {
    warn(absl::StrCat("its command (", service.command_origin, ") uses ", absl::StrJoin(unresolved, ", "),
                      ", which the compose files and Dockerfile do not declare; the command and the settings that "
                      "depend on it are not imported"));
  }
  for (const corral::v1::Warning& w : config.warnings) {
    if ((w.code() == "ARGV_UNPARSED" || w.code() == "CONFIG_VALUE_INVALID") &&
        !absl::StrContains(w.message(), kUnresolvedMarker)) {
      warn(absl::StrCat(w.message(), " (", service.command_origin, ")"));
    }
  }

  const gunicorn::ParsedArgs parsed = gunicorn::ParseGunicornArgs(invocation->command.args, gunicorn::NewestTable());
  auto config_flag = [](const gunicorn::ParsedArgs& args) -> std::optional<std::string> {
    auto it = args.options.find("config");
    if (it == args.options.end() || it->second.texts.empty()) return std::nullopt;
    return it->second.texts.back();
  };
  std::optional<std::string> config_file = config_flag(parsed);
  std::string chosen_by = absl::StrCat("-c at ", service.command_origin);
  if (!config_file) {
    if (const Declared* cmd_args = variable("GUNICORN_CMD_ARGS")) {
      absl::StatusOr<std::vector<std::string>> words = gunicorn::ShlexSplit(cmd_args->value);
      if (words.ok()) config_file = config_flag(gunicorn::ParseGunicornArgs(*words, gunicorn::NewestTable()));
      chosen_by = absl::StrCat("-c in GUNICORN_CMD_ARGS at ", cmd_args->origin);
    }
  }
  if (config_file) {
    warn(absl::StrCat("Gunicorn loads the config file ", StripMarkers(*config_file), " (", chosen_by,
                      "); values set in it are not imported"));
  } else {
    warn(
        "no -c is given, so Gunicorn loads gunicorn.conf.py from the container's working directory if the image "
        "has one; values set in it are not imported");
  }
  return finish();
}

}  // namespace corral::compose
