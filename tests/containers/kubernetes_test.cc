// docker/kubernetes/ on the suite's engine: Debian's podman 4.3 plays the
// manifests (`podman kube play`) with the images suite.sh built standing in
// for a registry's. Each played copy differs from the file only where podman
// 4.3 needs it to:
// - names carry a "corraltest-" prefix, images are the suite's
//   (localhost/...:test, imagePullPolicy Never), agents sample every second
//   and report to the played server's address;
// - of the Downward API, podman resolves metadata.name and
//   metadata.labels['...'] and refuses metadata.namespace and spec.nodeName:
//   those two are set literally (kNamespace, kNode);
// - kube play ignores hostPID (added after 4.3, containers/podman#17168)
//   and knows no DaemonSet: the DaemonSet's agent runs with `podman run
//   --pid host` and the container settings of the manifest;
// - kube play 4.3 publishes every containerPort on the same port of the host
//   (two replicas cannot both have 8000): the copies declare no ports, and
//   the tests reach pods at their addresses on the engine's network.
// What podman 4.3 makes of the server's probes: readinessProbe is ignored;
// livenessProbe becomes a health check `curl -f http://localhost:0/healthz`
// in a shell (the named port is not resolved, and the FROM scratch image has
// neither shell nor curl), which nothing runs here without systemd. The
// test asks /healthz itself. Services are accepted and ignored.
// Not run: the native sidecar (api-backend-native-sidecar.yaml). Podman 4.3
// does not know an init container's restartPolicy, runs the agent as an
// ordinary init container and waits for it to exit before it starts the
// app, which never happens.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "corral/v1/fleet.pb.h"
#include "gtest/gtest.h"
#include "tests/containers/engine_client.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/subprocess.h"
#include "yaml-cpp/yaml.h"

namespace corral::testing {
namespace {

constexpr char kNamespace[] = "corraltest";
constexpr char kNode[] = "corraltest-node";

std::vector<YAML::Node> LoadManifest(const std::string& file) {
  std::vector<YAML::Node> docs;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(SourceDir() + "/docker/kubernetes/" + file)) {
    if (doc.IsMap()) docs.push_back(doc);
  }
  return docs;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\", std::string(1, c));
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, c == '\n' ? "\\n" : " ");
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// An object as JSON, which every YAML reader takes: yaml-cpp forgets which
// scalars were quoted, and "7401" or "1" must stay strings.
std::string Json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      std::vector<std::string> fields;
      for (const auto& kv : node) fields.push_back(JsonString(kv.first.as<std::string>()) + ": " + Json(kv.second));
      return "{" + absl::StrJoin(fields, ", ") + "}";
    }
    case YAML::NodeType::Sequence: {
      std::vector<std::string> items;
      for (const YAML::Node& item : node) items.push_back(Json(item));
      return "[" + absl::StrJoin(items, ", ") + "]";
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      double number;
      bool plain = node.Tag() != "!";
      if (plain && (s == "true" || s == "false" || absl::SimpleAtod(s, &number))) return s;
      return JsonString(s);
    }
    default:
      return "null";
  }
}

YAML::Node String(const std::string& s) {
  YAML::Node n(s);
  n.SetTag("!");
  return n;
}

YAML::Node EnvVar(const std::string& name, const std::string& value) {
  YAML::Node var(YAML::NodeType::Map);
  var["name"] = String(name);
  var["value"] = String(value);
  return var;
}

YAML::Node PodSpec(YAML::Node doc) {
  return doc["kind"].as<std::string>() == "Pod" ? doc["spec"] : doc["spec"]["template"]["spec"];
}

// A Downward API variable podman 4.3 refuses, as the value Kubernetes would give.
std::map<std::string, std::string> LiteralFieldRefs() {
  return {{"metadata.namespace", kNamespace}, {"spec.nodeName", kNode}};
}

