// Who an agent is: the container it runs in, its host, its version, and on
// Kubernetes the pod it reports (its own as a sidecar, or, with --per-pod on
// a node, the pod of each Gunicorn master it finds).
#ifndef CORRAL_AGENT_IDENTITY_H_
#define CORRAL_AGENT_IDENTITY_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/proc_reader.h"
#include "gunicorn/environ.h"

namespace corral::agent {

// A container id (64 hex digits) in /proc/self/cgroup content, as Docker,
// containerd, CRI-O and Kubernetes name their cgroups
// ("/docker/ID", "docker-ID.scope", "cri-containerd-ID.scope", ".../ID").
std::optional<std::string> ContainerIdFromCgroup(absl::string_view content);

// A container id in /proc/self/mountinfo content: Docker bind-mounts
// /etc/hostname and friends from /var/lib/docker/containers/ID/ (and
// containerd from .../sandboxes/ID/), which cgroup v2 namespaces hide.
std::optional<std::string> ContainerIdFromMountInfo(absl::string_view content);

// The instance name to use when none is given: the container id from the
// agent's own /proc/self files, else the host name.
std::string DefaultInstanceName();

std::string HostName();

// The workload a Kubernetes pod belongs to, from the name its controller
// gave it:
//   Deployment                   NAME-HASH-SUFFIX  ("api-7d9f8b6c5d-x2x9k" -> "api")
//   ReplicaSet, DaemonSet, Job   NAME-SUFFIX       ("web-x2x9k" -> "web")
//   StatefulSet                  NAME-ORDINAL      ("db-0" -> "db")
// SUFFIX is the 5 characters Kubernetes generates and HASH the
// pod-template-hash (6 to 10 of them), both drawn from its alphabet of
// consonants and the digits 2 and 4 to 9; ORDINAL is a number. Any other
// name (a bare Pod) is its own workload and comes back whole. A workload
// name long enough for Kubernetes to truncate it cannot be recovered: set
// CORRAL_SERVICE from the app.kubernetes.io/name label instead.
std::string ServiceFromPodName(absl::string_view pod);

// A pod as Corral reports it: the pod's name is the instance.
struct PodIdentity {
  std::string name;
  std::string pod_namespace;  // empty when unknown
  std::string service;
};

// What the agent could read of a process's environment.
struct EnvironmentRead {
  // nullopt when it could not be read or was erased.
  std::optional<gunicorn::Environ> environ;
  // setproctitle zeroed it (it does unless SPT_NOENV=1).
  bool erased = false;
  // Why it could not be read ("environ: permission denied").
  std::string error;
};

// Reads /proc/PID/environ through `reader`.
EnvironmentRead ReadEnvironment(const ProcReader& reader, int pid);

// The pod a Gunicorn master runs in, from its environment: the pod's name
// is CORRAL_POD_NAME when the app container carries it, else HOSTNAME
// (Kubernetes sets it to the pod's name); the namespace is
// CORRAL_POD_NAMESPACE; the service is CORRAL_SERVICE, else derived from the
// pod's name (ServiceFromPodName). When the pod cannot be told (environment
// erased, unreadable, or without a pod name), a NotFound error whose
// message says why and how to make it visible.
absl::StatusOr<PodIdentity> PodOfMaster(int pid, const EnvironmentRead& read);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_IDENTITY_H_
