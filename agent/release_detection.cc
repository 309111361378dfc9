#include "agent/release_detection.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "agent/procfs.h"

namespace corral::agent {

gunicorn::DetectedRelease DetectMasterRelease(const ProcReader& reader, int pid,
                                              const gunicorn::GunicornCommand& command,
                                              const std::vector<std::string>& argv,
                                              const std::optional<gunicorn::Environ>& environ,
                                              const std::string& environ_unknown_reason, const std::string& cwd) {
  gunicorn::InterpreterFacts facts;
  if (!command.is_title()) facts.argv = argv;
  facts.launcher = command.launcher;
  facts.environ = environ;
  facts.environ_unknown_reason = environ_unknown_reason;
  facts.start_dir = cwd;
  absl::StatusOr<std::string> exe = reader.ReadPidLink(pid, "exe");
  // A replaced interpreter reads "/usr/bin/python3.11 (deleted)".
  if (exe.ok()) facts.exe = std::string(absl::StripSuffix(*exe, " (deleted)"));
  absl::StatusOr<std::string> maps = reader.ReadPidFile(pid, "maps", 4 << 20);
  if (maps.ok()) {
    for (std::string& path : ParseMapsPaths(*maps)) {
      // Only C extensions tell where site directories are.
      if (absl::StrContains(path, "-packages/")) facts.mapped_files.push_back(std::move(path));
    }
  }
  gunicorn::MasterFiles files;
  files.is_file = [&reader, pid](const std::string& path) { return reader.IsFileAsProcess(pid, path); };
  files.is_dir = [&reader, pid](const std::string& path) { return reader.IsDirAsProcess(pid, path); };
  files.list_dir = [&reader, pid](const std::string& path) { return reader.ListDirAsProcess(pid, path); };
  files.read_file = [&reader, pid](const std::string& path) -> absl::StatusOr<std::string> {
    absl::StatusOr<MasterFile> file = reader.ReadAsProcess(pid, path, 256 * 1024);
    if (!file.ok()) return file.status();
    return std::move(file->content);
  };
  return gunicorn::DetectRelease(facts, files);
}

}  // namespace corral::agent
