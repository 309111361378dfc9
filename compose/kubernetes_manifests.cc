#include "compose/kubernetes_manifests.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/path_util.h"
#include "common/status_macros.h"
#include "compose/declared.h"
#include "compose/invocation_finder.h"
#include "compose/shell_lexer.h"

namespace corral::compose {
namespace {

// The server knows a value as declared by the deployment ("compose") or by
// the image's Dockerfile; a manifest is the deployment's declaration.
constexpr char kByManifest[] = "compose";
constexpr char kServiceLabel[] = "app.kubernetes.io/name";
// Merge keys (<<) followed per lookup, so that `<<: [*a, *a, ...]` chains
// cannot make one lookup visit the same mapping millions of times.
constexpr int kMergeBudget = 64;
constexpr int kMaxListDepth = 4;

bool IsWorkloadKind(const std::string& kind, const std::string& api_version) {
  if (kind == "Pod") return api_version == "v1";
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet") {
    return api_version == "apps/v1" || api_version == "apps/v1beta1" || api_version == "apps/v1beta2" ||
           api_version == "extensions/v1beta1";
  }
  return false;
}

bool IsAutoscalerKind(const std::string& kind, const std::string& api_version) {
  return (kind == "HorizontalPodAutoscaler" && absl::StartsWith(api_version, "autoscaling/")) ||
         (kind == "ScaledObject" && absl::StartsWith(api_version, "keda.sh/"));
}

bool IsShell(absl::string_view word) {
  const absl::string_view name = Basename(word);
  return name == "sh" || name == "bash" || name == "dash" || name == "ash" || name == "zsh" || name == "ksh";
}

// Variables the kubelet adds for the Services of the namespace
// (API_SERVICE_HOST, API_SERVICE_PORT_HTTP, API_PORT_8000_TCP_ADDR, ...):
// only the cluster knows whether one is set.
bool MayBeServiceVariable(absl::string_view name) {
  return absl::EndsWith(name, "_SERVICE_HOST") || absl::StrContains(name, "_SERVICE_PORT") ||
         absl::StrContains(name, "_PORT");
}

bool NamespacesMatch(const std::string& a, const std::string& b) { return a.empty() || b.empty() || a == b; }

// A document of a file, cut at its markers so that each is parsed, and its
// nodes freed, on its own. A line starting with "---" or "..." and then a
// blank or the end is a marker wherever it appears (YAML forbids it inside
// any scalar), so cutting there never splits a document.
struct Chunk {
  absl::string_view text;
  int first_line = 0;  // 0-based
};

bool IsMarker(absl::string_view line, char c) {
  if (line.size() < 3 || line[0] != c || line[1] != c || line[2] != c) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r' || line[3] == '\n';
}

std::vector<Chunk> SplitDocuments(absl::string_view content) {
  std::vector<Chunk> out;
  size_t start = 0;
  int start_line = 0;
  int line = 0;
  for (size_t pos = 0; pos < content.size(); ++line) {
    const size_t eol = content.find('\n', pos);
    const size_t next = eol == absl::string_view::npos ? content.size() : eol + 1;
    const absl::string_view text = content.substr(pos, next - pos);
    if (IsMarker(text, '-')) {
      if (pos > start) out.push_back({content.substr(start, pos - start), start_line});
      start = pos;
      start_line = line;
    } else if (IsMarker(text, '.')) {
      out.push_back({content.substr(start, next - start), start_line});
      start = next;
      start_line = line + 1;
    }
    pos = next;
  }
  if (start < content.size()) out.push_back({content.substr(start), start_line});
  return out;
}

// Kubernetes' own expansion (k8s.io/kubernetes third_party/forked/golang/
// expansion): "$$" is "$", "$(NAME)" is mapping(NAME), any other "$" and an
// unclosed "$(" stay as written. nullopt when the result would grow past
// kMaxExpandedValueBytes.
std::optional<std::string> ExpandReferences(absl::string_view input,
                                            const std::function<std::string(const std::string&)>& mapping) {
  std::string out;
  size_t checkpoint = 0;
  // Once no ')' follows some position, none follows a later one: searching
  // again would make "$($($(..." quadratic.
  bool closer_ahead = true;
  for (size_t cursor = 0; cursor < input.size(); ++cursor) {
    if (input[cursor] != '$' || cursor + 1 >= input.size()) continue;
    out.append(input.data() + checkpoint, cursor - checkpoint);
    const char next = input[cursor + 1];
    size_t advance = 1;
    if (next == '$') {
      out.push_back('$');
    } else if (next == '(') {
      const size_t close = closer_ahead ? input.find(')', cursor + 2) : absl::string_view::npos;
      if (close == absl::string_view::npos) {
        closer_ahead = false;
        out.append("$(");
      } else {
        out.append(mapping(std::string(input.substr(cursor + 2, close - cursor - 2))));
        advance = close - cursor;
      }
    } else {
      out.push_back('$');
      out.push_back(next);
    }
    cursor += advance;
    checkpoint = cursor + 1;
    if (out.size() > kMaxExpandedValueBytes) return std::nullopt;
  }
  if (checkpoint < input.size()) out.append(input.data() + checkpoint, input.size() - checkpoint);
  if (out.size() > kMaxExpandedValueBytes) return std::nullopt;
  return out;
}

// A node and the file it was read from.
struct Source {
  std::string file;
  int line_offset = 0;

