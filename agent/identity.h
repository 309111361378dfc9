// Who an agent is: the container it runs in, its host, its version.
#ifndef CORRAL_AGENT_IDENTITY_H_
#define CORRAL_AGENT_IDENTITY_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

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

}  // namespace corral::agent

#endif  // CORRAL_AGENT_IDENTITY_H_