// Makes docker/kubernetes objects playable here (see the top of the file).
void ForPodman(std::vector<YAML::Node>& docs, const std::string& server) {
  const std::map<std::string, std::string> images = {{"corral-server", "localhost/corral-server:test"},
                                                     {"corral-agent", "localhost/corral-agent:test"},
                                                     {"api-backend", "localhost/corral-example-app:test"}};
  for (YAML::Node& doc : docs) {
    doc["metadata"]["name"] = String("corraltest-" + doc["metadata"]["name"].as<std::string>());
    std::string kind = doc["kind"].as<std::string>();
    if (kind != "Deployment" && kind != "Pod") continue;
    YAML::Node pod = PodSpec(doc);
    for (YAML::Node volume : pod["volumes"] ? pod["volumes"] : YAML::Node(YAML::NodeType::Sequence)) {
      if (!volume["persistentVolumeClaim"]) continue;
      YAML::Node claim = volume["persistentVolumeClaim"];
      claim["claimName"] = String("corraltest-" + claim["claimName"].as<std::string>());
    }
    for (YAML::Node container : pod["containers"]) {
      std::string image = container["image"].as<std::string>();
      if (images.count(image)) container["image"] = String(images.at(image));
      container["imagePullPolicy"] = String("Never");
      // Podman 4.3 publishes every containerPort on the host's same port:
      // the second replica could not start. Pods are reached at their address.
      container.remove("ports");
      if (!container["env"]) continue;
      YAML::Node env(YAML::NodeType::Sequence);
      for (const YAML::Node& var : container["env"]) {
        std::string name = var["name"].as<std::string>();
        std::string path = var["valueFrom"] ? var["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>() : "";
        if (name == "CORRAL_SERVER") {
          env.push_back(EnvVar(name, server));
        } else if (LiteralFieldRefs().count(path)) {
          env.push_back(EnvVar(name, LiteralFieldRefs().at(path)));
        } else {
          env.push_back(var);
        }
      }
      if (image == "corral-agent") env.push_back(EnvVar("CORRAL_INTERVAL", "1s"));
      container["env"] = env;
    }
  }
}

// A manifest played by `podman kube play`, brought down with its pods and
// the volumes of its claims when it goes out of scope, whatever happened.
class KubePlay {
 public:
  KubePlay(const std::string& name, const std::vector<YAML::Node>& docs) : env_(EngineEnv()) {
    file_ = MakeTempDir("kube-" + name) + "/" + name + ".yaml";
    std::vector<std::string> texts;
    for (const YAML::Node& doc : docs) {
      texts.push_back(Json(doc));
      if (doc["kind"].as<std::string>() == "PersistentVolumeClaim") {
        volumes_.push_back(doc["metadata"]["name"].as<std::string>());
      }
    }
    WriteFile(file_, absl::StrJoin(texts, "\n---\n") + "\n");
    Down();  // what an earlier run that died left behind
  }
  ~KubePlay() {
    Down();
    for (const std::string& id : pods_) Engine({"pod", "rm", "-f", id});
  }

  // Plays the file; the pods' names, as podman named them, in pods().
  RunResult Play() {
    RunResult r = Engine({"kube", "play", file_}, absl::Seconds(120));
    bool next_is_pod = false;
    for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      if (next_is_pod) pods_.emplace_back(absl::StripAsciiWhitespace(line));
      next_is_pod = line == "Pod:";
    }
    for (const std::string& id : pods_) {
      names_.emplace_back(absl::StripAsciiWhitespace(Engine({"pod", "inspect", "--format", "{{.Name}}", id}).out));
    }
    return r;
  }

  const std::vector<std::string>& pods() const { return names_; }

  // The address of a played pod on the engine's network (the host reaches it too).
  std::string PodIp(const std::string& pod) const {
    std::string infra(
        absl::StripAsciiWhitespace(Engine({"pod", "inspect", "--format", "{{.InfraContainerID}}", pod}).out));
    return std::string(absl::StripAsciiWhitespace(
        Engine({"inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", infra}).out));
  }

  RunResult Engine(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(60)) const {
    args.insert(args.begin(), "podman");
    return RunCommand(args, env_, "", timeout);
  }

 private:
  void Down() {
    Engine({"kube", "down", file_}, absl::Seconds(120));
    for (const std::string& v : volumes_) Engine({"volume", "rm", "-f", v});
  }

  std::vector<std::pair<std::string, std::string>> env_;
  std::string file_;
  std::vector<std::string> volumes_;
  std::vector<std::string> pods_;
  std::vector<std::string> names_;
};