  std::string At(const YAML::Node& node) const { return Origin(file, node.Mark().line + line_offset + 1); }
};

absl::Status WrongType(const Source& source, const YAML::Node& node, absl::string_view context,
                       absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source.At(node), ": ", context, what));
}

// The value of `key` in `map`, following merge keys (<<) as kubectl's YAML
// reader does: explicit keys first, then merged mappings in order. A null
// node when absent (Kubernetes reads `key: null` as absent too).
YAML::Node Find(const YAML::Node& map, absl::string_view key, int& budget) {
  if (!map.IsMap() || --budget < 0) return YAML::Node();
  std::vector<YAML::Node> merged;
  for (YAML::const_iterator it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string& name = it->first.Scalar();
    if (name == key) return it->second;
    if (name == "<<" && it->first.Tag() == "?") merged.push_back(it->second);
  }
  for (const YAML::Node& source : merged) {
    if (source.IsMap()) {
      const YAML::Node found = Find(source, key, budget);
      if (!found.IsNull()) return found;
    } else if (source.IsSequence()) {
      for (const YAML::Node& item : source) {
        const YAML::Node found = Find(item, key, budget);
        if (!found.IsNull()) return found;
      }
    }
  }
  return YAML::Node();
}

YAML::Node Field(const YAML::Node& map, absl::string_view key) {
  int budget = kMergeBudget;
  return Find(map, key, budget);
}

// The key node of `key` in `map` itself, for the line a value that is
// left to its default belongs on; `map` when there is none.
YAML::Node KeyOrMap(const YAML::Node& map, absl::string_view key) {
  for (YAML::const_iterator it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->first;
  }
  return map;
}

// Every entry of `map` with merge keys applied: explicit keys win over
// merged ones, earlier merged mappings over later ones.
void Entries(const YAML::Node& map, int& budget, std::set<std::string>& seen,
             std::vector<std::pair<YAML::Node, YAML::Node>>& out) {
  if (!map.IsMap() || --budget < 0) return;
  std::vector<YAML::Node> merged;
  for (YAML::const_iterator it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    if (it->first.Scalar() == "<<" && it->first.Tag() == "?") {
      merged.push_back(it->second);
    } else if (seen.insert(it->first.Scalar()).second) {
      out.emplace_back(it->first, it->second);
    }
  }
  for (const YAML::Node& source : merged) {
    if (source.IsMap()) Entries(source, budget, seen, out);
    if (source.IsSequence()) {
      for (const YAML::Node& item : source) Entries(item, budget, seen, out);
    }
  }
}

std::vector<std::pair<YAML::Node, YAML::Node>> Entries(const YAML::Node& map) {
  int budget = kMergeBudget;
  std::set<std::string> seen;
  std::vector<std::pair<YAML::Node, YAML::Node>> out;
  Entries(map, budget, seen, out);
  return out;
}

// One object of the files that the import reads.
struct Object {
  Source source;
  YAML::Node node;
  std::string kind;
  std::string api_version;
  std::string name;
  std::string ns;
  // Declared again later in the files, which is the one read.
  bool replaced = false;

  std::string At(const YAML::Node& n) const { return source.At(n); }
  // "Deployment api" or "Deployment shop/api".
  std::string Title() const { return absl::StrCat(kind, " ", ns.empty() ? "" : ns + "/", name); }
};

struct Autoscaler {
  std::string title;
  std::string origin;
  std::string ns;
  std::string target_kind;
  std::string target_name;
  std::string range;  // "between 2 and 10 replicas"
};

// A container's environment as the kubelet builds it.
struct ContainerEnv {
  std::map<std::string, Declared> vars;
  // Variables the container gets whose value the files do not tell.
  std::set<std::string> unknown;
  // An envFrom source that is not read: any variable may come from it.
  bool unread_source = false;

  bool IsKnown(const std::string& name) const { return vars.count(name) > 0; }
  // Whether a reference to `name`, which the files do not define, may still
  // have a value at run time.
  bool MayBeSet(const std::string& name) const {
    return unknown.count(name) > 0 || unread_source || MayBeServiceVariable(name);
  }
};

struct Argv {
  std::vector<std::string> words;
  std::string origin;
};

class ManifestLoader {
 public:
  absl::StatusOr<KubernetesManifests> Load(const std::vector<ManifestFile>& files) {
    KubernetesManifests out;
    for (const ManifestFile& file : files) {
      out.files.push_back(file.path);
      CORRAL_RETURN_IF_ERROR(ReadFile(file));
    }
    const Object* current = nullptr;
    try {
      for (const Object& object : objects_) {
        current = &object;
        if (!object.replaced && IsAutoscalerKind(object.kind, object.api_version)) ReadAutoscaler(object);
      }
      for (const Object& object : objects_) {
        current = &object;
        if (!object.replaced && IsWorkloadKind(object.kind, object.api_version)) {
          CORRAL_RETURN_IF_ERROR(ReadWorkload(object));
        }
      }
    } catch (const std::exception& e) {
      // The readers check every node's type first; this is the backstop.
      return absl::InvalidArgumentError(
          absl::StrCat(current->At(current->node), ": ", current->Title(), ": cannot read it: ", e.what()));
    }
    out.containers = std::move(containers_);
    out.warnings = std::move(warnings_);
    return out;
  }

