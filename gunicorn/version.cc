#include "gunicorn/version.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/path_util.h"

namespace corral::gunicorn {
namespace {

std::optional<std::string> Lookup(const std::optional<Environ>& environ, absl::string_view name) {
  if (!environ) return std::nullopt;
  for (const auto& [key, value] : *environ) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// "python3.11" -> "3.11"; "python3" -> "".
std::string VersionFromName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "python")) return "";
  if (name.size() < 3 || name.find('.') == absl::string_view::npos) return "";
  for (char c : name) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') return "";
  }
  return std::string(name);
}

// The X.Y of the interpreter: from its file name, else the one
// pythonX.Y directory under the prefix's lib/.
std::string PythonVersion(const std::string& exe, const std::string& prefix, const MasterFiles& files) {
  std::string from_name = VersionFromName(Basename(exe));
  if (!from_name.empty()) return from_name;
  if (!files.list_dir) return "";
  absl::StatusOr<std::vector<std::string>> entries = files.list_dir(JoinPath(prefix, "lib"));
  if (!entries.ok()) return "";
  std::string found;
  for (const std::string& entry : *entries) {
    std::string v = VersionFromName(entry);
    if (v.empty()) continue;
    if (!found.empty() && found != v) return "";  // several: cannot tell
    found = v;
  }
  return found;
}

// Where a mapped C extension says a site directory is: everything up to and
// including ".../site-packages" or ".../dist-packages".
std::string SiteDirOf(absl::string_view mapped) {
  for (absl::string_view marker : {"/site-packages/", "/dist-packages/"}) {
    size_t at = mapped.find(marker);
    if (at != absl::string_view::npos) return std::string(mapped.substr(0, at + marker.size() - 1));
  }
  return "";
}

void AddUnique(std::vector<std::string>& path, std::string dir) {
  if (dir.empty()) return;
  if (std::find(path.begin(), path.end(), dir) == path.end()) path.push_back(std::move(dir));
}

// The interpreter as argv names it: argv[0] for the python launchers (the
// shebang's interpreter for a script), which may be a virtualenv's
// bin/python that /proc/PID/exe resolves away.
std::string ArgvInterpreter(const InterpreterFacts& facts) {
  if (facts.argv.empty()) return "";
  if (facts.launcher == "python script" || facts.launcher == "python -m gunicorn") return facts.argv[0];
  return "";
}

}  // namespace

std::vector<std::string> SearchPath(const InterpreterFacts& facts, const MasterFiles& files) {
  std::vector<std::string> path;
  // 1. sys.path[0].
  if (facts.launcher == "python -m gunicorn") {
    AddUnique(path, facts.start_dir);
  } else if (facts.launcher == "python script" && facts.argv.size() > 1) {
    for (size_t i = 1; i < facts.argv.size(); ++i) {
      if (absl::StartsWith(facts.argv[i], "-")) continue;
      AddUnique(path, Dirname(JoinPath(facts.start_dir, facts.argv[i])));
      break;
    }
  } else if (facts.launcher == "gunicorn" && !facts.argv.empty()) {
    AddUnique(path, Dirname(JoinPath(facts.start_dir, facts.argv[0])));
  }
  // 2. PYTHONPATH.
  if (std::optional<std::string> pythonpath = Lookup(facts.environ, "PYTHONPATH")) {
    for (absl::string_view entry : absl::StrSplit(*pythonpath, ':', absl::SkipEmpty())) {
      AddUnique(path, std::string(absl::StripSuffix(JoinPath(facts.start_dir, entry), "/")));
    }
  }
  // 3. Site directories: a virtualenv named by argv first, then those
  // loaded C extensions come from, then the interpreter's prefix.
  std::string interpreter = ArgvInterpreter(facts);
  std::vector<std::string> prefixes;
  std::string python_version = PythonVersion(facts.exe, Dirname(Dirname(facts.exe)), files);
  if (!interpreter.empty() && absl::StrContains(interpreter, "/")) {
    std::string venv = Dirname(Dirname(JoinPath(facts.start_dir, interpreter)));
    if (files.is_file && files.is_file(JoinPath(venv, "pyvenv.cfg"))) {
      std::string v = python_version.empty() ? PythonVersion(interpreter, venv, files) : python_version;
      if (!v.empty()) AddUnique(path, absl::StrCat(venv, "/lib/python", v, "/site-packages"));
    }
  }
  for (const std::string& mapped : facts.mapped_files) AddUnique(path, SiteDirOf(mapped));
  std::string prefix = Dirname(Dirname(facts.exe));
  if (!python_version.empty() && !prefix.empty()) {
    if (prefix == "/usr") {
      // Debian's layout (site.py patched): local first, then the packages.
      AddUnique(path, absl::StrCat("/usr/local/lib/python", python_version, "/dist-packages"));
      AddUnique(path, "/usr/lib/python3/dist-packages");
      AddUnique(path, absl::StrCat("/usr/lib/python", python_version, "/dist-packages"));
    }
    AddUnique(path, absl::StrCat(prefix, "/lib/python", python_version, "/site-packages"));
  }
  // 4. The user site.
  if (std::optional<std::string> home = Lookup(facts.environ, "HOME"); home && !python_version.empty()) {
    AddUnique(path, absl::StrCat(*home, "/.local/lib/python", python_version, "/site-packages"));
  }
  return path;
}

