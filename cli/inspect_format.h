// Human rendering of a local snapshot for `corral inspect`: one block per
// master with workers running versus configured, the key settings with
// their sources, the container's resources, and warnings.
#ifndef CORRAL_CLI_INSPECT_FORMAT_H_
#define CORRAL_CLI_INSPECT_FORMAT_H_

#include <string>

#include "cli/text.h"
#include "corral/v1/snapshot.pb.h"

namespace corral::cli {

// `processes_scanned` is shown when no master was found.
std::string RenderInspect(const corral::v1::Snapshot& snapshot, const Style& style, int processes_scanned);

}  // namespace corral::cli

#endif  // CORRAL_CLI_INSPECT_FORMAT_H_