 private:
  absl::Status ReadFile(const ManifestFile& file) {
    if (file.content.size() > kMaxManifestFileBytes) {
      return absl::InvalidArgumentError(absl::StrCat(file.path, ": ", file.content.size(), " bytes, more than the ",
                                                     kMaxManifestFileBytes >> 20, " MiB a manifest file may have"));
    }
    const std::vector<Chunk> chunks = SplitDocuments(file.content);
    if (chunks.size() > kMaxManifestDocuments) {
      return absl::InvalidArgumentError(absl::StrCat(file.path, ": more than ", kMaxManifestDocuments,
                                                     " documents, more than a manifest file may have"));
    }
    for (const Chunk& chunk : chunks) {
      const Source source{file.path, chunk.first_line};
      try {
        // One document per chunk, so Load: yaml-cpp 0.7's LoadAll loops
        // forever, adding null documents, on a stray ',' (yaml-cpp #1040).
        CORRAL_RETURN_IF_ERROR(AddDocument(source, YAML::Load(std::string(chunk.text)), 0));
      } catch (const YAML::Exception& e) {
        const std::string where = e.mark.is_null() ? file.path
                                                   : absl::StrCat(Origin(file.path, e.mark.line + chunk.first_line + 1),
                                                                  ":", e.mark.column + 1);
        return absl::InvalidArgumentError(absl::StrCat(where, ": invalid YAML: ", e.msg));
      } catch (const std::exception& e) {
        return absl::InvalidArgumentError(
            absl::StrCat(Origin(file.path, chunk.first_line + 1), ": cannot read this document: ", e.what()));
      }
    }
    return absl::OkStatus();
  }

  // Counts `bytes` against kMaxManifestValueBytes.
  absl::Status Charge(const Source& source, const YAML::Node& at, size_t bytes) {
    if (bytes <= bytes_left_) {
      bytes_left_ -= bytes;
      return absl::OkStatus();
    }
    bytes_left_ = 0;
    return absl::InvalidArgumentError(absl::StrCat(source.At(at), ": the values read add up to more than ",
                                                   kMaxManifestValueBytes >> 20,
                                                   " MiB (anchors or $(VAR) references repeating a large value?)"));
  }

  // A warning, counted against the same cap: a name repeated by aliases
  // would otherwise repeat in every warning.
  absl::Status Warn(const Source& source, const YAML::Node& at, std::string warning) {
    CORRAL_RETURN_IF_ERROR(Charge(source, at, warning.size()));
    warnings_.push_back(std::move(warning));
    return absl::OkStatus();
  }

  // The scalar at `key` ("" when absent); an error for any other type.
  absl::StatusOr<std::string> ScalarField(const Source& source, const YAML::Node& map, absl::string_view key,
                                          absl::string_view context) {
    const YAML::Node node = Field(map, key);
    if (node.IsNull()) return std::string();
    if (!node.IsScalar()) return WrongType(source, node, context, absl::StrCat(key, " must be a string"));
    return node.Scalar();
  }

  absl::Status AddDocument(const Source& source, const YAML::Node& document, int depth) {
    if (document.IsNull()) return absl::OkStatus();
    CORRAL_RETURN_IF_ERROR(Charge(source, document, 256));
    if (!document.IsMap()) {
      return WrongType(source, document, "", "a manifest document must be a mapping with apiVersion and kind");
    }
    CORRAL_ASSIGN_OR_RETURN(std::string kind, ScalarField(source, document, "kind", ""));
    CORRAL_ASSIGN_OR_RETURN(std::string api_version, ScalarField(source, document, "apiVersion", ""));
    if (kind.empty() || api_version.empty()) {
      return Warn(source, document,
                  absl::StrCat(source.At(document),
                               ": a document without apiVersion and kind is not a Kubernetes object; skipped"));
    }
    if (kind == "Kustomization") {
      return Warn(source, document,
                  absl::StrCat(source.At(document),
                               ": a Kustomization lists manifests for kustomize to build; import what it builds: "
                               "corral expect import <(kubectl kustomize DIR)"));
    }
    const YAML::Node items = Field(document, "items");
    if (absl::EndsWith(kind, "List") && !items.IsNull()) {
      if (!items.IsSequence()) return WrongType(source, items, absl::StrCat(kind, ": "), "items must be a list");
      if (depth >= kMaxListDepth) {
        return WrongType(source, document, "", absl::StrCat("Lists nested more than ", kMaxListDepth, " deep"));
      }
      for (const YAML::Node& item : items) {
        if (!item.IsMap()) return WrongType(source, item, absl::StrCat(kind, ": "), "items must be objects");
        CORRAL_RETURN_IF_ERROR(AddDocument(source, item, depth + 1));
      }
      return absl::OkStatus();
    }
    Object object{source, document, kind, api_version, "", ""};
    const YAML::Node metadata = Field(document, "metadata");
    if (!metadata.IsNull() && !metadata.IsMap()) {
      return WrongType(source, metadata, absl::StrCat(kind, ": "), "metadata must be a mapping");
    }
    const std::string context = absl::StrCat(kind, ": metadata.");
    CORRAL_ASSIGN_OR_RETURN(object.name, ScalarField(source, metadata, "name", context));
    CORRAL_ASSIGN_OR_RETURN(object.ns, ScalarField(source, metadata, "namespace", context));
    CORRAL_RETURN_IF_ERROR(Charge(source, document, 2 * (object.name.size() + object.ns.size()) + kind.size()));
    declared_.insert(absl::StrCat(kind, "/", object.name));
    if (!IsWorkloadKind(kind, api_version) && !IsAutoscalerKind(kind, api_version) &&
        !(kind == "ConfigMap" && api_version == "v1")) {
      return absl::OkStatus();
    }
    const std::string key = absl::StrCat(kind, "/", object.ns, "/", object.name);
    auto [it, added] = index_.emplace(key, objects_.size());
    if (!added) {
      Object& earlier = objects_[it->second];
      CORRAL_RETURN_IF_ERROR(
          Warn(source, document,
               absl::StrCat(object.At(document), ": ", object.Title(), " is declared again (first at ",
                            earlier.At(earlier.node), "); the later one is read, as kubectl apply leaves it")));
      earlier.replaced = true;
      it->second = objects_.size();
    }
    if (kind == "ConfigMap") config_maps_[object.name].push_back(objects_.size());
    objects_.push_back(std::move(object));
    return absl::OkStatus();
  }

