// The agent's only door to /proc: reads files of a proc root (the real
// /proc, a host /proc mounted elsewhere, or a fixture tree in tests).
// Errors keep errno's class: NotFound means the process vanished (skip it
// quietly), PermissionDenied means a partial record that says so.
#ifndef CORRAL_AGENT_PROC_READER_H_
#define CORRAL_AGENT_PROC_READER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gunicorn/config_loader.h"

namespace corral::agent {

using gunicorn::MasterFile;

// One open file descriptor of a process.
struct OpenFile {
  std::string fd_path;  // <proc_root>/PID/fd/N
  std::string target;   // "/tmp/wgunicorn-abc123 (deleted)", "socket:[123]"
};

// A worker's heartbeat file as seen through its fd table.
using WorkerTmpFile = OpenFile;

// Whether an fd target is a Gunicorn heartbeat file (wgunicorn-*).
bool IsHeartbeatFile(absl::string_view target);

// A failed read as a partial record names it: "environ: permission denied",
// "cmdline: vanished", else the error's own message.
std::string ReadErrorText(absl::string_view what, const absl::Status& status);

class ProcReader {
 public:
  explicit ProcReader(std::string proc_root);

  const std::string& root() const { return root_; }

  // Numeric entries of the proc root, in directory order.
  absl::StatusOr<std::vector<int>> ListPids() const;

  // <root>/<pid>/<name>, read to EOF.
  absl::StatusOr<std::string> ReadPidFile(int pid, absl::string_view name, size_t max_bytes = 1 << 20) const;
  // <root>/<name> (uptime, stat, ...).
  absl::StatusOr<std::string> ReadRootFile(absl::string_view name) const;
  // Target of <root>/<pid>/<name> (cwd, exe).
  absl::StatusOr<std::string> ReadPidLink(int pid, absl::string_view name) const;
  // An absolute path as process `pid` sees it, through <root>/<pid>/root.
  absl::StatusOr<MasterFile> ReadAsProcess(int pid, const std::string& path, size_t max_bytes = 1 << 20) const;
  // The path <root>/<pid>/root/<path>, for callers that stat or list it.
  std::string PathAsProcess(int pid, const std::string& path) const;

  // Every open fd of process `pid`. Unreadable fd tables return the error
  // (PermissionDenied for another user's process).
  absl::StatusOr<std::vector<OpenFile>> ListOpenFiles(int pid) const;

  // The wgunicorn-* temp files process `pid` holds open.
  absl::StatusOr<std::vector<WorkerTmpFile>> FindWorkerTmpFiles(int pid) const;

  // What process `pid` sees at an absolute path (through <root>/<pid>/root).
  bool IsFileAsProcess(int pid, const std::string& path) const;
  bool IsDirAsProcess(int pid, const std::string& path) const;
  // Entry names of a directory as process `pid` sees it.
  absl::StatusOr<std::vector<std::string>> ListDirAsProcess(int pid, const std::string& path) const;

  // st_ctime of a path (follows /proc/PID/fd/N to the open file), in
  // seconds since the epoch with sub-second precision.
  absl::StatusOr<double> CtimeSeconds(const std::string& path) const;

 private:
  std::string PidPath(int pid, absl::string_view name) const;

  std::string root_;
};

}  // namespace corral::agent

#endif  // CORRAL_AGENT_PROC_READER_H_
