#include "compose/kubernetes_manifests.h"

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/compose/imported_expectations_util.h"

namespace corral::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string Fixture(const std::string& name) {
  absl::StatusOr<std::string> content =
      ReadFileToString(std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/kubernetes/" + name);
  EXPECT_TRUE(content.ok()) << content.status();
  return content.ok() ? *content : "";
}

KubernetesManifests LoadOrDie(const std::vector<ManifestFile>& files) {
  absl::StatusOr<KubernetesManifests> loaded = LoadKubernetesManifests(files);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? *loaded : KubernetesManifests();
}

KubernetesManifests LoadOrDie(const std::string& content) { return LoadOrDie({{"deploy.yaml", content}}); }

absl::Status LoadError(const std::string& content) {
  absl::StatusOr<KubernetesManifests> loaded = LoadKubernetesManifests({{"deploy.yaml", content}});
  EXPECT_FALSE(loaded.ok()) << "loaded " << loaded->containers.size() << " container(s)";
  return loaded.status();
}

// service -> its expectations.
std::map<std::string, ImportedExpectations> ByService(const KubernetesManifests& manifests) {
  std::map<std::string, ImportedExpectations> out;
  for (ImportedExpectations& e : ExpectationsFromKubernetes(manifests)) out[e.expectations.service()] = std::move(e);
  return out;
}

using corral::compose::testing::ExpectationFor;
using corral::compose::testing::Values;
using corral::compose::testing::WarningsContaining;

// A Deployment named `name` whose one container runs `command`, with
// `extra` appended to the container (indented for it).
std::string Deployment(const std::string& name, const std::string& command, const std::string& extra = "") {
  return absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: )",
                      name, R"(
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: app:1
          command: )",
                      command, "\n", extra);
}

TEST(KubernetesImport, IncidentDeploymentExpectsItsCommandAndReplicas) {
  const std::string file = "tests/fixtures/kubernetes/incident/api-backend.yaml";
  KubernetesManifests manifests = LoadOrDie({{file, Fixture("incident/api-backend.yaml")}});
  ASSERT_THAT(manifests.containers, SizeIs(1));
  EXPECT_EQ(manifests.containers[0].workload, "Deployment api-backend");
  EXPECT_EQ(manifests.containers[0].container, "api");
  EXPECT_EQ(manifests.containers[0].declared.environment.at("PYTHONUNBUFFERED").origin, file + ":9");
  // The agent sidecar's fieldRefs are no Gunicorn's business.
  EXPECT_THAT(manifests.warnings, IsEmpty());

  std::map<std::string, ImportedExpectations> services = ByService(manifests);
  ASSERT_EQ(services.size(), 1u);
  const ImportedExpectations& api = services["api-backend"];
  EXPECT_EQ(Values(api), (std::map<std::string, std::string>{
                             {"app_uri", "wsgi:application"},
                             {"bind", "0.0.0.0:8000"},
                             {"command",
                              "gunicorn --workers 3 --timeout 120 --preload --bind 0.0.0.0:8000 "
                              "wsgi:application"},
                             {"preload_app", "true"},
                             {"replicas", "3"},
                             {"timeout", "120"},
                             {"workers", "3"},
                         }));
  EXPECT_EQ(ExpectationFor(api, "workers").origin(), file + ":31");
  EXPECT_EQ(ExpectationFor(api, "workers").declared_by(), "compose");
  EXPECT_EQ(ExpectationFor(api, "replicas").origin(), file + ":18");
  EXPECT_THAT(api.warnings, ElementsAre(HasSubstr("no -c is given")));
}

