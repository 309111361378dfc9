#include "compose/compose_file.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "compose/declared.h"
#include "compose/dockerfile.h"
#include "compose/env_file.h"
#include "compose/variable_expansion.h"
#include "gunicorn/args.h"

namespace corral::compose {
namespace {

constexpr char kByCompose[] = "compose";
constexpr char kRevisionArg[] = "CORRAL_BUILD_REVISION";
constexpr char kRevisionLabel[] = "org.opencontainers.image.revision";

// compose-go's DefaultOverrideFileNames, in its order of preference.
constexpr const char* kOverrideNames[] = {"compose.override.yml", "compose.override.yaml",
                                          "docker-compose.override.yml", "docker-compose.override.yaml"};

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Joins a relative `path` to `dir` and drops "." and "x/.." segments
// lexically, keeping a relative result relative so origins read as the user
// wrote the main file's path.
std::string JoinPath(const std::string& dir, const std::string& path) {
  std::string joined = absl::StartsWith(path, "/") || dir.empty() ? path : absl::StrCat(dir, "/", path);
  const bool absolute = absl::StartsWith(joined, "/");
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(joined, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..") {
      parts.pop_back();
      continue;
    }
    if (part == ".." && absolute) continue;
    parts.emplace_back(part);
  }
  std::string out = absl::StrJoin(parts, "/");
  if (absolute) return "/" + out;
  return out.empty() ? "." : out;
}

// Declared here too, so that the overload below does not hide it.
using ::corral::compose::Origin;
std::string Origin(const std::string& file, const YAML::Mark& mark) { return Origin(file, mark.line + 1); }

struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string name;
};

// Merge keys followed deeper than this are ignored: an alias can make a
// mapping merge itself (`&s {<<: *s}`), which would recurse forever.
constexpr int kMaxMergeDepth = 8;

// A mapping's entries with YAML merge keys (<<) applied: explicit keys win
// over merged ones, and earlier merged mappings over later ones.
std::vector<Entry> Entries(const YAML::Node& map, int depth = 0) {
  std::vector<Entry> out;
  if (!map.IsMap()) return out;
  std::set<std::string> seen;
  std::vector<YAML::Node> merged;
  for (YAML::const_iterator it = map.begin(); it != map.end(); ++it) {
    const std::string name = it->first.Scalar();
    if (name == "<<" && it->first.Tag() == "?") {
      if (it->second.IsMap()) merged.push_back(it->second);
      if (it->second.IsSequence()) {
        for (const YAML::Node& item : it->second) {
          if (item.IsMap()) merged.push_back(item);
        }
      }
      continue;
    }
    if (seen.insert(name).second) out.push_back({it->first, it->second, name});
  }
  if (depth >= kMaxMergeDepth) return out;
  for (const YAML::Node& source : merged) {
    for (Entry& entry : Entries(source, depth + 1)) {
      if (seen.insert(entry.name).second) out.push_back(std::move(entry));
    }
  }
  return out;
}

absl::Status StructureError(const std::string& file, const YAML::Node& node, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(Origin(file, node.Mark()), ": ", what));
}

bool IsReset(const YAML::Node& node) { return node.Tag() == "!reset"; }
bool IsOverride(const YAML::Node& node) { return node.Tag() == "!override"; }

struct Argv {
  std::vector<std::string> words;
  std::string origin;
  // False when the file sets it but its value could not be interpolated or
  // split: the service's command is then unknown.
  bool known = true;
};

struct EnvFileRef {
  std::string path;  // joined to the project directory
  std::string origin;
  bool required = true;
};

struct BuildModel {
  bool declared = false;
  std::string origin;
  std::optional<Declared> context;
  std::optional<Declared> dockerfile;
  std::optional<Declared> dockerfile_inline;
  std::optional<Declared> target;
  // Set when context or dockerfile could not be interpolated.
  bool location_unknown = false;
  std::map<std::string, Declared> args;
  std::map<std::string, Declared> labels;
};

