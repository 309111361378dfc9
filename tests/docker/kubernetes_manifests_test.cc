// What can be checked of docker/kubernetes/ without a cluster: every file
// parses, every Corral container is locked down the same way, the server has
// its probes, volume and Service, the sidecar pods share their PID namespace
// and pass the Downward API variables the agent reads, the DaemonSet watches
// the node's PIDs, and every variable and flag the manifests set is one the
// binaries know. tests/containers/kubernetes_test.cc runs them on podman.
#include <dirent.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/agent_options.h"
#include "gtest/gtest.h"
#include "server/server_options.h"
#include "tests/support/subprocess.h"
#include "yaml-cpp/yaml.h"

namespace corral {
namespace {

using corral::testing::ReadLog;
using corral::testing::RunCommand;
using corral::testing::SourceDir;

std::string ManifestDir() { return SourceDir() + "/docker/kubernetes"; }

// The manifests (every .yaml file but the kustomization), sorted.
std::vector<std::string> ManifestFiles() {
  std::vector<std::string> files;
  DIR* dir = opendir(ManifestDir().c_str());
  if (dir == nullptr) return files;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (absl::EndsWith(name, ".yaml") && name != "kustomization.yaml") files.push_back(name);
  }
  closedir(dir);
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<YAML::Node> Documents(const std::string& file) {
  std::vector<YAML::Node> out;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(ManifestDir() + "/" + file)) {
    if (doc.IsMap()) out.push_back(doc);
  }
  return out;
}

// The one object of `kind` in `file`.
YAML::Node Object(const std::string& file, const std::string& kind) {
  YAML::Node found;
  int count = 0;
  for (const YAML::Node& doc : Documents(file)) {
    if (doc["kind"].as<std::string>() != kind) continue;
    found = doc;
    ++count;
  }
  EXPECT_EQ(count, 1) << file << ": " << kind;
  return found;
}

// Every container of a pod template's spec, init containers included.
std::vector<YAML::Node> Containers(const YAML::Node& pod_spec) {
  std::vector<YAML::Node> out;
  for (const char* list : {"initContainers", "containers"}) {
    if (!pod_spec[list]) continue;
    for (const YAML::Node& c : pod_spec[list]) out.push_back(c);
  }
  return out;
}

YAML::Node Container(const YAML::Node& pod_spec, const std::string& name) {
  for (const YAML::Node& c : Containers(pod_spec)) {
    if (c["name"].as<std::string>() == name) return c;
  }
  ADD_FAILURE() << "no container " << name;
  return YAML::Node();
}

// An env list as name -> "value" or "fieldRef:PATH".
std::map<std::string, std::string> Env(const YAML::Node& container) {
  std::map<std::string, std::string> env;
  for (const YAML::Node& e : container["env"]) {
    std::string name = e["name"].as<std::string>();
    if (e["value"]) {
      env[name] = e["value"].as<std::string>();
    } else {
      env[name] = "fieldRef:" + e["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>();
    }
  }
  return env;
}

std::vector<std::string> Strings(const YAML::Node& list) {
  std::vector<std::string> out;
  for (const YAML::Node& n : list) out.push_back(n.as<std::string>());
  return out;
}

bool IsCorralImage(const YAML::Node& container) {
  std::string image = container["image"].as<std::string>();
  return image == "corral-server" || image == "corral-agent";
}

TEST(KubernetesManifests, EveryFileParsesAndTheKustomizationNamesEveryOne) {
  std::vector<std::string> files = ManifestFiles();
  ASSERT_EQ(files, (std::vector<std::string>{"api-backend-native-sidecar.yaml", "api-backend-sidecar.yaml",
                                             "corral-agent-daemonset.yaml", "corral-server.yaml"}));
  for (const std::string& file : files) {
    std::vector<YAML::Node> docs = Documents(file);
    EXPECT_FALSE(docs.empty()) << file;
    for (const YAML::Node& doc : docs) {
      EXPECT_TRUE(doc["apiVersion"].IsScalar()) << file;
      EXPECT_TRUE(doc["kind"].IsScalar()) << file;
      EXPECT_TRUE(doc["metadata"]["name"].IsScalar()) << file;
    }
  }
  // The kustomization applies the server and one form of the agent; the
  // others are named where it says how to choose.
  YAML::Node kustomization = YAML::LoadFile(ManifestDir() + "/kustomization.yaml");
  EXPECT_EQ(Strings(kustomization["resources"]),
            (std::vector<std::string>{"corral-server.yaml", "api-backend-sidecar.yaml"}));
  std::string text = ReadLog(ManifestDir() + "/kustomization.yaml");
  for (const std::string& file : files) EXPECT_TRUE(absl::StrContains(text, file)) << file;
  std::set<std::string> images;
  for (const YAML::Node& image : kustomization["images"]) images.insert(image["name"].as<std::string>());
  EXPECT_EQ(images, (std::set<std::string>{"corral-server", "corral-agent", "api-backend"}));
}

TEST(KubernetesManifests, EveryCorralContainerRunsLockedDownWithRequestsAndLimits) {
  int checked = 0;
  for (const std::string& file : ManifestFiles()) {
    for (const YAML::Node& doc : Documents(file)) {
      if (!doc["spec"]["template"]) continue;
      const YAML::Node pod = doc["spec"]["template"]["spec"];
      for (const YAML::Node& c : Containers(pod)) {
        std::string where = absl::StrCat(file, ": ", c["name"].as<std::string>());
        // The app is the user's; what it runs as matters to the agent only.
        if (!IsCorralImage(c)) continue;
        ++checked;
        const YAML::Node sc = c["securityContext"];
        ASSERT_TRUE(sc.IsMap()) << where;
        EXPECT_TRUE(sc["readOnlyRootFilesystem"].as<bool>()) << where;
        EXPECT_FALSE(sc["allowPrivilegeEscalation"].as<bool>()) << where;
        EXPECT_EQ(Strings(sc["capabilities"]["drop"]), std::vector<std::string>{"ALL"}) << where;
        EXPECT_EQ(sc["seccompProfile"]["type"].as<std::string>(), "RuntimeDefault") << where;
        std::vector<std::string> added;
        if (sc["capabilities"]["add"]) added = Strings(sc["capabilities"]["add"]);
        if (c["image"].as<std::string>() == "corral-agent") {
          // The agent reads other users' /proc entries (ptrace-read rights,
          // and files of mode 0400 that are theirs); nothing else.
          EXPECT_EQ(added, (std::vector<std::string>{"SYS_PTRACE", "DAC_READ_SEARCH"})) << where;
        } else {
          EXPECT_TRUE(added.empty()) << where;
          EXPECT_TRUE(sc["runAsNonRoot"].as<bool>()) << where;
          EXPECT_EQ(sc["runAsUser"].as<int>(), 7400) << where;
        }
        for (const char* kind : {"requests", "limits"}) {
          for (const char* resource : {"cpu", "memory"}) {
            EXPECT_TRUE(c["resources"][kind][resource].IsScalar()) << where << " " << kind << "." << resource;
          }
        }
        // The images' own entrypoints (corral-server, /usr/local/bin/corral-agent).
        EXPECT_FALSE(c["command"]) << where;
      }
    }
  }
  // corral-server, two sidecars, the DaemonSet's agent.
  EXPECT_EQ(checked, 4);
}

TEST(KubernetesManifests, TheServerHasProbesItsVolumeAndAScrapedService) {
  YAML::Node deployment = Object("corral-server.yaml", "Deployment");
  EXPECT_EQ(deployment["spec"]["replicas"].as<int>(), 1);
  // One SQLite writer: never two pods on the volume during a rollout.
  EXPECT_EQ(deployment["spec"]["strategy"]["type"].as<std::string>(), "Recreate");
  const YAML::Node pod = deployment["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
  EXPECT_EQ(pod["securityContext"]["runAsUser"].as<int>(), 7400);
  EXPECT_EQ(pod["securityContext"]["fsGroup"].as<int>(), 7400);
  EXPECT_FALSE(pod["automountServiceAccountToken"].as<bool>());
  YAML::Node server = Container(pod, "corral-server");
  EXPECT_EQ(server["image"].as<std::string>(), "corral-server");

  std::map<std::string, int> ports;
  for (const YAML::Node& p : server["ports"]) ports[p["name"].as<std::string>()] = p["containerPort"].as<int>();
  EXPECT_EQ(ports, (std::map<std::string, int>{{"grpc", 7400}, {"http", 7401}}));
  std::string args = absl::StrJoin(Strings(server["args"]), " ");
  EXPECT_TRUE(absl::StrContains(args, "--listen 0.0.0.0:7400")) << args;
  EXPECT_TRUE(absl::StrContains(args, "--http 0.0.0.0:7401")) << args;
  EXPECT_TRUE(absl::StrContains(args, "--data-dir /var/lib/corral")) << args;
  for (const char* probe : {"readinessProbe", "livenessProbe"}) {
    EXPECT_EQ(server[probe]["httpGet"]["path"].as<std::string>(), "/healthz") << probe;
    EXPECT_EQ(ports[server[probe]["httpGet"]["port"].as<std::string>()], 7401) << probe;
  }

  // The data directory is on the claim the file defines.
  std::map<std::string, std::string> mounts;
  for (const YAML::Node& m : server["volumeMounts"]) {
    mounts[m["mountPath"].as<std::string>()] = m["name"].as<std::string>();
  }
  ASSERT_TRUE(mounts.count("/var/lib/corral"));
  std::string claim;
  for (const YAML::Node& v : pod["volumes"]) {
    if (v["name"].as<std::string>() == mounts["/var/lib/corral"]) {
      claim = v["persistentVolumeClaim"]["claimName"].as<std::string>();
    }
  }
  YAML::Node pvc = Object("corral-server.yaml", "PersistentVolumeClaim");
  EXPECT_EQ(claim, pvc["metadata"]["name"].as<std::string>());
  EXPECT_EQ(Strings(pvc["spec"]["accessModes"]), std::vector<std::string>{"ReadWriteOnce"});

  // The Service selects the pod, carries both ports and says where to scrape.
  YAML::Node service = Object("corral-server.yaml", "Service");
  EXPECT_EQ(service["metadata"]["name"].as<std::string>(), "corral-server");
  for (const auto& kv : service["spec"]["selector"]) {
    EXPECT_EQ(deployment["spec"]["template"]["metadata"]["labels"][kv.first.as<std::string>()].as<std::string>(),
              kv.second.as<std::string>());
  }
  std::map<int, std::string> service_ports;
  for (const YAML::Node& p : service["spec"]["ports"]) {
    service_ports[p["port"].as<int>()] = p["targetPort"].as<std::string>();
  }
  EXPECT_EQ(service_ports, (std::map<int, std::string>{{7400, "grpc"}, {7401, "http"}}));
  const YAML::Node annotations = service["metadata"]["annotations"];
  EXPECT_EQ(annotations["prometheus.io/scrape"].as<std::string>(), "true");
  EXPECT_EQ(annotations["prometheus.io/port"].as<std::string>(), "7401");
  EXPECT_EQ(annotations["prometheus.io/path"].as<std::string>(), "/metrics");
  // How a ServiceMonitor selects it is said next to it.
  std::string text = ReadLog(ManifestDir() + "/corral-server.yaml");
  EXPECT_TRUE(absl::StrContains(text, "kind: ServiceMonitor")) << text;
  EXPECT_TRUE(absl::StrContains(text, "honorLabels: true")) << text;
}

// What the agent is given in both sidecar forms, exactly.
const std::map<std::string, std::string> kSidecarEnv = {
    {"CORRAL_SERVER", "corral-server:7400"},
    {"CORRAL_SERVICE", "fieldRef:metadata.labels['app.kubernetes.io/name']"},
    {"CORRAL_POD_NAME", "fieldRef:metadata.name"},
    {"CORRAL_POD_NAMESPACE", "fieldRef:metadata.namespace"},
    {"CORRAL_NODE_NAME", "fieldRef:spec.nodeName"},
};

TEST(KubernetesManifests, TheSidecarPodsShareTheirPidNamespaceAndPassThePodsIdentity) {
  for (const char* file : {"api-backend-sidecar.yaml", "api-backend-native-sidecar.yaml"}) {
    YAML::Node deployment = Object(file, "Deployment");
    const YAML::Node pod = deployment["spec"]["template"]["spec"];
    EXPECT_TRUE(pod["shareProcessNamespace"].as<bool>()) << file;
    // The label the agent's service comes from, as `corral expect import`
    // names the workload.
    EXPECT_EQ(deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"].as<std::string>(),
              "api-backend")
        << file;
    YAML::Node agent = Container(pod, "corral-agent");
    EXPECT_EQ(agent["image"].as<std::string>(), "corral-agent") << file;
    EXPECT_EQ(Env(agent), kSidecarEnv) << file;
    YAML::Node app = Container(pod, "api-backend");
    EXPECT_EQ(absl::StrJoin(Strings(app["command"]), " "),
              "gunicorn --workers 3 --timeout 120 --preload --bind 0.0.0.0:8000 wsgi:application")
        << file;
  }
  // The native sidecar is an init container that keeps running; otherwise
  // the agent is the same container in both forms.
  YAML::Node native = Object("api-backend-native-sidecar.yaml", "Deployment")["spec"]["template"]["spec"];
  ASSERT_EQ(native["initContainers"].size(), 1u);
  YAML::Node native_agent = YAML::Clone(native["initContainers"][0]);
  EXPECT_EQ(native_agent["name"].as<std::string>(), "corral-agent");
  EXPECT_EQ(native_agent["restartPolicy"].as<std::string>(), "Always");
  native_agent.remove("restartPolicy");
  YAML::Node sidecar =
      Container(Object("api-backend-sidecar.yaml", "Deployment")["spec"]["template"]["spec"], "corral-agent");
  for (const char* field : {"image", "env", "resources"}) {
    EXPECT_EQ(YAML::Dump(native_agent[field]), YAML::Dump(sidecar[field])) << field;
  }
  EXPECT_EQ(YAML::Dump(native_agent["securityContext"]["capabilities"]),
            YAML::Dump(sidecar["securityContext"]["capabilities"]));
}

TEST(KubernetesManifests, TheDaemonSetWatchesEveryPidOfItsNodePerPod) {
  YAML::Node daemonset = Object("corral-agent-daemonset.yaml", "DaemonSet");
  const YAML::Node pod = daemonset["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["hostPID"].as<bool>());
  // It reads /proc, not the API: no account, no token.
  EXPECT_FALSE(pod["serviceAccountName"]);
  EXPECT_FALSE(pod["automountServiceAccountToken"].as<bool>());
  EXPECT_EQ(Documents("corral-agent-daemonset.yaml").size(), 1u);
  YAML::Node agent = Container(pod, "corral-agent");
  EXPECT_EQ(Env(agent), (std::map<std::string, std::string>{{"CORRAL_SERVER", "corral-server:7400"},
                                                            {"CORRAL_PER_POD", "1"},
                                                            {"CORRAL_NODE_NAME", "fieldRef:spec.nodeName"}}));
  std::string text = ReadLog(ManifestDir() + "/corral-agent-daemonset.yaml");
  EXPECT_TRUE(absl::StrContains(text, "tolerations:")) << text;
}

TEST(KubernetesManifests, EveryVariableAndFlagTheManifestsSetIsOneTheBinariesRead) {
  const std::string agent_help = agent::AgentHelp();
  const std::string server_help = server::ServerHelp();
  int variables = 0;
  for (const std::string& file : ManifestFiles()) {
    for (const YAML::Node& doc : Documents(file)) {
      if (!doc["spec"]["template"]) continue;
      for (const YAML::Node& c : Containers(doc["spec"]["template"]["spec"])) {
        if (c["image"].as<std::string>() == "corral-agent") {
          for (const auto& [name, value] : Env(c)) {
            ++variables;
            EXPECT_TRUE(absl::StrContains(agent_help, absl::StrCat("[$", name, "]"))) << file << ": " << name;
          }
        }
        if (c["image"].as<std::string>() == "corral-server") {
          for (const std::string& arg : Strings(c["args"])) {
            if (!absl::StartsWith(arg, "--")) continue;
            EXPECT_TRUE(absl::StrContains(server_help, arg)) << file << ": " << arg;
          }
        }
      }
    }
  }
  EXPECT_EQ(variables, 13);
}

// The lines api-backend-sidecar.yaml's header offers for an existing
// Deployment, uncommented.
std::vector<std::string> FiveLines() {
  std::string text = ReadLog(ManifestDir() + "/api-backend-sidecar.yaml");
  size_t start = text.find("#   shareProcessNamespace: true\n");
  size_t end = text.find("#\n", start);
  std::vector<std::string> lines;
  if (start == std::string::npos || end == std::string::npos) return lines;
  for (absl::string_view line : absl::StrSplit(text.substr(start, end - start), '\n', absl::SkipEmpty())) {
    lines.emplace_back(absl::StripPrefix(line, "#   "));
  }
  return lines;
}

TEST(KubernetesManifests, TheFiveLinesForAnExistingDeploymentMakeAWorkingSidecar) {
  std::vector<std::string> lines = FiveLines();
  ASSERT_EQ(lines.size(), 5u) << absl::StrJoin(lines, "\n");
  // Added to a Deployment that knows nothing of Corral.
  std::string manifest = absl::StrCat(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
      "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n"
      "      ",
      lines[0],
      "\n      containers:\n      - name: web\n        image: example/web\n"
      "      ",
      absl::StrJoin(std::vector<std::string>(lines.begin() + 1, lines.end()), "\n      "), "\n");
  YAML::Node deployment = YAML::Load(manifest);
  const YAML::Node pod = deployment["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["shareProcessNamespace"].as<bool>()) << manifest;
  ASSERT_EQ(pod["containers"].size(), 2u) << manifest;
  YAML::Node agent = Container(pod, "corral-agent");
  EXPECT_EQ(agent["image"].as<std::string>(), "corral-agent");
  EXPECT_EQ(Env(agent), (std::map<std::string, std::string>{{"CORRAL_SERVER", "corral-server:7400"},
                                                            {"CORRAL_POD_NAME", "fieldRef:metadata.name"}}));
  EXPECT_EQ(Strings(agent["securityContext"]["capabilities"]["add"]),
            (std::vector<std::string>{"SYS_PTRACE", "DAC_READ_SEARCH"}));
  EXPECT_EQ(Strings(agent["securityContext"]["capabilities"]["drop"]), std::vector<std::string>{"ALL"});
  EXPECT_TRUE(agent["securityContext"]["readOnlyRootFilesystem"].as<bool>());
}

// kubectl (when this machine has one) builds the kustomization offline:
// every resource file exists and is a Kubernetes object, no two objects
// share a kind and name, and the images are rewritten. Without a cluster it
// cannot check fields against the API's schema (--dry-run=client needs a
// server to map kinds).
TEST(KubernetesManifests, KustomizeBuildsEachFormOfTheAgent) {
  if (RunCommand({"sh", "-c", "command -v kubectl"}).exit_code != 0) GTEST_SKIP() << "no kubectl here";
  std::string base = ReadLog(ManifestDir() + "/kustomization.yaml");
  for (const char* form :
       {"api-backend-sidecar.yaml", "api-backend-native-sidecar.yaml", "corral-agent-daemonset.yaml"}) {
    std::string dir = corral::testing::MakeTempDir("kustomize");
    for (const std::string& file : ManifestFiles()) {
      corral::testing::WriteFile(dir + "/" + file, ReadLog(ManifestDir() + "/" + file));
    }
    corral::testing::WriteFile(
        dir + "/kustomization.yaml",
        absl::StrReplaceAll(base, {{"  - api-backend-sidecar.yaml\n", absl::StrCat("  - ", form, "\n")}}));
    corral::testing::RunResult built = RunCommand({"kubectl", "kustomize", dir});
    ASSERT_EQ(built.exit_code, 0) << form << ": " << built.err;
    std::multiset<std::string> kinds;
    for (const YAML::Node& doc : YAML::LoadAll(built.out)) {
      kinds.insert(doc["kind"].as<std::string>());
      if (!doc["spec"]["template"]) continue;
      for (const YAML::Node& c : Containers(doc["spec"]["template"]["spec"])) {
        EXPECT_TRUE(absl::StartsWith(c["image"].as<std::string>(), "registry.example.com/corral/")) << form;
      }
    }
    std::multiset<std::string> expected = {"PersistentVolumeClaim", "Deployment", "Service"};
    expected.insert(absl::StrContains(form, "daemonset") ? "DaemonSet" : "Deployment");
    EXPECT_EQ(kinds, expected) << form << ": " << built.out;
  }
}

// docker/kubernetes/ha/: two servers on one PostgreSQL (README, "Several
// servers"). Kept out of the kustomization: the database is the operator's.
TEST(KubernetesManifests, TheHighAvailabilityExampleRunsTwoServersOnOneDatabase) {
  const std::string file = "ha/corral-server-ha.yaml";
  std::vector<YAML::Node> sets;
  for (const YAML::Node& doc : Documents(file)) {
    if (doc["kind"].as<std::string>() == "StatefulSet") sets.push_back(doc);
  }
  ASSERT_EQ(sets.size(), 2u);
  YAML::Node server, postgres;
  for (const YAML::Node& set : sets) {
    (set["metadata"]["name"].as<std::string>() == "corral-server" ? server : postgres) = set;
  }
  ASSERT_TRUE(server) << "no StatefulSet corral-server";
  ASSERT_TRUE(postgres) << "no StatefulSet for PostgreSQL";
  EXPECT_EQ(server["spec"]["replicas"].as<int>(), 2);
  YAML::Node container = Container(server["spec"]["template"]["spec"], "corral-server");
  std::string secret_name, secret_key;
  for (const YAML::Node& env : container["env"]) {
    if (env["name"].as<std::string>() != "CORRAL_DATABASE") continue;
    secret_name = env["valueFrom"]["secretKeyRef"]["name"].as<std::string>();
    secret_key = env["valueFrom"]["secretKeyRef"]["key"].as<std::string>();
  }
  ASSERT_EQ(secret_name, "corral-database");
  YAML::Node secret = Object(file, "Secret");
  EXPECT_EQ(secret["metadata"]["name"].as<std::string>(), secret_name);
  std::string uri = secret["stringData"][secret_key].as<std::string>();
  EXPECT_TRUE(absl::StartsWith(uri, "postgresql://")) << uri;
  // The URI names the database's Service.
  bool service_found = false;
  for (const YAML::Node& doc : Documents(file)) {
    if (doc["kind"].as<std::string>() == "Service" &&
        absl::StrContains(uri, "@" + doc["metadata"]["name"].as<std::string>() + ":")) {
      service_found = true;
    }
  }
  EXPECT_TRUE(service_found) << uri;
  EXPECT_EQ(Container(postgres["spec"]["template"]["spec"], "postgres")["image"].as<std::string>(), "postgres:15");
  EXPECT_TRUE(container["securityContext"]["runAsNonRoot"].as<bool>());
  EXPECT_TRUE(container["readinessProbe"]);
}

}  // namespace
}  // namespace corral