TEST(KubernetesImport, HelmTemplateOutputIsReadDocumentByDocument) {
  const std::string file = "shop.yaml";
  KubernetesManifests manifests = LoadOrDie({{file, Fixture("helm-template/shop.yaml")}});
  // The celery worker runs no Gunicorn; the CronJob's Gunicorn is no service.
  ASSERT_THAT(manifests.containers, SizeIs(1));
  EXPECT_EQ(manifests.containers[0].workload, "Deployment release-name-shop-web");
  std::map<std::string, ImportedExpectations> services = ByService(manifests);
  ASSERT_EQ(services.count("shop-web"), 1u);
  const ImportedExpectations& web = services["shop-web"];
  // $(PORT) is the kubelet's to expand, before the shell runs; the
  // ConfigMap's keys arrive with envFrom's prefix, so WEB_CONCURRENCY is
  // GUNICORN_WEB_CONCURRENCY, which Gunicorn does not read.
  EXPECT_EQ(Values(web), (std::map<std::string, std::string>{
                             {"app_uri", "shop.wsgi:application"},
                             {"bind", "0.0.0.0:8000"},
                             {"command", "gunicorn --bind 0.0.0.0:8000 shop.wsgi:application"},
                             {"keepalive", "5"},
                             {"timeout", "60"},
                         }));
  EXPECT_EQ(ExpectationFor(web, "timeout").origin(), file + ":18");
  EXPECT_EQ(ExpectationFor(web, "command").origin(), file + ":71");
  EXPECT_THAT(manifests.warnings,
              ElementsAre(file + ":110: HorizontalPodAutoscaler release-name-shop-web scales Deployment "
                                 "release-name-shop-web between 2 and 8 replicas; no replica count is expected",
                          file + ":86: Deployment release-name-shop-web: container web: env DATABASE_PASSWORD comes "
                                 "from key password of Secret release-name-shop-db, which is not read; left out"));
}

TEST(KubernetesImport, EveryWorkloadKindIsRead) {
  const std::string pod_spec = R"(
    spec:
      containers:
        - name: web
          command: [gunicorn, -w, "2", app:app]
)";
  KubernetesManifests manifests = LoadOrDie(absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: deployment}
spec:
  replicas: 4
  template:)",
                                                         pod_spec, R"(---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: statefulset}
spec:
  replicas: 3
  template:)",
                                                         pod_spec, R"(---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: daemonset}
spec:
  template:)",
                                                         pod_spec, R"(---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: replicaset}
spec:
  replicas: 2
  template:)",
                                                         pod_spec, R"(---
apiVersion: v1
kind: Pod
metadata: {name: pod}
spec:
  containers:
    - name: web
      command: [gunicorn, -w, "2", app:app]
)"));
  std::map<std::string, ImportedExpectations> services = ByService(manifests);
  ASSERT_EQ(services.size(), 5u);
  EXPECT_EQ(Values(services["deployment"])["replicas"], "4");
  EXPECT_EQ(Values(services["statefulset"])["replicas"], "3");
  EXPECT_EQ(Values(services["replicaset"])["replicas"], "2");
  // A DaemonSet runs one pod per node: no count to expect.
  EXPECT_EQ(Values(services["daemonset"]).count("replicas"), 0u);
  EXPECT_EQ(Values(services["pod"])["replicas"], "1");
  EXPECT_EQ(ExpectationFor(services["pod"], "replicas").origin(), "deploy.yaml:45");
  for (const auto& [service, imported] : services) EXPECT_EQ(Values(imported)["workers"], "2") << service;
}

TEST(KubernetesImport, ReplicasDefaultToOneAtTheSpec) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          command: [gunicorn, app:app]
)");
  corral::v1::Expectation replicas = ExpectationFor(ByService(manifests)["api"], "replicas");
  EXPECT_EQ(replicas.value(), "1");
  EXPECT_EQ(replicas.origin(), "deploy.yaml:5");
}

TEST(KubernetesImport, ServiceIsThePodTemplatesNameLabelElseTheWorkloadName) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-v2
spec:
  template:
    metadata:
      labels:
        app.kubernetes.io/name: api
    spec:
      containers:
        - {name: api, command: [gunicorn, app:app]}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: admin
  labels:
    app.kubernetes.io/name: not-on-the-pods
spec:
  template:
    spec:
      containers:
        - {name: admin, command: [gunicorn, admin:app]}
)");
  std::map<std::string, ImportedExpectations> services = ByService(manifests);
  EXPECT_EQ(services.size(), 2u);
  EXPECT_EQ(Values(services["api"])["app_uri"], "app:app");
  // The agent reads the pod's labels: a label only on the Deployment does
  // not name its pods.
  EXPECT_EQ(Values(services["admin"])["app_uri"], "admin:app");
}

