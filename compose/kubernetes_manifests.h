// Reads Kubernetes manifests -- the multi-document YAML a repository keeps
// under deploy/, or that `kubectl get -o yaml`, `helm template` and
// `kustomize build` print -- and says what each workload whose container
// runs Gunicorn declares about it: the argv, the environment, the replica
// count, each value with the file and line that declared it. The result is
// a DeclaredService per Gunicorn container, so the expectations come from the
// same builder (compose/declared_expectations.h) and the same Gunicorn loader
// as a compose project's.
//
// Pure logic over file contents: tests feed literal strings. What is not
// interpreted is named in a warning, never dropped silently.
#ifndef CORRAL_COMPOSE_KUBERNETES_MANIFESTS_H_
#define CORRAL_COMPOSE_KUBERNETES_MANIFESTS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "compose/compose_file.h"
#include "compose/declared_expectations.h"

namespace corral::compose {

// Caps on what one import reads. Past them the import is refused with an
// error naming the file, so a hostile or mistaken input costs seconds, not
// the machine.
inline constexpr size_t kMaxManifestFileBytes = size_t{8} << 20;
inline constexpr size_t kMaxManifestDocuments = 10000;
// An environment value or argument after $(VAR) expansion; one that would
// grow past this is not used (a warning names it).
inline constexpr size_t kMaxExpandedValueBytes = size_t{1} << 20;
// What the values read add up to, counting each time an anchor or a $(VAR)
// repeats one, plus 1 KiB per container: what stops a small file of
// aliases from filling memory.
inline constexpr size_t kMaxManifestValueBytes = size_t{64} << 20;

struct ManifestFile {
  // As origins show it: "deploy/api.yaml", "stdin".
  std::string path;
  std::string content;
};

// A container that runs Gunicorn, and the workload it belongs to.
struct KubernetesContainer {
  // "Deployment api-backend", or "Deployment shop/api-backend" when the
  // manifest names a namespace.
  std::string workload;
  std::string container;
  // `declared.name` is the service the agent reports the pod under: the pod
  // template's app.kubernetes.io/name label, else the workload's
  // metadata.name. `declared.replicas` is the workload's. Everything is
  // declared_by "compose": the deployment's own declaration, as opposed to a
  // Dockerfile's (the image's CMD does not decide a command the manifest
  // gives).
  DeclaredService declared;
};

struct KubernetesManifests {
  std::vector<std::string> files;
  // Every container that runs Gunicorn, in the order the files declare them
  // (a pod's containers, then its initContainers).
  std::vector<KubernetesContainer> containers;
  // Each names the file:line and what was not interpreted.
  std::vector<std::string> warnings;
};

// Reads the workloads of `files` as `kubectl apply -f` would take them:
// documents separated by `---` (null documents and comments skipped), and
// the items of a List. Deployment, StatefulSet, DaemonSet and ReplicaSet
// (apps/v1) and Pod (v1) are read; other kinds add nothing (ConfigMaps are
// read when a container refers to them, HorizontalPodAutoscalers and KEDA
// ScaledObjects when they target a workload). A Pod or ReplicaSet owned by
// an object in the files (ownerReferences) is its owner's and is not read
// again; an object declared twice (same kind, namespace and name) is the
// later one, as `kubectl apply` leaves it. A Kustomization is named in a
// warning: what it builds is what to import.
//
// Kubernetes semantics followed, per container:
//  - `command` replaces the image's ENTRYPOINT and `args` its CMD. Only
//    `args`: the image's ENTRYPOINT runs them; it is not known, so the args
//    are taken as the command when they start Gunicorn themselves (an
//    entrypoint that execs "$@"), and otherwise the command is unknown.
//    Neither: the image decides, and the command is unknown;
//  - the environment: `envFrom` in order (configMapRef with its `prefix`),
//    then `env` in order (`value`, or valueFrom.configMapKeyRef), later ones
//    winning. The ConfigMap must be one of the files' (in the workload's
//    namespace when both name one). secretRef, secretKeyRef, fieldRef,
//    resourceFieldRef and ConfigMaps the files do not hold are warned about
//    and their variables left out;
//  - $(VAR) in `env` values (variables defined above) and in command and
//    args (the whole environment) is expanded as the kubelet does: $$ is a
//    literal $, a variable the container does not define stays as written.
//    A variable that is left out, one a Service may define (NAME_SERVICE_HOST,
//    NAME_SERVICE_PORT..., NAME_PORT...), or any undefined one when an envFrom
//    source is not read, makes what uses it unknown;
//  - replicas: spec.replicas, default 1; a Pod is 1; a DaemonSet, or a
//    workload an autoscaler targets, has no replica count.
// Containers whose command does not run Gunicorn (found as
// FindGunicornInvocation finds it: directly, behind wrappers, in
// `sh -c "exec gunicorn ..."`) add nothing; a workload none of whose
// containers is known to run Gunicorn is named in a warning when the command
// of one of them is unknown.
//
// Errors (InvalidArgument naming "file:line"): YAML that does not parse, a
// document or field of the wrong type (a list where a mapping belongs, a
// replica count that is not a number, ...), a file past
// kMaxManifestFileBytes or kMaxManifestDocuments, values past
// kMaxManifestValueBytes.
absl::StatusOr<KubernetesManifests> LoadKubernetesManifests(const std::vector<ManifestFile>& files);

// Whether `content` reads as Kubernetes manifests rather than a compose
// file: it has both an `apiVersion` and a `kind` key (YAML or JSON). A cheap
// test on the text, so a manifest with a syntax error is still recognised
// and its error reported by LoadKubernetesManifests.
bool LooksLikeKubernetesManifests(absl::string_view content);

// The expectations of each service the containers are reported under,
// ordered by service name, built by ExpectationsFromDeclaration.
//
// Several containers reported under one service -- a pod with two Gunicorn
// containers, or workloads that share an app.kubernetes.io/name label --
// cannot each have their own expectations: the agent reports every Gunicorn
// of a pod under the pod's service. Their service expects what all of them
// declare alike (same key, same value), and a warning names the containers
// and the keys left out. Its replicas are the sum of its workloads' when each
// has a count.
std::vector<ImportedExpectations> ExpectationsFromKubernetes(const KubernetesManifests& manifests);

}  // namespace corral::compose

#endif  // CORRAL_COMPOSE_KUBERNETES_MANIFESTS_H_
