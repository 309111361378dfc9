// Files that tell which Gunicorn release a master runs, read through the
// master's own root (gunicorn/version.h): gunicorn/__init__.py, a
// dist-info METADATA or egg-info PKG-INFO, and release strings as snapshots
// and expectations carry them.
#include <string>

#include "fuzz/fuzz_input.h"
#include "gunicorn/settings.h"
#include "gunicorn/version.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::gunicorn;
  absl::string_view text = corral::fuzz::AsText(data, size);
  std::string shown;
  for (std::optional<Release> release :
       {ParseRelease(text), ReleaseFromInitPy(text, &shown), ReleaseFromMetadata(text, &shown)}) {
    if (!release) continue;
    CORRAL_FUZZ_CHECK(release->major >= 0 && release->minor >= 0 && release->patch >= 0);
    TableChoice choice = TableFor(release);
    CORRAL_FUZZ_CHECK(choice.table != nullptr);
    std::optional<Release> again = ParseRelease(release->ToString());
    CORRAL_FUZZ_CHECK(again && *again == *release);
  }
  return 0;
}