TEST(KubernetesImport, ListItemsNullDocumentsAndCommentsAreRead) {
  KubernetesManifests manifests = LoadOrDie(R"(---
---
# only a comment
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: env}
    data: {WEB_CONCURRENCY: "5"}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api}
    spec:
      replicas: 2
      template:
        spec:
          containers:
            - name: api
              command: [gunicorn, app:app]
              envFrom: [{configMapRef: {name: env}}]
...
---
)");
  ImportedExpectations api = ByService(manifests)["api"];
  EXPECT_EQ(Values(api)["workers"], "5");
  EXPECT_EQ(ExpectationFor(api, "workers").origin(), "deploy.yaml:11");
  EXPECT_EQ(Values(api)["replicas"], "2");
}

TEST(KubernetesImport, SeveralFilesAreReadTogether) {
  KubernetesManifests manifests = LoadOrDie({{"config.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: env}
data:
  GUNICORN_CMD_ARGS: --timeout 30
)"},
                                             {"deploy.yaml", Deployment("api", "[gunicorn, app:app]", R"(
          envFrom:
            - configMapRef: {name: env}
)")}});
  EXPECT_THAT(manifests.files, ElementsAre("config.yaml", "deploy.yaml"));
  ImportedExpectations api = ByService(manifests)["api"];
  EXPECT_EQ(Values(api)["timeout"], "30");
  EXPECT_EQ(ExpectationFor(api, "timeout").origin(), "config.yaml:5");
}

TEST(KubernetesImport, ShellScriptIsSearchedForGunicorn) {
  KubernetesManifests manifests =
      LoadOrDie(Deployment("api", R"(["sh", "-c", "cd /srv && exec gunicorn -w $WORKERS app:app"])", R"(
          env:
            - {name: WORKERS, value: "6"}
)"));
  ImportedExpectations api = ByService(manifests)["api"];
  EXPECT_EQ(Values(api)["workers"], "6");
  EXPECT_EQ(Values(api)["command"], "gunicorn -w 6 app:app");
}

TEST(KubernetesImport, EnvFromConfigMapWithPrefixThenEnvWins) {
  KubernetesManifests manifests = LoadOrDie(absl::StrCat(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: gunicorn}
data:
  CMD_ARGS: --timeout 45 --graceful-timeout 10
  CONCURRENCY: "8"
---
)",
                                                         Deployment("api", "[gunicorn, app:app]", R"(
          envFrom:
            - prefix: GUNICORN_
              configMapRef: {name: gunicorn}
            - prefix: WEB_
              configMapRef: {name: gunicorn}
          env:
            - name: GUNICORN_CMD_ARGS
              value: --timeout 90
)")));
  ASSERT_THAT(manifests.containers, SizeIs(1));
  const std::map<std::string, Declared>& env = manifests.containers[0].declared.environment;
  EXPECT_EQ(env.at("WEB_CONCURRENCY").value, "8");
  EXPECT_EQ(env.at("WEB_CONCURRENCY").origin, "deploy.yaml:6");
  EXPECT_EQ(env.at("WEB_CMD_ARGS").value, "--timeout 45 --graceful-timeout 10");
  ImportedExpectations api = ByService(manifests)["api"];
  EXPECT_EQ(Values(api)["workers"], "8");
  EXPECT_EQ(Values(api)["timeout"], "90");
  EXPECT_EQ(ExpectationFor(api, "timeout").origin(), "deploy.yaml:28");
  EXPECT_EQ(Values(api).count("graceful_timeout"), 0u);
}

TEST(KubernetesImport, ConfigMapKeyRefTakesTheValueFromTheConfigMap) {
  KubernetesManifests manifests = LoadOrDie(absl::StrCat(Deployment("api", "[gunicorn, app:app]", R"(
          env:
            - name: WEB_CONCURRENCY
              valueFrom:
                configMapKeyRef: {name: sizing, key: workers}
            - name: OPTIONAL_MISSING
              valueFrom:
                configMapKeyRef: {name: sizing, key: nothing, optional: true}
)"),
                                                         R"(---
apiVersion: v1
kind: ConfigMap
metadata: {name: sizing}
data:
  workers: "4"
)"));
  ImportedExpectations api = ByService(manifests)["api"];
  EXPECT_EQ(Values(api)["workers"], "4");
  EXPECT_EQ(ExpectationFor(api, "workers").origin(), "deploy.yaml:26");
  EXPECT_EQ(manifests.containers[0].declared.environment.count("OPTIONAL_MISSING"), 0u);
  EXPECT_THAT(manifests.warnings, IsEmpty());
}

TEST(KubernetesImport, ConfigMapOfAnotherNamespaceIsNotUsed) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: env, namespace: staging}
data: {WEB_CONCURRENCY: "2"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prod}
spec:
  template:
    spec:
      containers:
        - name: api
          command: [gunicorn, app:app]
          envFrom: [{configMapRef: {name: env}}]
)");
  ASSERT_THAT(manifests.containers, SizeIs(1));
  EXPECT_EQ(manifests.containers[0].workload, "Deployment prod/api");
  EXPECT_EQ(Values(ByService(manifests)["api"]).count("workers"), 0u);
  EXPECT_THAT(manifests.warnings, ElementsAre("deploy.yaml:15: Deployment prod/api: container api: envFrom ConfigMap "
                                              "env is not in the files read; the variables it sets are not known"));
}

TEST(KubernetesImport, MissingConfigMapAndMissingKeyAreWarnedAbout) {
  KubernetesManifests manifests = LoadOrDie(absl::StrCat(Deployment("api", "[gunicorn, app:app]", R"(
          env:
            - name: WEB_CONCURRENCY
              valueFrom:
                configMapKeyRef: {name: elsewhere, key: workers}
            - name: PORT
              valueFrom:
                configMapKeyRef: {name: here, key: port}
)"),
                                                         R"(---
apiVersion: v1
kind: ConfigMap
metadata: {name: here}
data: {other: x}
)"));
  EXPECT_THAT(manifests.containers[0].declared.environment, IsEmpty());
  EXPECT_THAT(manifests.warnings,
              ElementsAre("deploy.yaml:17: Deployment api: container app: env WEB_CONCURRENCY comes from ConfigMap "
                          "elsewhere, which is not in the files read; left out",
                          "deploy.yaml:20: Deployment api: container app: env PORT comes from key port, which "
                          "ConfigMap here (deploy.yaml:22) does not have: Kubernetes will not start the container; "
                          "left out"));
}

TEST(KubernetesImport, SecretsAreNotReadAndSaySo) {
  KubernetesManifests manifests = LoadOrDie(Deployment("api", "[gunicorn, app:app]", R"(
          envFrom:
            - secretRef: {name: api-secrets}
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: db, key: password}
)"));
  EXPECT_THAT(manifests.warnings,
              ElementsAre("deploy.yaml:15: Deployment api: container app: envFrom Secret api-secrets is not read; the "
                          "variables it sets are not known",
                          "deploy.yaml:19: Deployment api: container app: env DB_PASSWORD comes from key password of "
                          "Secret db, which is not read; left out"));
}

TEST(KubernetesImport, FieldAndResourceReferencesAreKnownOnlyAtRunTime) {
  KubernetesManifests manifests = LoadOrDie(Deployment("api", "[gunicorn, --bind, \"$(POD_IP):8000\", app:app]", R"(
          env:
            - name: POD_IP
              valueFrom:
                fieldRef: {fieldPath: status.podIP}
            - name: WEB_CONCURRENCY
              valueFrom:
                resourceFieldRef: {resource: limits.cpu}
)"));
  EXPECT_THAT(manifests.warnings,
              ElementsAre("deploy.yaml:17: Deployment api: container app: env POD_IP is the pod's field status.podIP, "
                          "known only when it runs; left out",
                          "deploy.yaml:20: Deployment api: container app: env WEB_CONCURRENCY is the container's "
                          "resource limits.cpu, known only when it runs; left out"));
  ImportedExpectations api = ByService(manifests)["api"];
  // What depends on the pod's IP is not expected; the rest is.
  EXPECT_EQ(Values(api), (std::map<std::string, std::string>{{"app_uri", "app:app"}, {"replicas", "2"}}));
  EXPECT_THAT(WarningsContaining(api.warnings, "$(POD_IP)"),
              ElementsAre("api: its command (deploy.yaml:12) uses $(POD_IP), which the manifests do not tell; the "
                          "command and the settings that depend on it are not imported"));
}

TEST(KubernetesImport, DependentVariablesExpandAsTheKubeletExpandsThem) {
  KubernetesManifests manifests = LoadOrDie(Deployment(
      "api",
      R"y([gunicorn, --workers, "$(WORKERS)", --timeout, "$(TIMEOUT)", --name, "$$(NAME)-$(UNDEFINED)", app:app])y",
      R"y(
          env:
            - {name: BASE, value: "3"}
            - {name: WORKERS, value: "$(BASE)"}
            - {name: TIMEOUT, value: "$(LATER)0"}
            - {name: LATER, value: "6"}
)y"));
  ASSERT_THAT(manifests.containers, SizeIs(1));
  // A reference to a variable defined below stays as written, as does one
  // to a variable not defined at all; $$ is a literal $.
  EXPECT_EQ(manifests.containers[0].declared.environment.at("TIMEOUT").value, "$(LATER)0");
  EXPECT_THAT(
      manifests.containers[0].declared.command,
      ElementsAre("gunicorn", "--workers", "3", "--timeout", "$(LATER)0", "--name", "$(NAME)-$(UNDEFINED)", "app:app"));
  ImportedExpectations api = ByService(manifests)["api"];
  EXPECT_EQ(Values(api)["workers"], "3");
  EXPECT_EQ(Values(api)["proc_name"], "$(NAME)-$(UNDEFINED)");
  EXPECT_THAT(WarningsContaining(api.warnings, "timeout"), ElementsAre(HasSubstr("$(LATER)0")));
}

TEST(KubernetesImport, ServiceVariablesAreKnownOnlyToTheCluster) {
  KubernetesManifests manifests = LoadOrDie(
      Deployment("api", R"([gunicorn, --statsd-host, "$(STATSD_SERVICE_HOST):8125", --workers, "2", app:app])"));
  ImportedExpectations api = ByService(manifests)["api"];
  EXPECT_EQ(Values(api)["workers"], "2");
  EXPECT_EQ(Values(api).count("statsd_host"), 0u);
  EXPECT_EQ(Values(api).count("command"), 0u);
}

TEST(KubernetesImport, JobsCronJobsServicesAndOtherContainersAddNothing) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec:
      containers: [{name: job, command: [gunicorn, --check-config, app:app]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: job, command: [gunicorn, --check-config, app:app]}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      shareProcessNamespace: true
      containers:
        - name: nginx
          image: nginx:1.27
          command: [nginx, -g, daemon off;]
        - name: api
          command: [gunicorn, app:app]
        - name: corral-agent
          command: [corral-agent]
          env:
            - name: CORRAL_POD_NAME
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
)");
  ASSERT_THAT(manifests.containers, SizeIs(1));
  EXPECT_EQ(manifests.containers[0].container, "api");
  EXPECT_THAT(manifests.warnings, IsEmpty());
}

TEST(KubernetesImport, ArgsAloneAreTheCommandWhenTheyStartGunicorn) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          args: [gunicorn, --workers, "4", app:app]
)");
  ASSERT_THAT(manifests.containers, SizeIs(1));
  EXPECT_EQ(manifests.containers[0].declared.command_origin, "deploy.yaml:9");
  EXPECT_EQ(Values(ByService(manifests)["api"])["workers"], "4");
  EXPECT_THAT(manifests.warnings, IsEmpty());
}

TEST(KubernetesImport, UnknownEntrypointOrImageCommandIsNamedInAWarning) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          args: [--workers, "4", app:app]
        - name: metrics
          image: exporter:2
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache}
spec:
  template:
    spec:
      containers:
        - {name: redis, command: [redis-server]}
)");
  EXPECT_THAT(manifests.containers, IsEmpty());
  EXPECT_THAT(manifests.warnings,
              ElementsAre("deploy.yaml:1: Deployment api: not imported: no container is known to run Gunicorn "
                          "(container api gives only args (deploy.yaml:9), which its image's ENTRYPOINT runs, and "
                          "that ENTRYPOINT is not known; container metrics sets neither command nor args, so its "
                          "image decides what it runs)"));
}

