#include "agent/proc_reader.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"

namespace corral::agent {

ProcReader::ProcReader(std::string proc_root) : root_(absl::StripSuffix(proc_root, "/")) {
  if (root_.empty()) root_ = "/";
}

std::string ProcReader::PidPath(int pid, absl::string_view name) const {
  return absl::StrCat(root_, "/", pid, "/", name);
}

absl::StatusOr<std::vector<int>> ProcReader::ListPids() const {
  DIR* dir = ::opendir(root_.c_str());
  if (dir == nullptr) return absl::ErrnoToStatus(errno, root_);
  std::vector<int> pids;
  while (struct dirent* entry = ::readdir(dir)) {
    const char* name = entry->d_name;
    if (name[0] < '1' || name[0] > '9') continue;
    int pid = 0;
    if (absl::SimpleAtoi(name, &pid) && pid > 0) pids.push_back(pid);
  }
  ::closedir(dir);
  return pids;
}

absl::StatusOr<std::string> ProcReader::ReadPidFile(int pid, absl::string_view name, size_t max_bytes) const {
  return ReadFileToString(PidPath(pid, name), max_bytes);
}

absl::StatusOr<std::string> ProcReader::ReadRootFile(absl::string_view name) const {
  return ReadFileToString(absl::StrCat(root_, "/", name));
}

absl::StatusOr<std::string> ProcReader::ReadPidLink(int pid, absl::string_view name) const {
  return ReadSymlink(PidPath(pid, name));
}

std::string ProcReader::PathAsProcess(int pid, const std::string& path) const {
  return absl::StrCat(PidPath(pid, "root"), absl::StartsWith(path, "/") ? "" : "/", path);
}

namespace {

bool SameVersion(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

}  // namespace

absl::StatusOr<MasterFile> ProcReader::ReadAsProcess(int pid, const std::string& path, size_t max_bytes) const {
  std::string full = PathAsProcess(pid, path);
  // A file rewritten or replaced while it is read would give a mix of two
  // versions, or an empty one, read as real settings: the read counts only
  // when the file is the same before and after it.
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    // A FIFO put where a configuration file is expected is refused, not
    // waited on: it would hold the scan of every instance on the host.
    absl::StatusOr<RegularFile> read = ReadRegularFile(full, path, max_bytes);
    if (!read.ok()) return read.status();
    const struct stat& before = read->opened;
    if (!read->generated) {  // a kernel file is made whole for each read
      struct stat after;
      if (::stat(full.c_str(), &after) != 0) continue;  // replaced: look again
      bool whole = static_cast<off_t>(read->content.size()) == after.st_size;
      if (!SameVersion(before, after) || !whole) continue;
    }
    MasterFile file;
    file.content = std::move(read->content);
    file.mtime_unix_ms = static_cast<int64_t>(before.st_mtim.tv_sec) * 1000 + before.st_mtim.tv_nsec / 1000000;
    return file;
  }
  return absl::UnavailableError(absl::StrCat(path, ": changed while being read (", kAttempts, " attempts)"));
}

bool IsHeartbeatFile(absl::string_view target) {
  size_t slash = target.rfind('/');
  absl::string_view base = slash == absl::string_view::npos ? target : target.substr(slash + 1);
  return absl::StartsWith(base, "wgunicorn-");
}

std::string ReadErrorText(absl::string_view what, const absl::Status& status) {
  std::string kind = absl::IsPermissionDenied(status) ? "permission denied"
                     : absl::IsNotFound(status)       ? "vanished"
                                                      : std::string(status.message());
  return absl::StrCat(what, ": ", kind);
}

absl::StatusOr<std::vector<OpenFile>> ProcReader::ListOpenFiles(int pid) const {
  std::string fd_dir = PidPath(pid, "fd");
  DIR* dir = ::opendir(fd_dir.c_str());
  if (dir == nullptr) return absl::ErrnoToStatus(errno, fd_dir);
  std::vector<OpenFile> files;
  while (struct dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::string fd_path = absl::StrCat(fd_dir, "/", entry->d_name);
    absl::StatusOr<std::string> target = ReadSymlink(fd_path);
    if (!target.ok()) {
      // Another user's process without ptrace rights: the directory lists,
      // but no link reads. That is not an empty fd table.
      if (absl::IsPermissionDenied(target.status())) {
        ::closedir(dir);
        return target.status();
      }
      continue;  // closed between readdir and readlink
    }
    files.push_back({std::move(fd_path), *std::move(target)});
  }
  ::closedir(dir);
  return files;
}

absl::StatusOr<std::vector<WorkerTmpFile>> ProcReader::FindWorkerTmpFiles(int pid) const {
  absl::StatusOr<std::vector<OpenFile>> open = ListOpenFiles(pid);
  if (!open.ok()) return open.status();
  std::vector<WorkerTmpFile> files;
  for (OpenFile& file : *open) {
    if (IsHeartbeatFile(file.target)) files.push_back(std::move(file));
  }
  return files;
}

bool ProcReader::IsFileAsProcess(int pid, const std::string& path) const {
  struct stat st;
  return ::stat(PathAsProcess(pid, path).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool ProcReader::IsDirAsProcess(int pid, const std::string& path) const {
  struct stat st;
  return ::stat(PathAsProcess(pid, path).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

absl::StatusOr<std::vector<std::string>> ProcReader::ListDirAsProcess(int pid, const std::string& path) const {
  std::string full = PathAsProcess(pid, path);
  DIR* dir = ::opendir(full.c_str());
  if (dir == nullptr) return absl::ErrnoToStatus(errno, path);
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.' && (entry->d_name[1] == 0 || (entry->d_name[1] == '.' && entry->d_name[2] == 0))) {
      continue;
    }
    names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  return names;
}

absl::StatusOr<double> ProcReader::CtimeSeconds(const std::string& path) const {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::ErrnoToStatus(errno, path);
  return static_cast<double>(st.st_ctim.tv_sec) + static_cast<double>(st.st_ctim.tv_nsec) / 1e9;
}

}  // namespace corral::agent