  // Autoscalers are read leniently: they only take a replica count away.
  void ReadAutoscaler(const Object& object) {
    const YAML::Node spec = Field(object.node, "spec");
    const YAML::Node target = Field(spec, "scaleTargetRef");
    const YAML::Node name = Field(target, "name");
    if (!name.IsScalar()) return;
    const YAML::Node kind = Field(target, "kind");
    Autoscaler a;
    a.title = object.Title();
    a.origin = object.At(object.node);
    a.ns = object.ns;
    a.target_name = name.Scalar();
    a.target_kind = kind.IsScalar() ? kind.Scalar() : "Deployment";  // KEDA's default
    const bool hpa = object.kind == "HorizontalPodAutoscaler";
    const YAML::Node min = Field(spec, hpa ? "minReplicas" : "minReplicaCount");
    const YAML::Node max = Field(spec, hpa ? "maxReplicas" : "maxReplicaCount");
    a.range = absl::StrCat("between ", min.IsScalar() ? min.Scalar() : (hpa ? "1" : "0"), " and ",
                           max.IsScalar() ? max.Scalar() : "100", " replicas");
    autoscalers_[absl::StrCat(a.target_kind, "/", a.target_name)].push_back(std::move(a));
  }

  const Object* FindConfigMap(const std::string& ns, const std::string& name) const {
    auto exact = index_.find(absl::StrCat("ConfigMap/", ns, "/", name));
    if (exact != index_.end()) return &objects_[exact->second];
    auto named = config_maps_.find(name);
    if (named == config_maps_.end()) return nullptr;
    for (size_t i : named->second) {
      if (!objects_[i].replaced && NamespacesMatch(objects_[i].ns, ns)) return &objects_[i];
    }
    return nullptr;
  }

  // The `data` of a ConfigMap, each value with the line that declares it.
  absl::StatusOr<std::map<std::string, Declared>> ConfigMapData(const Object& map) {
    std::map<std::string, Declared> out;
    const YAML::Node data = Field(map.node, "data");
    if (data.IsNull()) return out;
    const std::string context = absl::StrCat(map.Title(), ": ");
    if (!data.IsMap()) return WrongType(map.source, data, context, "data must be a mapping");
    for (const auto& [key, value] : Entries(data)) {
      if (value.IsNull()) {
        out[key.Scalar()] = Declared{"", map.At(key), kByManifest};
      } else if (value.IsScalar()) {
        CORRAL_RETURN_IF_ERROR(Charge(map.source, value, key.Scalar().size() + value.Scalar().size()));
        out[key.Scalar()] = Declared{value.Scalar(), map.At(value), kByManifest};
      } else {
        return WrongType(map.source, value, context, absl::StrCat("data.", key.Scalar(), " must be a string"));
      }
    }
    return out;
  }