TEST(KubernetesImport, InitContainersAndNativeSidecarsCount) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          command: [python, manage.py, migrate]
        - name: api
          restartPolicy: Always
          command: [gunicorn, --workers, "2", app:app]
      containers:
        - name: worker
          command: [celery, worker]
)");
  ASSERT_THAT(manifests.containers, SizeIs(1));
  EXPECT_EQ(manifests.containers[0].container, "api");
  EXPECT_EQ(Values(ByService(manifests)["api"])["workers"], "2");
}

TEST(KubernetesImport, SeveralGunicornContainersExpectWhatTheyDeclareAlike) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - {name: web, command: [gunicorn, --timeout, "60", --workers, "4", shop:app]}
        - {name: admin, command: [gunicorn, --timeout, "60", --workers, "1", admin:app]}
)");
  ImportedExpectations shop = ByService(manifests)["shop"];
  EXPECT_EQ(Values(shop), (std::map<std::string, std::string>{{"replicas", "3"}, {"timeout", "60"}}));
  EXPECT_THAT(WarningsContaining(shop.warnings, "containers"),
              ElementsAre("shop: 2 Gunicorn containers are reported under this one service (Deployment shop "
                          "container web, Deployment shop container admin); only what they all declare alike is "
                          "expected, not app_uri, command, workers"));
}