// One service as the files merged so far declare it.
struct ServiceModel {
  std::optional<Argv> command;
  std::optional<Argv> entrypoint;
  std::optional<Declared> image;
  BuildModel build;
  std::map<std::string, Declared> environment;
  std::vector<EnvFileRef> env_files;
  std::optional<Declared> replicas;
  std::optional<Declared> scale;
};

class ProjectLoader {
 public:
  ProjectLoader(const std::string& main_file, const ReadFileFn& read, const LookupEnvFn& env)
      : main_file_(main_file), project_dir_(Dirname(main_file)), read_(read), env_(env) {}

  absl::StatusOr<ComposeProject> Load(const std::vector<std::string>& overrides) {
    std::vector<std::pair<std::string, std::string>> files;
    CORRAL_ASSIGN_OR_RETURN(std::string main_content, Read(main_file_));
    files.emplace_back(main_file_, std::move(main_content));
    if (overrides.empty()) {
      std::vector<std::pair<std::string, std::string>> found;
      for (const char* name : kOverrideNames) {
        const std::string path = JoinPath(project_dir_, name);
        absl::StatusOr<std::string> content = read_(path);
        if (content.ok()) {
          found.emplace_back(path, std::move(*content));
        } else if (!absl::IsNotFound(content.status())) {
          return WithPath(path, content.status());
        }
      }
      if (found.size() > 1) {
        std::vector<std::string> names;
        for (const auto& [path, content] : found) names.push_back(path);
        warnings_.push_back(absl::StrCat("found several override files (", absl::StrJoin(names, ", "), "); using ",
                                         names.front(), " as docker compose does"));
      }
      if (!found.empty()) files.push_back(std::move(found.front()));
    } else {
      for (const std::string& path : overrides) {
        CORRAL_ASSIGN_OR_RETURN(std::string content, Read(path));
        files.emplace_back(path, std::move(content));
      }
    }
    CORRAL_RETURN_IF_ERROR(LoadDotEnv());

    ComposeProject project;
    for (const auto& [path, content] : files) {
      project.files.push_back(path);
      CORRAL_RETURN_IF_ERROR(ApplyFile(path, content));
    }
    for (const auto& [name, model] : services_) project.services.push_back(Resolve(name, model));
    project.warnings = std::move(warnings_);
    return project;
  }

 private:
  static absl::Status WithPath(const std::string& path, const absl::Status& status) {
    if (absl::StrContains(status.message(), path)) return status;
    return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
  }

  absl::StatusOr<std::string> Read(const std::string& path) {
    absl::StatusOr<std::string> content = read_(path);
    if (!content.ok()) return WithPath(path, content.status());
    return content;
  }

  std::optional<std::string> LookupVar(const std::string& name) const {
    if (env_) {
      if (std::optional<std::string> v = env_(name)) return v;
    }
    auto it = dotenv_.find(name);
    if (it == dotenv_.end()) return std::nullopt;
    return it->second;
  }

  VarLookup Lookup() const {
    return [this](const std::string& name) { return LookupVar(name); };
  }

  absl::Status LoadDotEnv() {
    const std::string path = JoinPath(project_dir_, ".env");
    absl::StatusOr<std::string> content = read_(path);
    if (!content.ok()) {
      if (absl::IsNotFound(content.status())) return absl::OkStatus();
      warnings_.push_back(absl::StrCat(path, ": cannot be read (", content.status().message(),
                                       "); variables it may define are not used"));
      return absl::OkStatus();
    }
    // Inside .env a name is looked up in the environment first, then in the
    // lines above.
    VarLookup env_only = [this](const std::string& name) -> std::optional<std::string> {
      if (env_) return env_(name);
      return std::nullopt;
    };
    for (EnvFileVar& var : ParseEnvFile(path, *content, env_only, &warnings_)) {
      dotenv_[var.name] = std::move(var.value);
    }
    return absl::OkStatus();
  }

  void Warn(const std::string& file, const YAML::Node& node, const std::string& what) {
    warnings_.push_back(absl::StrCat(Origin(file, node.Mark()), ": ", what));
  }

