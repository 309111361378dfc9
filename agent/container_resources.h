// Reads the resources of the cgroup a process runs in (CPU quota, cpuset,
// memory limit and usage, OOM kills, pids), cgroup v2 or v1, through the
// process's own view of the filesystem (<proc_root>/PID/root).
#ifndef CORRAL_AGENT_CONTAINER_RESOURCES_H_
#define CORRAL_AGENT_CONTAINER_RESOURCES_H_

#include <string>

#include "agent/proc_reader.h"
#include "corral/v1/snapshot.pb.h"

namespace corral::agent {

// Where a process's cgroup files live, found once at discovery.
struct CgroupLocation {
  std::string version;  // "v2", "v1" or empty
  std::string cpu_dir;
  std::string cpuset_dir;
  std::string memory_dir;
  std::string pids_dir;
};

// Finds the cgroup of `pid` and reads everything. Problems are recorded in
// the result's read_errors; nothing here fails outright.
corral::v1::ContainerResources ReadContainerResources(const ProcReader& reader, int pid, CgroupLocation* location);

// Re-reads only what changes between samples (memory usage, OOM kills,
// pids.current) for a location found before.
void RefreshResourceUsage(const ProcReader& reader, int pid, const CgroupLocation& location,
                          corral::v1::ContainerResources* resources);

// What os.cpu_count() returns inside the process: the online CPUs of
// /sys/devices/system/cpu/online as the process sees it, else the agent's
// own count (same kernel). 0 when neither is known.
int ReadPythonCpuCount(const ProcReader& reader, int pid);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_CONTAINER_RESOURCES_H_