TEST(KubernetesImport, WorkloadsSharingANameLabelAddUpTheirReplicas) {
  const std::string pod = R"(
  template:
    metadata:
      labels: {app.kubernetes.io/name: shop}
    spec:
      containers: [{name: web, command: [gunicorn, --workers, "2", shop:app]}]
)";
  KubernetesManifests manifests = LoadOrDie(absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-blue}
spec:
  replicas: 2)",
                                                         pod, R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-green}
spec:
  replicas: 1)",
                                                         pod));
  ImportedExpectations shop = ByService(manifests)["shop"];
  EXPECT_EQ(Values(shop)["workers"], "2");
  EXPECT_EQ(ExpectationFor(shop, "replicas").value(), "3");
  EXPECT_EQ(ExpectationFor(shop, "replicas").origin(), "deploy.yaml:5 + deploy.yaml:16");
}

TEST(KubernetesImport, AnAutoscaledWorkloadHasNoReplicaCount) {
  KubernetesManifests manifests = LoadOrDie(absl::StrCat(Deployment("api", "[gunicorn, app:app]"), R"(---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: api-scaler}
spec:
  scaleTargetRef: {name: api}
  maxReplicaCount: 20
)"));
  EXPECT_EQ(Values(ByService(manifests)["api"]).count("replicas"), 0u);
  EXPECT_THAT(manifests.warnings, ElementsAre("deploy.yaml:14: ScaledObject api-scaler scales Deployment api between "
                                              "0 and 20 replicas; no replica count is expected"));
}

TEST(KubernetesImport, PodsAndReplicaSetsOfAWorkloadInTheFilesAreItsOwn) {
  // `kubectl get deploy,rs,pods -o yaml`: one service, counted once.
  KubernetesManifests manifests = LoadOrDie(absl::StrCat(R"(apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: api-7d4f9c6b8
    ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, controller: true}]
  spec:
    replicas: 2
    template:
      spec:
        containers: [{name: app, command: [gunicorn, app:app]}]
- apiVersion: v1
  kind: Pod
  metadata:
    name: api-7d4f9c6b8-x2x9z
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d4f9c6b8, controller: true}]
  spec:
    containers: [{name: app, command: [gunicorn, app:app]}]