  // The scalar interpolated; on failure a warning and nullopt, so the field
  // counts as not declared.
  std::optional<std::string> Interpolate(const std::string& file, const YAML::Node& node, const std::string& what) {
    std::string out;
    absl::Status status = Expand(node.Scalar(), Lookup(), Dialect{true}, &out);
    if (!status.ok()) {
      Warn(file, node, absl::StrCat(what, ": ", status.message(), "; this value is not used"));
      return std::nullopt;
    }
    return out;
  }

  absl::Status ApplyFile(const std::string& file, const std::string& content) {
    try {
      YAML::Node root = YAML::Load(content);
      if (root.IsNull()) return absl::InvalidArgumentError(absl::StrCat(file, ": empty compose file"));
      if (!root.IsMap()) return StructureError(file, root, "the top level is not a mapping");
      for (const Entry& top : Entries(root)) {
        if (top.name == "include") {
          Warn(file, top.key,
               "include: the included compose files are not read; services they declare are not imported");
        } else if (top.name == "services") {
          if (top.value.IsNull()) continue;
          if (!top.value.IsMap()) return StructureError(file, top.value, "services must be a mapping");
          for (const Entry& service : Entries(top.value)) {
            if (service.value.IsNull()) {
              services_[service.name];
              continue;
            }
            if (!service.value.IsMap()) {
              return StructureError(file, service.value, absl::StrCat("service ", service.name, " must be a mapping"));
            }
            CORRAL_RETURN_IF_ERROR(ApplyService(file, service.name, service.value, services_[service.name]));
          }
        }
      }
    } catch (const YAML::Exception& e) {
      const std::string where =
          e.mark.is_null() ? file : absl::StrCat(Origin(file, e.mark.line + 1), ":", e.mark.column + 1);
      return absl::InvalidArgumentError(absl::StrCat(where, ": invalid YAML: ", e.msg));
    }
    return absl::OkStatus();
  }

  absl::Status ApplyService(const std::string& file, const std::string& name, const YAML::Node& node,
                            ServiceModel& model) {
    for (const Entry& field : Entries(node)) {
      const YAML::Node& value = field.value;
      const std::string what = absl::StrCat(name, ": ", field.name);
      if (IsReset(value)) {
        Reset(field.name, model);
        continue;
      }
      if (IsOverride(value)) Reset(field.name, model);
      if (field.name == "command" || field.name == "entrypoint") {
        CORRAL_ASSIGN_OR_RETURN(std::optional<Argv> argv, ReadArgv(file, field, what));
        if (argv) (field.name == "command" ? model.command : model.entrypoint) = std::move(argv);
      } else if (field.name == "image") {
        if (value.IsNull()) continue;
        if (!value.IsScalar()) return StructureError(file, value, absl::StrCat(what, " must be a string"));
        std::optional<std::string> image = Interpolate(file, value, what);
        model.image = image ? std::optional<Declared>(Declared{*image, Origin(file, value.Mark())}) : std::nullopt;
      } else if (field.name == "build") {
        CORRAL_RETURN_IF_ERROR(ApplyBuild(file, field, what, model.build));
      } else if (field.name == "environment") {
        CORRAL_RETURN_IF_ERROR(ApplyEnvironment(file, value, what, model.environment));
      } else if (field.name == "env_file") {
        CORRAL_RETURN_IF_ERROR(ApplyEnvFiles(file, value, what, model.env_files));
      } else if (field.name == "deploy") {
        if (value.IsNull()) continue;
        if (!value.IsMap()) return StructureError(file, value, absl::StrCat(what, " must be a mapping"));
        for (const Entry& deploy : Entries(value)) {
          if (deploy.name == "replicas") {
            CORRAL_RETURN_IF_ERROR(ReadCount(file, deploy.value, absl::StrCat(what, ".replicas"), model.replicas));
          } else if (deploy.name == "mode" && deploy.value.IsScalar() &&
                     absl::StartsWith(deploy.value.Scalar(), "global")) {
            Warn(file, deploy.value,
                 absl::StrCat(what, ".mode: ", deploy.value.Scalar(),
                              " runs one container per node; a replica count is not imported from it"));
          }
        }
      } else if (field.name == "scale") {
        CORRAL_RETURN_IF_ERROR(ReadCount(file, value, what, model.scale));
      } else if (field.name == "extends") {
        std::string from = value.IsScalar() ? value.Scalar() : "";
        if (value.IsMap() && value["service"]) from = value["service"].Scalar();
        if (value.IsMap() && value["file"]) absl::StrAppend(&from, " in ", value["file"].Scalar());
        Warn(file, field.key,
             absl::StrCat(name, ": extends ", from.empty() ? "another service" : from,
                          "; what it inherits from there is not imported"));
      } else if (field.name == "profiles") {
        std::vector<std::string> profiles;
        if (value.IsSequence()) {
          for (const YAML::Node& p : value) profiles.push_back(p.Scalar());
        }
        Warn(file, field.key,
             absl::StrCat(name, ": runs only when profile ", absl::StrJoin(profiles, ", "),
                          " is enabled; imported as if it were"));
      }
    }
    return absl::OkStatus();
  }

