// The agent's side of Corral's exact-config hook (agent/gunicorn/corral_hook.py).
// A Gunicorn master that enables the hook publishes its own resolved settings
// in <hook dir>/gunicorn-<master pid>.json; see the module's docstring for the
// format. This file parses such a report, decides whether it describes a
// given master, and merges it into that master's reconstructed settings.
//
// Parsing and merging are pure; ReadHookFile and HookFileStamp are the only
// I/O. A report never crashes the agent: whatever is wrong with it comes back
// as a status saying why.
#ifndef CORRAL_AGENT_HOOK_READER_H_
#define CORRAL_AGENT_HOOK_READER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "corral/v1/snapshot.pb.h"

namespace corral::agent {

// A hook file larger than this is refused unread.
inline constexpr size_t kMaxHookFileBytes = 1 << 20;

// The format version this agent understands.
inline constexpr int kHookReportVersion = 1;

// The last worker-lifecycle event the master saw.
struct HookEvent {
  std::string name;  // post_fork, child_exit, nworkers_changed, reload
  double unix_seconds = 0;
  // The event's integer and boolean fields (worker_pid, new_value,
  // old_value, worker_age; aborted as 0 or 1). Null fields are left out.
  std::map<std::string, int64_t> fields;
};

// One hook file.
struct HookReport {
  int version = 0;
  // The master's pid as Gunicorn saw it.
  int pid = 0;
  // When the master process started, and when the file was written
  // (written_at is 0 when absent).
  double started_at_unix = 0;
  double written_at_unix = 0;
  std::string gunicorn_version;
  // The application Gunicorn loads; empty when Gunicorn had none to report.
  std::string app_uri;
  // The worker Gunicorn runs ("gthread" for sync with threads > 1) and its
  // class; empty when absent.
  std::string worker_class;
  std::string worker_class_path;
  // The master's current worker target (TTIN/TTOU move it away from the
  // workers setting).
  std::optional<int64_t> num_workers;
  std::vector<std::string> listeners;
  // Every Gunicorn setting, rendered as snapshots render values.
  std::map<std::string, std::string> settings;
  // Bounded lifecycle counters: post_fork, child_exit, worker_abort,
  // nworkers_changed, reload.
  std::map<std::string, int64_t> events;
  std::optional<HookEvent> last_event;
};

// Parses a hook file. Required: "version" (must be kHookReportVersion),
// "pid" (a positive integer), "started_at_unix" (a number) and "settings"
// (an object of strings: at most 400 entries, names up to 128 bytes, values
// up to 16 KiB, 256 KiB in all, so that snapshots carrying them stay within
// what the server accepts). The other fields are optional but must have the
// documented type when present (app_uri up to 16 KiB, other strings up to
// 1 KiB, at most 16 listeners); unknown fields are ignored. InvalidArgument
// says what is wrong and where.
absl::StatusOr<HookReport> ParseHookReport(absl::string_view json);

// <dir>/gunicorn-<pid>.json.
std::string HookFilePath(absl::string_view dir, int pid);

// What identifies one version of a hook file. The hook replaces the file by
// renaming a new one over it, so a rewrite changes the inode even when the
// coarse kernel timestamp does not move.
struct HookFileStamp {
  absl::Time mtime;
  uint64_t inode = 0;
  int64_t size = 0;
  bool operator==(const HookFileStamp& other) const {
    return mtime == other.mtime && inode == other.inode && size == other.size;
  }
  bool operator!=(const HookFileStamp& other) const { return !(*this == other); }
};

// stat() of `path`: NotFound when there is no file, PermissionDenied, ...
absl::StatusOr<HookFileStamp> StatHookFile(const std::string& path);

// The file's content; ResourceExhausted when it exceeds kMaxHookFileBytes.
absl::StatusOr<std::string> ReadHookFile(const std::string& path);

// Whether `report`, read from a file last modified at `file_mtime`,
// describes the master `pid` that started at `master_start` (InfinitePast
// when the agent does not know). InvalidArgument when the report names
// another pid; FailedPrecondition when the file or the process it describes
// predates the master, i.e. it was left behind by an earlier master that had
// the same pid. A second of slack absorbs the clocks' rounding.
absl::Status MatchHookReport(const HookReport& report, int pid, absl::Time file_mtime, absl::Time master_start);

// Makes the hook's values `instance`'s effective settings, source "hook":
// every reported setting, app_uri (when the hook has one) and worker_class
// as Gunicorn runs it. Where the reconstruction already knew a different
// value, the hook's value wins and a HOOK_DISAGREES warning names the
// setting, both values and the reconstruction's source. SETTINGS_UNKNOWABLE
// is dropped once no setting is left unknown.
void ApplyHookReport(const HookReport& report, corral::v1::GunicornInstance& instance);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_HOOK_READER_H_