---
)",
                                                         Deployment("api", "[gunicorn, app:app]")));
  ASSERT_THAT(manifests.containers, SizeIs(1));
  EXPECT_EQ(manifests.containers[0].workload, "Deployment api");
  EXPECT_EQ(Values(ByService(manifests)["api"])["replicas"], "2");
}

TEST(KubernetesImport, AnObjectDeclaredTwiceIsTheLaterOne) {
  KubernetesManifests manifests = LoadOrDie(absl::StrCat(Deployment("api", "[gunicorn, -w, \"2\", app:app]"), "---\n",
                                                         Deployment("api", "[gunicorn, -w, \"5\", app:app]")));
  EXPECT_EQ(Values(ByService(manifests)["api"])["workers"], "5");
  EXPECT_THAT(manifests.warnings,
              ElementsAre("deploy.yaml:14: Deployment api is declared again (first at deploy.yaml:1); the later one "
                          "is read, as kubectl apply leaves it"));
}

TEST(KubernetesImport, MergeKeysAreFollowed) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - &base
          name: api
          command: [gunicorn, -w, "3", app:app]
        - <<: *base
          name: api-copy
)");
  ASSERT_THAT(manifests.containers, SizeIs(2));
  EXPECT_EQ(manifests.containers[1].container, "api-copy");
  EXPECT_EQ(Values(ByService(manifests)["api"])["workers"], "3");
}