// docker/kubernetes/corral-server.yaml, played; its gRPC address.
class PlayedServer {
 public:
  PlayedServer() : play_("corral-server", Docs()) {}

  // Plays it and waits for the gRPC health service to answer.
  void Start() {
    RunResult played = play_.Play();
    ASSERT_EQ(played.exit_code, 0) << played.out << played.err;
    ASSERT_EQ(play_.pods().size(), 1u) << played.out;
    pod_ = play_.pods()[0];
    address_ = absl::StrCat(play_.PodIp(pod_), ":7400");
    ASSERT_TRUE(WaitFor([&] { return Corral({"health"}, address_).exit_code == 0; }, absl::Seconds(30)))
        << play_.Engine({"pod", "logs", pod_}).out;
  }

  const std::string& address() const { return address_; }
  const std::string& pod() const { return pod_; }
  const KubePlay& play() const { return play_; }

 private:
  static std::vector<YAML::Node> Docs() {
    std::vector<YAML::Node> docs = LoadManifest("corral-server.yaml");
    ForPodman(docs, "");
    return docs;
  }

  KubePlay play_;
  std::string pod_;
  std::string address_;
};

corral::v1::InstanceList Instances(const std::string& server) {
  RunResult r = Corral({"instances", "--json"}, server);
  if (r.exit_code != 0) return {};
  return Parse<corral::v1::InstanceList>(r.out);
}

const corral::v1::InstanceSummary* Find(const corral::v1::InstanceList& list, const std::string& instance) {
  for (const auto& i : list.instances()) {
    if (i.instance() == instance) return &i;
  }
  return nullptr;
}

// The permissions hypothesis of `corral diagnose SERVICE`, whose evidence
// has one line per replica.
corral::v1::Hypothesis Permissions(const std::string& server, const std::string& service) {
  RunResult diagnose = Corral({"diagnose", service, "--json"}, server);
  corral::v1::Diagnosis diagnosis = Parse<corral::v1::Diagnosis>(diagnose.out);
  for (const auto& h : diagnosis.hypotheses()) {
    if (h.id() == "permissions") return h;
  }
  ADD_FAILURE() << diagnose.out << diagnose.err;
  return {};
}

