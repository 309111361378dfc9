// A running master as the agent reconstructs its settings
// (gunicorn/config_loader.h): the input is sections separated by a 0x01
// byte -- /proc/PID/cmdline (NUL separated), /proc/PID/environ (NUL
// separated), the content of every config file the loader opens, and the
// Gunicorn release that picks the settings table. The argv goes through
// command recognition first, as discovery does.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fuzz/fuzz_input.h"
#include "gunicorn/command.h"
#include "gunicorn/config_loader.h"
#include "gunicorn/settings.h"

namespace corral::gunicorn {
namespace {

std::vector<std::string> NulSplit(const std::string& text) {
  std::vector<std::string> items = absl::StrSplit(text, '\0');
  while (!items.empty() && items.back().empty()) items.pop_back();
  return items;
}

}  // namespace
}  // namespace corral::gunicorn

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::gunicorn;
  std::vector<std::string> parts = corral::fuzz::SplitParts(corral::fuzz::AsText(data, size), '\x01', 4);
  LoaderInputs in;
  std::vector<std::string> argv = NulSplit(parts[0]);
  if (std::optional<GunicornCommand> command = RecognizeGunicorn(argv)) {
    if (command->is_title()) {
      in.argv_erased = true;
      in.title_name = command->title_name;
    } else {
      in.args = command->args;
    }
  } else {
    in.args = argv;
  }
  Environ environ;
  for (const std::string& entry : NulSplit(parts[1])) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    environ.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  if (parts[1].empty()) {
    in.environ_erased = true;
  } else {
    in.environ = environ;
  }
  in.cwd = "/srv/app";
  in.python_cpu_count = 2;
  in.uid = 1000;
  in.gid = 1000;
  in.master_start_unix_ms = 1'700'000'000'000;
  const std::string& config = parts[2];
  in.read_file = [&config](const std::string& path) -> absl::StatusOr<MasterFile> {
    if (config.empty()) return absl::NotFoundError(path);
    return MasterFile{config, 1'600'000'000'000};
  };
  in.is_dir = [](const std::string& path) { return !absl::EndsWith(path, ".py"); };
  in.table = TableFor(ParseRelease(parts[3])).table;
  ReconstructedConfig config_out = ReconstructConfig(in);
  for (const auto& [name, setting] : config_out.settings) CORRAL_FUZZ_CHECK(!setting.source().empty());
  return 0;
}