TEST(KubernetesImport, MalformedYamlIsAnErrorNamingFileLineAndColumn) {
  absl::Status status = LoadError("apiVersion: v1\nkind: ConfigMap\n---\nkind: [unclosed\n");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("deploy.yaml:5:1: invalid YAML"));
}

TEST(KubernetesImport, WrongTypesAreErrorsNamingFileAndLine) {
  EXPECT_EQ(LoadError("- just\n- a list\n").message(),
            "deploy.yaml:1: a manifest document must be a mapping with apiVersion and kind");
  EXPECT_EQ(LoadError(Deployment("api", "gunicorn app:app")).message(),
            "deploy.yaml:12: Deployment api: container app: command must be a list of strings");
  EXPECT_EQ(LoadError(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: three
  template: {spec: {containers: []}}
)")
                .message(),
            "deploy.yaml:5: Deployment api: spec.replicas must be a replica count (a whole number from 0)");
  EXPECT_EQ(LoadError(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers: {name: api}
)")
                .message(),
            "deploy.yaml:7: Deployment api: spec.template.spec.containers must be a list");
  EXPECT_EQ(LoadError(Deployment("api", "[gunicorn]", "          env: {WORKERS: 3}\n")).message(),
            "deploy.yaml:13: Deployment api: container app: env must be a list");
  EXPECT_EQ(LoadError("apiVersion: v1\nkind: [ConfigMap]\n").message(), "deploy.yaml:2: kind must be a string");
  EXPECT_EQ(LoadError("apiVersion: v1\nkind: List\nitems: [1, 2]\n").message(),
            "deploy.yaml:3: List: items must be objects");
}

TEST(KubernetesImport, DocumentsWithoutKindAreSkippedWithAWarning) {
  KubernetesManifests manifests = LoadOrDie("name: not-a-manifest\n");
  EXPECT_THAT(manifests.warnings,
              ElementsAre("deploy.yaml:1: a document without apiVersion and kind is not a Kubernetes object; skipped"));
}

TEST(KubernetesImport, AKustomizationIsToBeBuiltFirst) {
  KubernetesManifests manifests = LoadOrDie(R"(apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deployment.yaml]
)");
  EXPECT_THAT(manifests.warnings,
              ElementsAre("deploy.yaml:1: a Kustomization lists manifests for kustomize to build; import what it "
                          "builds: corral expect import <(kubectl kustomize DIR)"));
}

