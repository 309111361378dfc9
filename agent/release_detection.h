// Which Gunicorn release a master runs, read from the files under the
// master's own root (gunicorn/version.h has the rules; this is the I/O).
#ifndef CORRAL_AGENT_RELEASE_DETECTION_H_
#define CORRAL_AGENT_RELEASE_DETECTION_H_

#include <optional>
#include <string>
#include <vector>

#include "agent/proc_reader.h"
#include "gunicorn/command.h"
#include "gunicorn/environ.h"
#include "gunicorn/version.h"

namespace corral::agent {

// Reads /proc/PID/exe and /proc/PID/maps of master `pid` and looks for the
// gunicorn package on its interpreter's search path, through its root.
// `argv`, `environ` and `cwd` are what discovery already read (argv empty
// and environ nullopt when erased or unreadable).
gunicorn::DetectedRelease DetectMasterRelease(const ProcReader& reader, int pid,
                                              const gunicorn::GunicornCommand& command,
                                              const std::vector<std::string>& argv,
                                              const std::optional<gunicorn::Environ>& environ,
                                              const std::string& environ_unknown_reason, const std::string& cwd);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_RELEASE_DETECTION_H_