  static void Reset(const std::string& field, ServiceModel& model) {
    if (field == "command") model.command.reset();
    if (field == "entrypoint") model.entrypoint.reset();
    if (field == "image") model.image.reset();
    if (field == "build") model.build = BuildModel();
    if (field == "environment") model.environment.clear();
    if (field == "env_file") model.env_files.clear();
    if (field == "deploy") model.replicas.reset();
    if (field == "scale") model.scale.reset();
  }

  // A string is split shell-style as compose does (it is not run by a
  // shell); a list is taken item by item. nullopt for null (not set here).
  absl::StatusOr<std::optional<Argv>> ReadArgv(const std::string& file, const Entry& field, const std::string& what) {
    const YAML::Node& value = field.value;
    if (value.IsNull()) return std::optional<Argv>();
    Argv argv;
    argv.origin = Origin(file, field.key.Mark());
    if (value.IsScalar()) {
      std::optional<std::string> text = Interpolate(file, value, what);
      if (!text) {
        argv.known = false;
        return std::optional<Argv>(std::move(argv));
      }
      absl::StatusOr<std::vector<std::string>> words = gunicorn::ShlexSplit(*text);
      if (!words.ok()) {
        Warn(file, value, absl::StrCat(what, ": cannot split '", *text, "' (", words.status().message(), ")"));
        argv.known = false;
      } else {
        argv.words = std::move(*words);
      }
      return std::optional<Argv>(std::move(argv));
    }
    if (!value.IsSequence()) return StructureError(file, value, absl::StrCat(what, " must be a string or a list"));
    for (const YAML::Node& item : value) {
      if (!item.IsScalar()) return StructureError(file, item, absl::StrCat(what, " must be a list of strings"));
      std::optional<std::string> word = Interpolate(file, item, what);
      if (!word) {
        argv.known = false;
        argv.words.clear();
        break;
      }
      argv.words.push_back(std::move(*word));
    }
    return std::optional<Argv>(std::move(argv));
  }

  absl::Status ReadCount(const std::string& file, const YAML::Node& value, const std::string& what,
                         std::optional<Declared>& into) {
    if (value.IsNull()) return absl::OkStatus();
    if (!value.IsScalar()) return StructureError(file, value, absl::StrCat(what, " must be a number"));
    into.reset();
    std::optional<std::string> text = Interpolate(file, value, what);
    if (!text) return absl::OkStatus();
    int64_t n = 0;
    if (!absl::SimpleAtoi(*text, &n) || n < 0) {
      Warn(file, value, absl::StrCat(what, ": '", *text, "' is not a replica count; not imported"));
      return absl::OkStatus();
    }
    into = Declared{absl::StrCat(n), Origin(file, value.Mark())};
    return absl::OkStatus();
  }