TEST(KubernetesImport, HostileInputsEndInAnErrorOrAResultQuickly) {
  const absl::Time start = absl::Now();
  // A billion laughs: yaml-cpp shares aliased nodes, and nothing here walks
  // a structure it was not asked for.
  std::string laughs = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nl0: &l0 [lol, lol, lol, lol]\n";
  for (int i = 1; i < 30; ++i) {
    absl::StrAppend(&laughs, "l", i, ": &l", i, " [*l", i - 1, ", *l", i - 1, ", *l", i - 1, ", *l", i - 1, "]\n");
  }
  EXPECT_TRUE(LoadKubernetesManifests({{"deploy.yaml", laughs}}).ok());
  // The same through the fields that are read: a container list of aliased
  // lists is the wrong type, found at once.
  EXPECT_EQ(LoadError(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers: &c [*c, *c]
)")
                .message(),
            "deploy.yaml:7: Deployment api: spec.template.spec.containers items must be mappings");
  // A mapping that merges itself.
  KubernetesManifests merged = LoadOrDie(R"(apiVersion: apps/v1
kind: Deployment
metadata: &m {<<: *m, name: api}
spec:
  template:
    spec:
      containers: [&c {<<: [*c, *c, *c], name: api, command: [gunicorn, app:app]}]
)");
  EXPECT_THAT(merged.containers, SizeIs(1));
  // A stray comma, on which yaml-cpp 0.7's LoadAll never returns.
  EXPECT_THAT(LoadOrDie("apiVersion: v1\nkind: List\n---\n  ,kind: x\n").containers, IsEmpty());
  // Nesting past yaml-cpp's depth guard.
  EXPECT_THAT(std::string(LoadError(std::string(100000, '[')).message()), HasSubstr("deploy.yaml:1:"));
  // A $(VAR) chain that doubles at every step.
  std::string doubling = "          env:\n            - {name: V0, value: xxxxxxxxxxxxxxxx}\n";
  for (int i = 1; i < 40; ++i) {
    absl::StrAppend(&doubling, "            - {name: V", i, ", value: \"$(V", i - 1, ")$(V", i - 1, ")\"}\n");
  }
  KubernetesManifests doubled = LoadOrDie(Deployment("api", "[gunicorn, app:app]", doubling));
  // 16 bytes doubled 17 times is 2 MiB: V17 is left out, and every
  // variable built from it.
  EXPECT_THAT(WarningsContaining(doubled.warnings, "expands past 1 MiB; left out"),
              ElementsAre(HasSubstr("env V17 expands past")));
  EXPECT_THAT(WarningsContaining(doubled.warnings, "whose value the files do not tell; left out"), SizeIs(39 - 17));
  // Aliases repeating a large value past what an import may hold.
  std::string repeated =
      absl::StrCat("          env:\n            - {name: A, value: &big ", std::string(900000, 'x'), "}\n");
  for (int i = 0; i < 100; ++i) absl::StrAppend(&repeated, "            - {name: B", i, ", value: *big}\n");
  EXPECT_THAT(std::string(LoadError(Deployment("api", "[gunicorn, app:app]", repeated)).message()),
              HasSubstr("the values read add up to more than 64 MiB"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
}

TEST(KubernetesImport, SizeAndDocumentCapsAreErrorsNamingTheFile) {
  EXPECT_EQ(LoadError(std::string(kMaxManifestFileBytes + 1, '#')).message(),
            "deploy.yaml: 8388609 bytes, more than the 8 MiB a manifest file may have");
  std::string documents;
  for (size_t i = 0; i <= kMaxManifestDocuments; ++i) documents += "---\n";
  EXPECT_EQ(LoadError(documents).message(),
            "deploy.yaml: more than 10000 documents, more than a manifest file may have");
}

TEST(KubernetesImport, ContentTellsManifestsFromComposeFiles) {
  EXPECT_TRUE(LooksLikeKubernetesManifests("apiVersion: apps/v1\nkind: Deployment\n"));
  EXPECT_TRUE(LooksLikeKubernetesManifests("- apiVersion: v1\n  kind: Pod\n"));
  EXPECT_TRUE(LooksLikeKubernetesManifests(R"({"apiVersion": "v1", "kind": "List", "items": []})"));
  EXPECT_TRUE(LooksLikeKubernetesManifests("apiVersion: v1\nkind: [broken\n"));
  EXPECT_FALSE(LooksLikeKubernetesManifests("services:\n  api:\n    image: api\n    labels: {kind: web}\n"));
  EXPECT_FALSE(LooksLikeKubernetesManifests("services:\n  api:\n    command: echo apiVersion kind\n"));
}

}  // namespace
}  // namespace corral::compose
