#include "agent/procfs.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace corral::agent {
namespace {

absl::Status Malformed(absl::string_view file, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed ", file, ": ", why));
}

}  // namespace

namespace {

// Parses a decimal field without allocating; fields are separated by single
// spaces in /proc/PID/stat. Accepts a leading '-' for signed fields.
template <typename T>
bool ParseField(absl::string_view text, T* out) {
  using Unsigned = std::make_unsigned_t<T>;
  if (text.empty()) return false;
  bool negative = text[0] == '-';
  if (negative && !std::is_signed<T>::value) return false;
  if (negative) text.remove_prefix(1);
  if (text.empty()) return false;
  // A number beyond T is not what the kernel writes: refused, not wrapped.
  Unsigned limit = static_cast<Unsigned>(std::numeric_limits<T>::max()) + (negative ? 1 : 0);
  Unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    Unsigned digit = static_cast<Unsigned>(c - '0');
    if (value > (limit - digit) / 10) return false;
    value = static_cast<Unsigned>(value * 10 + digit);
  }
  *out = negative ? static_cast<T>(Unsigned{0} - value) : static_cast<T>(value);
  return true;
}

}  // namespace

absl::StatusOr<ProcStat> ParseStat(absl::string_view content, int expected_pid) {
  size_t open = content.find('(');
  size_t close = content.rfind(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open) {
    return Malformed("stat", "no '(comm)' field");
  }
  ProcStat stat;
  if (!ParseField(absl::StripAsciiWhitespace(content.substr(0, open)), &stat.pid) || stat.pid <= 0) {
    return Malformed("stat", "bad pid field");
  }
  if (expected_pid > 0 && stat.pid != expected_pid) {
    return Malformed("stat", absl::StrCat("names pid ", stat.pid, ", not ", expected_pid));
  }
  stat.comm = std::string(content.substr(open + 1, close - open - 1));
  // Fields 3..24 of proc(5) follow the last ')': state is field 3, rss 24.
  constexpr int kLastField = 24;
  absl::string_view fields[kLastField + 1];
  absl::string_view rest = content.substr(close + 1);
  int number = 3;
  size_t pos = 0;
  while (number <= kLastField) {
    while (pos < rest.size() && (rest[pos] == ' ' || rest[pos] == '\n')) ++pos;
    if (pos >= rest.size()) break;
    size_t end = pos;
    while (end < rest.size() && rest[end] != ' ' && rest[end] != '\n') ++end;
    fields[number++] = rest.substr(pos, end - pos);
    pos = end;
  }
  if (number <= kLastField) {
    return Malformed("stat",
                     absl::StrCat("expected at least ", kLastField - 2, " fields after comm, got ", number - 3));
  }
  if (fields[3].size() != 1) return Malformed("stat", "bad state field");
  stat.state = fields[3][0];
  if (!ParseField(fields[4], &stat.ppid) || stat.ppid < 0) return Malformed("stat", "bad ppid field");
  if (!ParseField(fields[14], &stat.utime_ticks) || !ParseField(fields[15], &stat.stime_ticks)) {
    return Malformed("stat", "bad utime/stime fields");
  }
  if (!ParseField(fields[20], &stat.num_threads)) return Malformed("stat", "bad num_threads field");
  if (!ParseField(fields[22], &stat.start_ticks)) return Malformed("stat", "bad starttime field");
  if (!ParseField(fields[24], &stat.rss_pages)) return Malformed("stat", "bad rss field");
  return stat;
}