std::optional<Release> ReleaseFromInitPy(absl::string_view content, std::string* text) {
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "version_info")) {
      line = absl::StripLeadingAsciiWhitespace(line);
      if (!absl::ConsumePrefix(&line, "=")) continue;
      line = absl::StripAsciiWhitespace(line);
      if (!absl::ConsumePrefix(&line, "(") || !absl::ConsumeSuffix(&line, ")")) continue;
      std::vector<std::string> numbers;
      for (absl::string_view part : absl::StrSplit(line, ',', absl::SkipWhitespace())) {
        part = absl::StripAsciiWhitespace(part);
        int n = 0;
        if (!absl::SimpleAtoi(part, &n)) break;
        numbers.push_back(std::string(part));
        if (numbers.size() == 3) break;
      }
      if (numbers.size() < 2) continue;
      std::string joined = absl::StrJoin(numbers, ".");
      std::optional<Release> release = ParseRelease(joined);
      if (release && text != nullptr) *text = joined;
      if (release) return release;
    }
    if (absl::ConsumePrefix(&line, "__version__")) {
      line = absl::StripLeadingAsciiWhitespace(line);
      if (!absl::ConsumePrefix(&line, "=")) continue;
      line = absl::StripAsciiWhitespace(line);
      if (line.size() < 2 || (line.front() != '"' && line.front() != '\'') || line.back() != line.front()) continue;
      absl::string_view quoted = line.substr(1, line.size() - 2);
      std::optional<Release> release = ParseRelease(quoted);
      if (release && text != nullptr) *text = std::string(quoted);
      if (release) return release;
    }
  }
  return std::nullopt;
}

std::optional<Release> ReleaseFromMetadata(absl::string_view content, std::string* text) {
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    if (line.empty() || line == "\r") break;  // the headers end at the first blank line
    if (!absl::ConsumePrefix(&line, "Version:")) continue;
    line = absl::StripAsciiWhitespace(line);
    std::optional<Release> release = ParseRelease(line);
    if (release && text != nullptr) *text = std::string(line);
    return release;
  }
  return std::nullopt;
}

DetectedRelease DetectRelease(const InterpreterFacts& facts, const MasterFiles& files) {
  DetectedRelease out;
  std::vector<std::string> search = SearchPath(facts, files);
  for (const std::string& dir : search) {
    std::string init = absl::StrCat(dir, "/gunicorn/__init__.py");
    if (!files.is_file || !files.is_file(init)) continue;
    if (files.read_file) {
      absl::StatusOr<std::string> content = files.read_file(init);
      if (content.ok()) out.release = ReleaseFromInitPy(*content, &out.text);
      if (out.release) out.evidence = init;
    }
    if (!out.release && files.list_dir) {
      absl::StatusOr<std::vector<std::string>> entries = files.list_dir(dir);
      if (entries.ok()) {
        std::sort(entries->begin(), entries->end());
        for (const std::string& entry : *entries) {
          if (!absl::StartsWithIgnoreCase(entry, "gunicorn-")) continue;
          std::string metadata;
          if (absl::EndsWith(entry, ".dist-info")) {
            metadata = absl::StrCat(dir, "/", entry, "/METADATA");
          } else if (absl::EndsWith(entry, ".egg-info")) {
            metadata = absl::StrCat(dir, "/", entry,
                                    files.is_dir && files.is_dir(absl::StrCat(dir, "/", entry)) ? "/PKG-INFO" : "");
          } else {
            continue;
          }
          absl::StatusOr<std::string> content =
              files.read_file ? files.read_file(metadata) : absl::StatusOr<std::string>(absl::NotFoundError(""));
          if (!content.ok()) continue;
          out.release = ReleaseFromMetadata(*content, &out.text);
          if (out.release) {
            out.evidence = metadata;
            break;
          }
        }
      }
    }
    if (!out.release) {
      out.note = absl::StrCat(init, " names no release this agent can read");
      return out;
    }
    if (!facts.environ) {
      out.note = absl::StrCat(
          "found in ", dir, ", the first place the interpreter looks that the agent can see; ",
          facts.environ_unknown_reason.empty() ? "the environment is not visible" : facts.environ_unknown_reason,
          ", so a PYTHONPATH there could have chosen another installation");
    }
    return out;
  }
  out.note = search.empty() ? "the interpreter and its search path are unknown"
                            : absl::StrCat("no gunicorn package in ", absl::StrJoin(search, ", "));
  return out;
}

}  // namespace corral::gunicorn