  absl::Status ReadWorkload(const Object& w) {
    const std::string title = w.Title();
    const std::string context = absl::StrCat(title, ": ");
    const YAML::Node metadata = Field(w.node, "metadata");
    if (w.kind == "Pod" || w.kind == "ReplicaSet") {
      const YAML::Node owners = Field(metadata, "ownerReferences");
      if (owners.IsSequence()) {
        for (const YAML::Node& owner : owners) {
          const YAML::Node kind = Field(owner, "kind");
          const YAML::Node name = Field(owner, "name");
          if (kind.IsScalar() && name.IsScalar() && declared_.count(absl::StrCat(kind.Scalar(), "/", name.Scalar()))) {
            return absl::OkStatus();  // Its owner in the files declares it.
          }
        }
      }
    }

    // Nodes are never assigned to: yaml-cpp's operator= writes through to
    // the node assigned to, so each is initialised once.
    const YAML::Node spec = Field(w.node, "spec");
    if (!spec.IsNull() && !spec.IsMap()) return WrongType(w.source, spec, context, "spec must be a mapping");
    const bool pod = w.kind == "Pod";
    const YAML::Node pod_template = pod ? YAML::Node() : Field(spec, "template");
    if (!pod_template.IsNull() && !pod_template.IsMap()) {
      return WrongType(w.source, pod_template, context, "spec.template must be a mapping");
    }
    const YAML::Node pod_metadata = pod ? metadata : Field(pod_template, "metadata");
    if (!pod_metadata.IsNull() && !pod_metadata.IsMap()) {
      return WrongType(w.source, pod_metadata, context, "spec.template.metadata must be a mapping");
    }
    const YAML::Node pod_spec = pod ? spec : Field(pod_template, "spec");
    const std::string pod_path = pod ? "spec." : "spec.template.spec.";
    if (!pod && !pod_spec.IsNull() && !pod_spec.IsMap()) {
      return WrongType(w.source, pod_spec, context, "spec.template.spec must be a mapping");
    }
    if (pod_spec.IsNull()) {
      return Warn(w.source, w.node, absl::StrCat(w.At(w.node), ": ", title, ": has no pod spec; not imported"));
    }

    std::string service = w.name;
    const YAML::Node labels = Field(pod_metadata, "labels");
    if (!labels.IsNull() && !labels.IsMap()) {
      return WrongType(w.source, labels, context, "the pod's metadata.labels must be a mapping");
    }
    const YAML::Node label = Field(labels, kServiceLabel);
    if (!label.IsNull() && !label.IsScalar()) {
      return WrongType(w.source, label, context, absl::StrCat("the label ", kServiceLabel, " must be a string"));
    }
    if (label.IsScalar() && !label.Scalar().empty()) service = label.Scalar();
    if (service.empty()) {
      return Warn(w.source, w.node,
                  absl::StrCat(w.At(w.node), ": ", w.kind, ": has neither metadata.name nor the label ", kServiceLabel,
                               "; not imported"));
    }

    CORRAL_ASSIGN_OR_RETURN(std::optional<Declared> replicas, Replicas(w, spec));

    WorkloadScan scan;
    for (const char* list : {"containers", "initContainers"}) {
      const YAML::Node containers = Field(pod_spec, list);
      if (containers.IsNull()) continue;
      const std::string path = absl::StrCat(pod_path, list);
      if (!containers.IsSequence()) return WrongType(w.source, containers, context, path + " must be a list");
      for (const YAML::Node& container : containers) {
        if (!container.IsMap()) return WrongType(w.source, container, context, path + " items must be mappings");
        CORRAL_RETURN_IF_ERROR(
            ReadContainer(w, service, replicas, container, std::string(list) == "initContainers", scan));
      }
    }
    if (scan.gunicorn == 0 && !scan.unknown_commands.empty()) {
      return Warn(w.source, w.node,
                  absl::StrCat(w.At(w.node), ": ", title, ": not imported: no container is known to run Gunicorn (",
                               absl::StrJoin(scan.unknown_commands, "; "), ")"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<Declared>> Replicas(const Object& w, const YAML::Node& spec) {
    if (w.kind == "Pod") return std::optional<Declared>(Declared{"1", w.At(KeyOrMap(w.node, "kind")), kByManifest});
    if (w.kind == "DaemonSet") return std::optional<Declared>();
    auto targeting = autoscalers_.find(absl::StrCat(w.kind, "/", w.name));
    if (targeting != autoscalers_.end()) {
      for (const Autoscaler& a : targeting->second) {
        if (!NamespacesMatch(a.ns, w.ns)) continue;
        CORRAL_RETURN_IF_ERROR(Warn(w.source, w.node,
                                    absl::StrCat(a.origin, ": ", a.title, " scales ", w.Title(), " ", a.range,
                                                 "; no replica count is expected")));
        return std::optional<Declared>();
      }
    }
    const YAML::Node replicas = Field(spec, "replicas");
    if (replicas.IsNull()) return std::optional<Declared>(Declared{"1", w.At(KeyOrMap(w.node, "spec")), kByManifest});
    int64_t n = -1;
    if (!replicas.IsScalar() || !absl::SimpleAtoi(replicas.Scalar(), &n) || n < 0 ||
        n > std::numeric_limits<int32_t>::max()) {
      return WrongType(w.source, replicas, absl::StrCat(w.Title(), ": "),
                       "spec.replicas must be a replica count (a whole number from 0)");
    }
    return std::optional<Declared>(Declared{absl::StrCat(n), w.At(replicas), kByManifest});
  }

  struct WorkloadScan {
    int gunicorn = 0;
    // Why the command of a container is not known.
    std::vector<std::string> unknown_commands;
  };

  absl::StatusOr<std::optional<Argv>> StringList(const Object& w, const YAML::Node& container, absl::string_view key,
                                                 const std::string& context) {
    const YAML::Node node = Field(container, key);
    if (node.IsNull()) return std::optional<Argv>();
    if (!node.IsSequence()) return WrongType(w.source, node, context, absl::StrCat(key, " must be a list of strings"));
    Argv argv{{}, w.At(node)};
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return WrongType(w.source, item, context, absl::StrCat(key, " must be a list of strings"));
      argv.words.push_back(item.Scalar());
    }
    if (argv.words.empty()) return std::optional<Argv>();  // `command: []` is no command
    return std::optional<Argv>(std::move(argv));
  }

  absl::Status ReadContainer(const Object& w, const std::string& service, const std::optional<Declared>& replicas,
                             const YAML::Node& container, bool init, WorkloadScan& scan) {
    const std::string title = w.Title();
    CORRAL_ASSIGN_OR_RETURN(std::string name, ScalarField(w.source, container, "name", absl::StrCat(title, ": ")));
    const std::string context = absl::StrCat(title, ": ", init ? "init container " : "container ", name, ": ");
    CORRAL_RETURN_IF_ERROR(Charge(w.source, container, 1024 + 2 * (title.size() + name.size())));
    CORRAL_ASSIGN_OR_RETURN(std::string image, ScalarField(w.source, container, "image", context));
    CORRAL_ASSIGN_OR_RETURN(std::optional<Argv> command, StringList(w, container, "command", context));
    CORRAL_ASSIGN_OR_RETURN(std::optional<Argv> args, StringList(w, container, "args", context));

    std::vector<std::string> notes;
    ContainerEnv env;
    CORRAL_RETURN_IF_ERROR(ReadEnvFrom(w, container, context, env, notes));
    CORRAL_RETURN_IF_ERROR(ReadEnv(w, container, context, env, notes));

    DeclaredService declared;
    declared.name = service;
    declared.image = image;
    declared.replicas = replicas;
    declared.environment = env.vars;
    declared.command_declared_by = kByManifest;
    if (!command && !args) {
      scan.unknown_commands.push_back(
          absl::StrCat("container ", name, " sets neither command nor args, so its image decides what it runs"));
      return absl::OkStatus();
    }
    // The image's ENTRYPOINT runs args given alone. It is not known; args
    // that start Gunicorn themselves are taken as the command, as an
    // entrypoint that execs "$@" runs them.
    const Argv& named = command ? *command : *args;
    std::vector<std::string> words = named.words;
    if (command && args) words.insert(words.end(), args->words.begin(), args->words.end());
    CORRAL_ASSIGN_OR_RETURN(declared.command, ExpandCommand(w, named, words, env, context));
    declared.command_origin = named.origin;
    if (!FindGunicornInvocation(declared)) {
      if (!command) {
        scan.unknown_commands.push_back(
            absl::StrCat("container ", name, " gives only args (", args->origin,
                         "), which its image's ENTRYPOINT runs, and that ENTRYPOINT is not known"));
      }
      return absl::OkStatus();
    }
    ++scan.gunicorn;
    for (std::string& note : notes) CORRAL_RETURN_IF_ERROR(Warn(w.source, container, std::move(note)));
    containers_.push_back(KubernetesContainer{title, name, std::move(declared)});
    return absl::OkStatus();
  }

  // command and args with $(VAR) expanded from the whole environment. A
  // reference whose value the files do not tell becomes the unresolved form
  // the invocation finder knows (compose/shell_lexer.h), except in a shell's
  // script, where the shell's own reading of "$(...)" marks it.
  absl::StatusOr<std::vector<std::string>> ExpandCommand(const Object& w, const Argv& named,
                                                         const std::vector<std::string>& words, const ContainerEnv& env,
                                                         const std::string& context) {
    std::vector<std::string> out;
    bool after_shell = false;
    for (const std::string& word : words) {
      std::optional<std::string> expanded = ExpandReferences(word, [&](const std::string& name) {
        auto it = env.vars.find(name);
        if (it != env.vars.end()) return it->second.value;
        const std::string as_written = absl::StrCat("$(", name, ")");
        if (!env.MayBeSet(name) || after_shell) return as_written;
        return absl::StrCat(std::string(1, kUnresolvedMarker), as_written, std::string(1, kUnresolvedMarker));
      });
      if (!expanded) {
        return absl::InvalidArgumentError(absl::StrCat(named.origin, ": ", context, "an argument expands past ",
                                                       kMaxExpandedValueBytes >> 20, " MiB"));
      }
      CORRAL_RETURN_IF_ERROR(Charge(w.source, w.node, expanded->size()));
      after_shell = after_shell || IsShell(word);
      out.push_back(std::move(*expanded));
    }
    return out;
  }

  absl::Status ReadEnvFrom(const Object& w, const YAML::Node& container, const std::string& context, ContainerEnv& env,
                           std::vector<std::string>& notes) {
    const YAML::Node sources = Field(container, "envFrom");
    if (sources.IsNull()) return absl::OkStatus();
    if (!sources.IsSequence()) return WrongType(w.source, sources, context, "envFrom must be a list");
    for (const YAML::Node& source : sources) {
      if (!source.IsMap()) return WrongType(w.source, source, context, "envFrom items must be mappings");
      CORRAL_ASSIGN_OR_RETURN(std::string prefix, ScalarField(w.source, source, "prefix", context + "envFrom: "));
      const YAML::Node config_map = Field(source, "configMapRef");
      const YAML::Node secret = Field(source, "secretRef");
      if (!secret.IsNull()) {
        CORRAL_ASSIGN_OR_RETURN(std::string name,
                                ScalarField(w.source, secret, "name", context + "envFrom.secretRef: "));
        env.unread_source = true;
        notes.push_back(absl::StrCat(w.At(secret), ": ", context, "envFrom Secret ", name,
                                     " is not read; the variables it sets are not known"));
        continue;
      }
      if (config_map.IsNull()) continue;
      CORRAL_ASSIGN_OR_RETURN(std::string name,
                              ScalarField(w.source, config_map, "name", context + "envFrom.configMapRef: "));
      const Object* found = FindConfigMap(w.ns, name);
      if (found == nullptr) {
        env.unread_source = true;
        notes.push_back(absl::StrCat(w.At(config_map), ": ", context, "envFrom ConfigMap ", name,
                                     " is not in the files read; the variables it sets are not known"));
        continue;
      }
      CORRAL_ASSIGN_OR_RETURN(auto data, ConfigMapData(*found));
      for (auto& [key, value] : data) {
        const std::string var = prefix + key;
        env.unknown.erase(var);
        env.vars[var] = std::move(value);
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadEnv(const Object& w, const YAML::Node& container, const std::string& context, ContainerEnv& env,
                       std::vector<std::string>& notes) {
    const YAML::Node list = Field(container, "env");
    if (list.IsNull()) return absl::OkStatus();
    if (!list.IsSequence()) return WrongType(w.source, list, context, "env must be a list");
    for (const YAML::Node& item : list) {
      if (!item.IsMap()) return WrongType(w.source, item, context, "env items must be mappings");
      CORRAL_ASSIGN_OR_RETURN(std::string name, ScalarField(w.source, item, "name", context + "env: "));
      if (name.empty()) return WrongType(w.source, item, context, "env items must have a name");
      const std::string what = absl::StrCat(context, "env ", name);
      auto leave_out = [&](const YAML::Node& at, const std::string& why) {
        env.vars.erase(name);
        env.unknown.insert(name);
        notes.push_back(absl::StrCat(w.At(at), ": ", what, " ", why, "; left out"));
      };
      const YAML::Node value = Field(item, "value");
      const YAML::Node value_from = Field(item, "valueFrom");
      if (!value_from.IsNull()) {
        if (!value_from.IsMap()) return WrongType(w.source, value_from, what, ": valueFrom must be a mapping");
        CORRAL_RETURN_IF_ERROR(ReadValueFrom(w, name, what, value_from, env, leave_out));
        continue;
      }
      if (!value.IsNull() && !value.IsScalar()) return WrongType(w.source, value, what, ": value must be a string");
      const std::string text = value.IsNull() ? "" : value.Scalar();
      std::set<std::string> not_known;
      std::optional<std::string> expanded = ExpandReferences(text, [&](const std::string& ref) {
        auto it = env.vars.find(ref);
        if (it != env.vars.end()) return it->second.value;
        if (env.MayBeSet(ref)) not_known.insert(ref);
        return absl::StrCat("$(", ref, ")");
      });
      const YAML::Node& at = value.IsNull() ? item : value;
      if (!expanded) {
        leave_out(at, absl::StrCat("expands past ", kMaxExpandedValueBytes >> 20, " MiB"));
      } else if (!not_known.empty()) {
        std::vector<std::string> refs;
        for (const std::string& ref : not_known) refs.push_back(absl::StrCat("$(", ref, ")"));
        leave_out(at, absl::StrCat("uses ", absl::StrJoin(refs, ", "), ", whose value the files do not tell"));
      } else {
        CORRAL_RETURN_IF_ERROR(Charge(w.source, at, name.size() + expanded->size()));
        env.unknown.erase(name);
        env.vars[name] = Declared{std::move(*expanded), w.At(at), kByManifest};
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadValueFrom(const Object& w, const std::string& name, const std::string& what,
                             const YAML::Node& value_from, ContainerEnv& env,
                             const std::function<void(const YAML::Node&, const std::string&)>& leave_out) {
    auto ref_field = [&](const YAML::Node& ref, absl::string_view key) {
      return ScalarField(w.source, ref, key, absl::StrCat(what, ": "));
    };
    if (const YAML::Node ref = Field(value_from, "configMapKeyRef"); !ref.IsNull()) {
      CORRAL_ASSIGN_OR_RETURN(std::string map_name, ref_field(ref, "name"));
      CORRAL_ASSIGN_OR_RETURN(std::string key, ref_field(ref, "key"));
      CORRAL_ASSIGN_OR_RETURN(std::string optional, ref_field(ref, "optional"));
      const Object* found = FindConfigMap(w.ns, map_name);
      if (found == nullptr) {
        leave_out(ref, absl::StrCat("comes from ConfigMap ", map_name, ", which is not in the files read"));
        return absl::OkStatus();
      }
      CORRAL_ASSIGN_OR_RETURN(auto data, ConfigMapData(*found));
      auto it = data.find(key);
      if (it != data.end()) {
        env.unknown.erase(name);
        env.vars[name] = std::move(it->second);
      } else if (optional == "true") {
        env.vars.erase(name);  // Kubernetes leaves it unset.
      } else {
        leave_out(ref,
                  absl::StrCat("comes from key ", key, ", which ConfigMap ", map_name, " (", found->At(found->node),
                               ") does not have: Kubernetes will not start the container"));
      }
      return absl::OkStatus();
    }
    if (const YAML::Node ref = Field(value_from, "secretKeyRef"); !ref.IsNull()) {
      CORRAL_ASSIGN_OR_RETURN(std::string secret, ref_field(ref, "name"));
      CORRAL_ASSIGN_OR_RETURN(std::string key, ref_field(ref, "key"));
      leave_out(ref, absl::StrCat("comes from key ", key, " of Secret ", secret, ", which is not read"));
      return absl::OkStatus();
    }
    if (const YAML::Node ref = Field(value_from, "fieldRef"); !ref.IsNull()) {
      CORRAL_ASSIGN_OR_RETURN(std::string path, ref_field(ref, "fieldPath"));
      leave_out(ref, absl::StrCat("is the pod's field ", path, ", known only when it runs"));
      return absl::OkStatus();
    }
    if (const YAML::Node ref = Field(value_from, "resourceFieldRef"); !ref.IsNull()) {
      CORRAL_ASSIGN_OR_RETURN(std::string resource, ref_field(ref, "resource"));
      leave_out(ref, absl::StrCat("is the container's resource ", resource, ", known only when it runs"));
      return absl::OkStatus();
    }
    leave_out(value_from, "has a valueFrom source that is not read");
    return absl::OkStatus();
  }

  size_t bytes_left_ = kMaxManifestValueBytes;
  std::vector<Object> objects_;
  // "kind/namespace/name" -> objects_ index.
  std::map<std::string, size_t> index_;
  // "kind/name" of every object, whatever its kind, for ownerReferences.
  std::set<std::string> declared_;
  // ConfigMap name -> objects_ indices.
  std::map<std::string, std::vector<size_t>> config_maps_;
  // "kind/name" of the target -> the autoscalers that scale it.
  std::map<std::string, std::vector<Autoscaler>> autoscalers_;
  std::vector<KubernetesContainer> containers_;
  std::vector<std::string> warnings_;
};

// Whether `content` has `key` as a mapping key: the word, maybe quoted,
// then a colon, after a line start, blank, '{', ',' or "- ".
bool HasKey(absl::string_view content, absl::string_view key) {
  for (size_t at = content.find(key); at != absl::string_view::npos; at = content.find(key, at + 1)) {
    size_t before = at;
    if (before > 0 && content[before - 1] == '"') --before;
    const bool starts =
        before == 0 || absl::string_view(" \t\n{,-").find(content[before - 1]) != absl::string_view::npos;
    size_t after = at + key.size();
    if (after < content.size() && content[after] == '"') ++after;
    while (after < content.size() && (content[after] == ' ' || content[after] == '\t')) ++after;
    if (starts && after < content.size() && content[after] == ':') return true;
  }
  return false;
}

// The Gunicorn container a group's warning names.
std::string Describe(const KubernetesContainer& c) { return absl::StrCat(c.workload, " container ", c.container); }

}  // namespace

absl::StatusOr<KubernetesManifests> LoadKubernetesManifests(const std::vector<ManifestFile>& files) {
  return ManifestLoader().Load(files);
}

bool LooksLikeKubernetesManifests(absl::string_view content) {
  return HasKey(content, "apiVersion") && HasKey(content, "kind");
}

std::vector<ImportedExpectations> ExpectationsFromKubernetes(const KubernetesManifests& manifests) {
  std::map<std::string, std::vector<const KubernetesContainer*>> by_service;
  for (const KubernetesContainer& c : manifests.containers) by_service[c.declared.name].push_back(&c);

  std::vector<ImportedExpectations> out;
  for (const auto& [service, members] : by_service) {
    ImportedExpectations imported;
    imported.expectations.set_service(service);
    std::set<std::string> seen_warnings;
    auto warn = [&](std::string w) {
      // The builder's words for a variable without a value name compose's
      // files; here the manifests are the files.
      const std::string compose_words = "which the compose files and Dockerfile do not declare";
      if (size_t at = w.find(compose_words); at != std::string::npos) {
        w.replace(at, compose_words.size(), "which the manifests do not tell");
      }
      if (seen_warnings.insert(w).second) imported.warnings.push_back(std::move(w));
    };

    // key -> the expectation, and how many members expect it alike.
    std::map<std::string, std::pair<corral::v1::Expectation, size_t>> alike;
    std::set<std::string> differing;
    for (const KubernetesContainer* member : members) {
      DeclaredService declared = member->declared;
      declared.replicas.reset();  // counted per workload below
      ImportedExpectations each = ExpectationsFromDeclaration(declared);
      for (std::string& w : each.warnings) warn(std::move(w));
      for (const corral::v1::Expectation& e : each.expectations.expectations()) {
        auto [it, added] = alike.emplace(e.key(), std::make_pair(e, size_t{0}));
        if (it->second.first.value() == e.value()) {
          ++it->second.second;
        } else {
          differing.insert(e.key());
        }
      }
    }
    std::map<std::string, corral::v1::Expectation> expected;
    for (auto& [key, entry] : alike) {
      if (entry.second == members.size()) {
        expected[key] = std::move(entry.first);
      } else {
        differing.insert(key);
      }
    }
    if (members.size() > 1) {
      std::vector<std::string> names;
      for (const KubernetesContainer* member : members) names.push_back(Describe(*member));
      warn(absl::StrCat(service, ": ", members.size(), " Gunicorn containers are reported under this one service (",
                        absl::StrJoin(names, ", "), "); only what they all declare alike is expected",
                        differing.empty() ? "" : absl::StrCat(", not ", absl::StrJoin(differing, ", "))));
    }

    // The service's pods are all its workloads' pods.
    std::map<std::string, const std::optional<Declared>*> workloads;
    for (const KubernetesContainer* member : members) workloads.emplace(member->workload, &member->declared.replicas);
    int64_t total = 0;
    std::vector<std::string> origins;
    bool counted = true;
    for (const auto& [workload, replicas] : workloads) {
      int64_t n = 0;
      if (!replicas->has_value() || !absl::SimpleAtoi((*replicas)->value, &n)) {
        counted = false;
        break;
      }
      total += n;
      origins.push_back((*replicas)->origin);
    }
    if (counted) {
      corral::v1::Expectation& e = expected["replicas"];
      e.set_key("replicas");
      e.set_value(absl::StrCat(total));
      e.set_origin(absl::StrJoin(origins, " + "));
      e.set_declared_by(kByManifest);
    }
    for (auto& [key, e] : expected) *imported.expectations.add_expectations() = std::move(e);
    out.push_back(std::move(imported));
  }
  return out;
}

}  // namespace corral::compose