absl::StatusOr<ProcStatus> ParseStatus(absl::string_view content) {
  ProcStatus status;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view key = line.substr(0, colon);
    std::vector<absl::string_view> values =
        absl::StrSplit(line.substr(colon + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (key == "Uid" || key == "Gid") {
      uint32_t real = 0;
      uint32_t effective = 0;
      if (values.size() < 2 || !absl::SimpleAtoi(values[0], &real) || !absl::SimpleAtoi(values[1], &effective)) {
        return Malformed("status", absl::StrCat("bad ", key, " line"));
      }
      (key == "Uid" ? status.real_uid : status.real_gid) = real;
      (key == "Uid" ? status.effective_uid : status.effective_gid) = effective;
    } else if (key == "VmRSS") {
      int64_t kb = 0;
      if (!values.empty() && absl::SimpleAtoi(values[0], &kb)) status.vm_rss_kb = kb;
    } else if (key == "NSpid") {
      for (absl::string_view v : values) {
        int pid = 0;
        if (!absl::SimpleAtoi(v, &pid)) return Malformed("status", "bad NSpid line");
        status.ns_pids.push_back(pid);
      }
    }
  }
  return status;
}

std::vector<std::string> ParseCmdline(absl::string_view content) {
  std::vector<std::string> argv = absl::StrSplit(content, '\0');
  while (!argv.empty() && argv.back().empty()) argv.pop_back();
  return argv;
}

gunicorn::Environ ParseEnviron(absl::string_view content) {
  std::vector<std::pair<std::string, std::string>> environ;
  for (absl::string_view entry : absl::StrSplit(content, '\0', absl::SkipEmpty())) {
    size_t eq = entry.find('=');
    if (eq == absl::string_view::npos || eq == 0) continue;
    environ.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return environ;
}

bool IsZeroedEnviron(absl::string_view content) {
  return !content.empty() && content.find_first_not_of('\0') == absl::string_view::npos;
}

absl::StatusOr<std::vector<int>> ParseChildren(absl::string_view content) {
  std::vector<int> pids;
  for (absl::string_view token : absl::StrSplit(content, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    int pid = 0;
    if (!absl::SimpleAtoi(token, &pid) || pid <= 0) return Malformed("children", absl::StrCat("bad pid '", token, "'"));
    pids.push_back(pid);
  }
  return pids;
}

absl::StatusOr<double> ParseUptime(absl::string_view content) {
  std::vector<absl::string_view> fields = absl::StrSplit(content, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  double seconds = 0;
  if (fields.empty() || !absl::SimpleAtod(fields[0], &seconds) || !std::isfinite(seconds) || seconds < 0) {
    return Malformed("uptime", "expected seconds since boot");
  }
  return seconds;
}

absl::StatusOr<int> CountCpuList(absl::string_view content) {
  absl::string_view list = absl::StripAsciiWhitespace(content);
  if (list.empty()) return Malformed("cpu list", "empty");
  int count = 0;
  for (absl::string_view range : absl::StrSplit(list, ',')) {
    std::pair<absl::string_view, absl::string_view> ends = absl::StrSplit(range, absl::MaxSplits('-', 1));
    int first = 0;
    int last = 0;
    if (!absl::SimpleAtoi(ends.first, &first) || first < 0) return Malformed("cpu list", absl::StrCat("'", range, "'"));
    last = first;
    if (!ends.second.empty() && (!absl::SimpleAtoi(ends.second, &last) || last < first)) {
      return Malformed("cpu list", absl::StrCat("'", range, "'"));
    }
    if (last - first > 65536) return Malformed("cpu list", "range too large");
    count += last - first + 1;
  }
  return count;
}

std::vector<std::string> ParseMapsPaths(absl::string_view content) {
  std::vector<std::string> paths;
  absl::flat_hash_set<absl::string_view> seen;
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipEmpty())) {
    // address perms offset dev inode [path]: the path starts at the first
    // '/' after the five fields and may hold spaces.
    size_t slash = line.find('/');
    if (slash == absl::string_view::npos) continue;
    absl::string_view path = line.substr(slash);
    if (seen.insert(path).second) paths.emplace_back(path);
  }
  return paths;
}

std::vector<UnixSocketEntry> ParseUnixSockets(absl::string_view content) {
  std::vector<UnixSocketEntry> sockets;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipEmpty())) {
    if (header) {
      header = false;
      if (absl::StartsWith(line, "Num")) continue;
    }
    // Num RefCount Protocol Flags Type St Inode [Path]
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 7) continue;
    UnixSocketEntry entry;
    uint32_t flags = 0;
    if (!absl::SimpleHexAtoi(fields[3], &flags) || !absl::SimpleAtoi(fields[6], &entry.inode)) continue;
    entry.listening = (flags & 0x10000) != 0;
    if (fields.size() >= 8) {
      // The path is the rest of the line: it may hold spaces.
      entry.path = std::string(line.substr(static_cast<size_t>(fields[7].data() - line.data())));
    }
    sockets.push_back(std::move(entry));
  }
  return sockets;
}

std::optional<uint64_t> SocketInode(absl::string_view fd_target) {
  if (!absl::ConsumePrefix(&fd_target, "socket:[") || !absl::ConsumeSuffix(&fd_target, "]")) return std::nullopt;
  uint64_t inode = 0;
  if (!absl::SimpleAtoi(fd_target, &inode)) return std::nullopt;
  return inode;
}

}  // namespace corral::agent