TEST(Kubernetes, TheServerManifestRunsLockedDownWithItsDataOnTheClaim) {
  PlayedServer server;
  ASSERT_NO_FATAL_FAILURE(server.Start());
  // podman applied the container's securityContext: the server runs as
  // 7400 on a read-only root, with no capability, no new privileges and a
  // seccomp filter.
  std::string container = server.pod() + "-corral-server";
  RunResult inspect = server.play().Engine(
      {"inspect", "--format", "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.State.Pid}}", container});
  std::vector<std::string> fields = absl::StrSplit(absl::StripAsciiWhitespace(inspect.out), ' ');
  ASSERT_EQ(fields.size(), 3u) << inspect.out << inspect.err;
  EXPECT_EQ(fields[0], "7400:7400");
  EXPECT_EQ(fields[1], "true");
  std::map<std::string, std::string> status;
  for (absl::string_view line : absl::StrSplit(ReadLog("/proc/" + fields[2] + "/status"), '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    status[kv.first] = std::string(absl::StripAsciiWhitespace(kv.second));
  }
  EXPECT_EQ(status["Uid"], "7400\t7400\t7400\t7400");
  EXPECT_EQ(status["CapEff"], "0000000000000000");
  EXPECT_EQ(status["CapBnd"], "0000000000000000");
  EXPECT_EQ(status["NoNewPrivs"], "1");
  EXPECT_EQ(status["Seccomp"], "2");
  // It writes its SQLite file on the claim's volume: an expectation survives
  // in corral.db there.
  ASSERT_EQ(Corral({"expect", "set", "api-backend", "workers=3"}, server.address()).exit_code, 0);
  RunResult files =
      server.play().Engine({"volume", "inspect", "--format", "{{.Mountpoint}}", "corraltest-corral-data"});
  std::string mountpoint(absl::StripAsciiWhitespace(files.out));
  ASSERT_FALSE(mountpoint.empty()) << files.err;
  EXPECT_NE(ReadLog(mountpoint + "/corral.db"), "") << mountpoint;
  // /metrics and /healthz on the Service's http port.
  std::string http = absl::StrReplaceAll(server.address(), {{":7400", ":7401"}});
  RunResult healthz = RunCommand({"curl", "-sf", "http://" + http + "/healthz"});
  EXPECT_EQ(healthz.exit_code, 0) << healthz.err;
  RunResult metrics = RunCommand({"curl", "-sf", "http://" + http + "/metrics"});
  EXPECT_TRUE(absl::StrContains(metrics.out, "corral_")) << metrics.out;
}

TEST(Kubernetes, TheSidecarManifestReportsEachPodsGunicornUnderThePodsName) {
  PlayedServer server;
  ASSERT_NO_FATAL_FAILURE(server.Start());
  std::vector<YAML::Node> docs = LoadManifest("api-backend-sidecar.yaml");
  ForPodman(docs, server.address());
  KubePlay app("api-backend-sidecar", docs);
  RunResult played = app.Play();
  ASSERT_EQ(played.exit_code, 0) << played.out << played.err;
  // Both replicas, each its own pod with its own agent.
  ASSERT_EQ(app.pods().size(), 2u) << played.out;

  corral::v1::InstanceList list;
  ASSERT_TRUE(WaitFor(
      [&] {
        list = Instances(server.address());
        for (const std::string& pod : app.pods()) {
          const corral::v1::InstanceSummary* i = Find(list, pod);
          if (i == nullptr || i->live_workers() != 3) return false;
        }
        return true;
      },
      absl::Seconds(60)))
      << list.DebugString() << app.Engine({"pod", "logs", app.pods()[0]}).out;
  for (const std::string& pod : app.pods()) {
    const corral::v1::InstanceSummary& i = *Find(list, pod);
    // The service from the pod's app.kubernetes.io/name label, the instance
    // from its name, both through the Downward API.
    EXPECT_EQ(i.service(), "api-backend") << pod;
    EXPECT_EQ(i.state(), "online") << pod;
    EXPECT_EQ(i.configured_workers(), 3) << pod;
    EXPECT_EQ(i.app_uri(), "wsgi:application") << pod;
    EXPECT_EQ(i.namespace_(), kNamespace) << pod;
    EXPECT_EQ(i.node(), kNode) << pod;
  }
  EXPECT_EQ(list.instances_size(), 2) << list.DebugString();

  // Gunicorn runs as uid 10001 and the agent, root with every capability
  // dropped but SYS_PTRACE, reads all it needs of it.
  corral::v1::Hypothesis permissions = Permissions(server.address(), "api-backend");
  EXPECT_EQ(permissions.verdict(), "ruled_out") << permissions.DebugString();
  ASSERT_EQ(permissions.evidence_size(), 2) << permissions.DebugString();
  for (const std::string& line : permissions.evidence()) {
    EXPECT_TRUE(absl::StrContains(line, "master uid 10001")) << line;
    EXPECT_TRUE(absl::StrContains(line, "every /proc entry the agent needs is readable")) << line;
  }

  // What the manifest declares, imported, is what runs: the import names the
  // service as the agents do, so replicas, workers and command all match.
  RunResult imported =
      Corral({"expect", "import", SourceDir() + "/docker/kubernetes/api-backend-sidecar.yaml"}, server.address());
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  RunResult check;
  EXPECT_TRUE(WaitFor(
      [&] {
        check = Corral({"check", "--fail-on", "warning"}, server.address());
        return check.exit_code == 0;
      },
      absl::Seconds(10)))
      << check.out << check.err;
}

TEST(Kubernetes, WhereCapabilitiesAreNotAllowedTheSidecarRunsAsTheAppsUser) {
  // What api-backend-sidecar.yaml says to do under the restricted Pod
  // Security Standard: the agent as the app's user, no capability at all.
  PlayedServer server;
  ASSERT_NO_FATAL_FAILURE(server.Start());
  std::vector<YAML::Node> docs = LoadManifest("api-backend-sidecar.yaml");
  ForPodman(docs, server.address());
  YAML::Node deployment = docs[0];
  deployment["spec"]["replicas"] = 1;
  int app_user = 0;
  for (YAML::Node container : PodSpec(deployment)["containers"]) {
    if (container["name"].as<std::string>() == "api-backend") {
      app_user = container["securityContext"]["runAsUser"].as<int>();
    }
  }
  ASSERT_EQ(app_user, 10001);
  for (YAML::Node container : PodSpec(deployment)["containers"]) {
    if (container["name"].as<std::string>() != "corral-agent") continue;
    container["securityContext"] =
        YAML::Load(absl::StrCat("{runAsUser: ", app_user,
                                ", runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, "
                                "capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}"));
  }
  KubePlay app("api-backend-restricted", docs);
  RunResult played = app.Play();
  ASSERT_EQ(played.exit_code, 0) << played.out << played.err;
  ASSERT_EQ(app.pods().size(), 1u) << played.out;
  corral::v1::InstanceList list;
  ASSERT_TRUE(WaitFor(
      [&] {
        list = Instances(server.address());
        const corral::v1::InstanceSummary* i = Find(list, app.pods()[0]);
        return i != nullptr && i->live_workers() == 3;
      },
      absl::Seconds(60)))
      << list.DebugString() << app.Engine({"pod", "logs", app.pods()[0]}).out;
  corral::v1::Hypothesis permissions = Permissions(server.address(), "api-backend");
  EXPECT_EQ(permissions.verdict(), "ruled_out") << permissions.DebugString();
  ASSERT_EQ(permissions.evidence_size(), 1) << permissions.DebugString();
  EXPECT_TRUE(absl::StrContains(permissions.evidence(0), "every /proc entry the agent needs is readable"))
      << permissions.evidence(0);
}

// The app pods the node's agent finds: one named as a Deployment names its
// pods, whose container says nothing of Corral; one whose container carries
// the service label and the namespace, as the DaemonSet's header suggests.
constexpr char kNodeApps[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: web-7c9d5b8f4-k2x9p
  labels: {app.kubernetes.io/name: web}
spec:
  containers:
    - name: web
      image: api-backend
      command: [gunicorn, --workers, "2", --bind, "0.0.0.0:8000", wsgi:application]
---
apiVersion: v1
kind: Pod
metadata:
  name: billing-0
  labels: {app.kubernetes.io/name: billing}
spec:
  containers:
    - name: billing
      image: api-backend
      command: [gunicorn, --workers, "2", --bind, "0.0.0.0:8000", wsgi:application]
      env:
        - {name: CORRAL_SERVICE, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app.kubernetes.io/name']"}}}
        - {name: CORRAL_POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
)";

// `podman run` arguments for the DaemonSet's agent container: its
// environment (Downward API resolved as on a node called kNode) and its
// securityContext, in the node's PID namespace.
std::vector<std::string> DaemonSetAgentRun(const std::string& name, const std::string& server) {
  std::vector<YAML::Node> docs = LoadManifest("corral-agent-daemonset.yaml");
  std::vector<std::string> args = {"run", "-d", "--name", name};
  if (docs.size() != 1) return args;
  YAML::Node pod = PodSpec(docs[0]);
  if (pod["hostPID"].as<bool>()) args.insert(args.end(), {"--pid", "host"});
  YAML::Node agent = pod["containers"][0];
  for (const YAML::Node& var : agent["env"]) {
    std::string value = var["value"]
                            ? var["value"].as<std::string>()
                            : LiteralFieldRefs().at(var["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>());
    if (var["name"].as<std::string>() == "CORRAL_SERVER") value = server;
    args.insert(args.end(), {"-e", absl::StrCat(var["name"].as<std::string>(), "=", value)});
  }
  args.insert(args.end(), {"-e", "CORRAL_INTERVAL=1s"});
  const YAML::Node sc = agent["securityContext"];
  if (sc["readOnlyRootFilesystem"].as<bool>()) args.push_back("--read-only");
  if (!sc["allowPrivilegeEscalation"].as<bool>()) args.insert(args.end(), {"--security-opt", "no-new-privileges"});
  for (const YAML::Node& cap : sc["capabilities"]["drop"]) args.push_back("--cap-drop=" + cap.as<std::string>());
  for (const YAML::Node& cap : sc["capabilities"]["add"]) args.push_back("--cap-add=" + cap.as<std::string>());
  args.push_back("localhost/corral-agent:test");
  return args;
}

TEST(Kubernetes, TheDaemonSetsAgentReportsAGunicornInAnotherPodUnderThatPodsName) {
  PlayedServer server;
  ASSERT_NO_FATAL_FAILURE(server.Start());
  std::vector<YAML::Node> docs = YAML::LoadAll(kNodeApps);
  ForPodman(docs, server.address());
  KubePlay apps("node-apps", docs);
  RunResult played = apps.Play();
  ASSERT_EQ(played.exit_code, 0) << played.out << played.err;
  ASSERT_EQ(apps.pods(), (std::vector<std::string>{"corraltest-web-7c9d5b8f4-k2x9p", "corraltest-billing-0"}));

  const std::string agent = "corraltest-node-agent";
  apps.Engine({"rm", "-f", "-t", "1", agent});
  struct Remove {
    const KubePlay& engine;
    std::string name;
    ~Remove() { engine.Engine({"rm", "-f", "-t", "1", name}); }
  } remove{apps, agent};
  std::vector<std::string> run = DaemonSetAgentRun(agent, server.address());
  ASSERT_NE(std::find(run.begin(), run.end(), "host"), run.end()) << absl::StrJoin(run, " ");
  RunResult started = apps.Engine(run);
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;

  corral::v1::InstanceList list;
  ASSERT_TRUE(WaitFor(
      [&] {
        list = Instances(server.address());
        for (const std::string& pod : apps.pods()) {
          const corral::v1::InstanceSummary* i = Find(list, pod);
          if (i == nullptr || i->live_workers() != 2) return false;
        }
        return true;
      },
      absl::Seconds(60)))
      << list.DebugString() << apps.Engine({"logs", "--tail", "30", agent}).out
      << apps.Engine({"logs", "--tail", "30", agent}).err;
  // No label in its environment: the service from the pod's name, as a
  // Deployment names its pods (NAME-RSHASH-SUFFIX).
  const corral::v1::InstanceSummary& web = *Find(list, "corraltest-web-7c9d5b8f4-k2x9p");
  EXPECT_EQ(web.service(), "corraltest-web");
  EXPECT_EQ(web.node(), kNode);
  EXPECT_EQ(web.configured_workers(), 2);
  // The label and the namespace from the app container's environment.
  const corral::v1::InstanceSummary& billing = *Find(list, "corraltest-billing-0");
  EXPECT_EQ(billing.service(), "billing");
  EXPECT_EQ(billing.namespace_(), kNamespace);
  EXPECT_EQ(billing.node(), kNode);
  // One agent, one instance per pod: never the agent's own identity.
  std::multiset<std::string> services;
  for (const auto& i : list.instances()) services.insert(i.service());
  EXPECT_EQ(services.count("corraltest-web"), 1u) << list.DebugString();
  EXPECT_EQ(services.count("billing"), 1u) << list.DebugString();
}

}  // namespace
}  // namespace corral::testing