  // `environment`, build.args and build.labels: a list of NAME=VALUE (or
  // NAME, taken from the environment compose runs in) or a mapping.
  // Later declarations replace earlier ones per name.
  absl::Status ApplyKeyValues(const std::string& file, const YAML::Node& node, const std::string& what,
                              std::map<std::string, Declared>& into) {
    if (node.IsNull()) return absl::OkStatus();
    auto assign = [&](const std::string& name, const YAML::Node& at, const std::optional<std::string>& raw_value) {
      const std::string origin = Origin(file, at.Mark());
      const std::string item = absl::StrCat(what, ".", name);
      if (!raw_value) {
        if (std::optional<std::string> v = LookupVar(name)) {
          into[name] = Declared{*v, origin};
        } else {
          into.erase(name);
          Warn(file, at,
               absl::StrCat(item,
                            " takes its value from the environment compose runs in, where it is not set; "
                            "not imported"));
        }
        return;
      }
      std::string out;
      absl::Status status = Expand(*raw_value, Lookup(), Dialect{true}, &out);
      if (!status.ok()) {
        into.erase(name);
        Warn(file, at, absl::StrCat(item, ": ", status.message(), "; this value is not used"));
        return;
      }
      into[name] = Declared{std::move(out), origin};
    };
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) {
        if (!item.IsScalar())
          return StructureError(file, item, absl::StrCat(what, " items must be NAME=VALUE strings"));
        const std::string& text = item.Scalar();
        const size_t eq = text.find('=');
        if (eq == std::string::npos) {
          assign(text, item, std::nullopt);
        } else {
          assign(text.substr(0, eq), item, text.substr(eq + 1));
        }
      }
      return absl::OkStatus();
    }
    if (!node.IsMap()) return StructureError(file, node, absl::StrCat(what, " must be a list or a mapping"));
    for (const Entry& entry : Entries(node)) {
      if (entry.value.IsNull()) {
        assign(entry.name, entry.key, std::nullopt);
      } else if (entry.value.IsScalar()) {
        assign(entry.name, entry.key, entry.value.Scalar());
      } else {
        return StructureError(file, entry.value, absl::StrCat(what, ".", entry.name, " must be a string or number"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ApplyEnvironment(const std::string& file, const YAML::Node& node, const std::string& what,
                                std::map<std::string, Declared>& into) {
    return ApplyKeyValues(file, node, what, into);
  }

  absl::Status ApplyEnvFiles(const std::string& file, const YAML::Node& node, const std::string& what,
                             std::vector<EnvFileRef>& into) {
    if (node.IsNull()) return absl::OkStatus();
    auto add = [&](const YAML::Node& path_node, bool required) {
      std::optional<std::string> path = Interpolate(file, path_node, what);
      if (!path) return;
      into.push_back({JoinPath(project_dir_, *path), Origin(file, path_node.Mark()), required});
    };
    if (node.IsScalar()) {
      add(node, true);
      return absl::OkStatus();
    }
    if (!node.IsSequence()) return StructureError(file, node, absl::StrCat(what, " must be a string or a list"));
    for (const YAML::Node& item : node) {
      if (item.IsScalar()) {
        add(item, true);
      } else if (item.IsMap() && item["path"] && item["path"].IsScalar()) {
        const YAML::Node required = item["required"];
        add(item["path"], !(required && required.IsScalar() && required.Scalar() == "false"));
      } else {
        return StructureError(file, item, absl::StrCat(what, " items must be paths or {path, required}"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ApplyBuild(const std::string& file, const Entry& field, const std::string& what, BuildModel& build) {
    const YAML::Node& value = field.value;
    if (value.IsNull()) return absl::OkStatus();
    build.declared = true;
    build.origin = Origin(file, field.key.Mark());
    auto set_path = [&](std::optional<Declared>& into, const YAML::Node& node, const std::string& item) {
      std::optional<std::string> text = Interpolate(file, node, item);
      if (!text) {
        into.reset();
        build.location_unknown = true;
        return;
      }
      into = Declared{*text, Origin(file, node.Mark())};
    };
    if (value.IsScalar()) {
      set_path(build.context, value, what);
      return absl::OkStatus();
    }
    if (!value.IsMap()) return StructureError(file, value, absl::StrCat(what, " must be a path or a mapping"));
    for (const Entry& entry : Entries(value)) {
      const std::string item = absl::StrCat(what, ".", entry.name);
      if (IsReset(entry.value) || IsOverride(entry.value)) {
        if (entry.name == "args") build.args.clear();
        if (entry.name == "labels") build.labels.clear();
        if (IsReset(entry.value)) continue;
      }
      if (entry.name == "args") {
        CORRAL_RETURN_IF_ERROR(ApplyKeyValues(file, entry.value, item, build.args));
      } else if (entry.name == "labels") {
        CORRAL_RETURN_IF_ERROR(ApplyKeyValues(file, entry.value, item, build.labels));
      } else if (entry.name == "context" || entry.name == "dockerfile" || entry.name == "dockerfile_inline" ||
                 entry.name == "target") {
        if (!entry.value.IsScalar()) return StructureError(file, entry.value, absl::StrCat(item, " must be a string"));
        if (entry.name == "context") set_path(build.context, entry.value, item);
        if (entry.name == "target") set_path(build.target, entry.value, item);
        if (entry.name == "dockerfile") {
          set_path(build.dockerfile, entry.value, item);
          build.dockerfile_inline.reset();
        }
        if (entry.name == "dockerfile_inline") {
          // Compose interpolates this text like any value, so a Dockerfile
          // variable in it must be written $$VAR.
          set_path(build.dockerfile_inline, entry.value, item);
          build.dockerfile.reset();
        }
      }
    }
    return absl::OkStatus();
  }

  // Reads and evaluates the Dockerfile compose builds the service from.
  std::optional<ImageFacts> ReadImage(const std::string& name, const BuildModel& build) {
    if (build.location_unknown) {
      warnings_.push_back(absl::StrCat(
          build.origin, ": ", name, ": the build context or Dockerfile is not known, so the Dockerfile is not read"));
      return std::nullopt;
    }
    DockerfileSource source;
    if (build.target) source.target = build.target->value;
    for (const auto& [arg, declared] : build.args) source.build_args[arg] = declared.value;
    if (build.dockerfile_inline) {
      // The origin of "dockerfile_inline: |" is its indicator line; the text
      // starts on the next one.
      const std::string& origin = build.dockerfile_inline->origin;
      const size_t colon = origin.rfind(':');
      int line = 0;
      (void)absl::SimpleAtoi(origin.substr(colon + 1), &line);
      source.path = origin.substr(0, colon);
      source.line_offset = line;
      source.content = build.dockerfile_inline->value;
      return DockerfileEvaluator(name, source, &warnings_).Run();
    }
    const std::string context = build.context ? build.context->value : ".";
    if (absl::StrContains(context, "://") || absl::StartsWith(context, "git@")) {
      warnings_.push_back(absl::StrCat(build.origin, ": ", name, ": the build context ", context,
                                       " is remote; its Dockerfile is not read"));
      return std::nullopt;
    }
    const std::string context_dir = JoinPath(project_dir_, context);
    source.path = JoinPath(context_dir, build.dockerfile ? build.dockerfile->value : "Dockerfile");
    absl::StatusOr<std::string> content = read_(source.path);
    if (!content.ok()) {
      warnings_.push_back(absl::StrCat(build.origin, ": ", name, ": cannot read its Dockerfile ", source.path, " (",
                                       content.status().message(),
                                       "); the image's CMD, ENTRYPOINT and ENV are not known"));
      return std::nullopt;
    }
    source.content = std::move(*content);
    return DockerfileEvaluator(name, source, &warnings_).Run();
  }

  void AddEnvFiles(const std::string& name, const ServiceModel& model, std::map<std::string, Declared>& env) {
    for (const EnvFileRef& ref : model.env_files) {
      absl::StatusOr<std::string> content = read_(ref.path);
      if (!content.ok()) {
        if (ref.required || !absl::IsNotFound(content.status())) {
          warnings_.push_back(absl::StrCat(ref.origin, ": ", name, ": env_file ", ref.path, " cannot be read (",
                                           content.status().message(), "); its variables are not imported"));
        }
        continue;
      }
      for (EnvFileVar& var : ParseEnvFile(ref.path, *content, Lookup(), &warnings_)) {
        env[var.name] = Declared{std::move(var.value), Origin(ref.path, var.line)};
      }
    }
  }

  DeclaredService Resolve(const std::string& name, const ServiceModel& model) {
    DeclaredService out;
    out.name = name;
    if (model.image) out.image = model.image->value;

    std::optional<ImageFacts> image;
    if (model.build.declared) image = ReadImage(name, model.build);

    if (image) out.environment = image->env;
    AddEnvFiles(name, model, out.environment);
    for (const auto& [var, declared] : model.environment) out.environment[var] = declared;

    ResolveCommand(name, model, image, out);

    if (model.replicas) {
      out.replicas = model.replicas;
      if (model.scale && model.scale->value != model.replicas->value) {
        warnings_.push_back(absl::StrCat(model.scale->origin, ": ", name, ": scale ", model.scale->value,
                                         " disagrees with deploy.replicas ", model.replicas->value, " (",
                                         model.replicas->origin, "); using deploy.replicas"));
      }
    } else if (model.scale) {
      out.replicas = model.scale;
    }

    const Declared* revision = nullptr;
    auto arg = model.build.args.find(kRevisionArg);
    auto label = model.build.labels.find(kRevisionLabel);
    if (arg != model.build.args.end()) {
      revision = &arg->second;
    } else if (label != model.build.labels.end()) {
      revision = &label->second;
    }
    if (revision != nullptr) {
      if (revision->value.empty()) {
        warnings_.push_back(absl::StrCat(revision->origin, ": ", name, ": the build revision is empty; not imported"));
      } else {
        out.build_revision = *revision;
      }
    }
    return out;
  }

  // Docker's rule: a compose entrypoint replaces the image's ENTRYPOINT and
  // drops its CMD unless compose also sets command; a compose command alone
  // replaces the image's CMD and follows its ENTRYPOINT.
  void ResolveCommand(const std::string& name, const ServiceModel& model, const std::optional<ImageFacts>& image,
                      DeclaredService& out) {
    auto from_compose = [](const Argv& argv) {
      return std::optional<CommandPart>(CommandPart{argv.words, argv.origin, kByCompose});
    };
    if ((model.entrypoint && !model.entrypoint->known) || (model.command && !model.command->known)) return;

    std::optional<CommandPart> entrypoint;
    std::optional<CommandPart> cmd;
    if (model.entrypoint) {
      entrypoint = from_compose(*model.entrypoint);
      cmd = model.command ? from_compose(*model.command) : CommandPart{{}, model.entrypoint->origin, kByCompose};
    } else {
      // An ENTRYPOINT only a base image knows is taken as none: official
      // Python images set none, and entrypoint scripts that exec "$@" still
      // leave the command recognisable.
      entrypoint = image && image->entrypoint ? image->entrypoint : CommandPart{};
      if (model.command) {
        cmd = from_compose(*model.command);
      } else if (image) {
        cmd = image->cmd;
        if (!cmd) {
          warnings_.push_back(absl::StrCat(model.build.origin, ": ", name,
                                           ": its Dockerfile sets no CMD, so the CMD of the base image ",
                                           image->base_image, " applies and is not known"));
          return;
        }
      } else {
        return;  // Only the image knows its command.
      }
    }
    const CommandPart& named = !cmd->argv.empty() || entrypoint->argv.empty() ? *cmd : *entrypoint;
    out.command = entrypoint->argv;
    out.command.insert(out.command.end(), cmd->argv.begin(), cmd->argv.end());
    if (out.command.empty()) return;
    out.command_origin = named.origin;
    out.command_declared_by = named.declared_by;
  }

  const std::string main_file_;
  const std::string project_dir_;
  const ReadFileFn& read_;
  const LookupEnvFn& env_;
  std::map<std::string, std::string> dotenv_;
  std::map<std::string, ServiceModel> services_;
  std::vector<std::string> warnings_;
};

}  // namespace

absl::StatusOr<ComposeProject> LoadComposeProject(const std::string& main_file,
                                                  const std::vector<std::string>& overrides, const ReadFileFn& read,
                                                  const LookupEnvFn& env) {
  if (!read) return absl::InvalidArgumentError("LoadComposeProject needs a file reader");
  return ProjectLoader(main_file, read, env).Load(overrides);
}

}  // namespace corral::compose
