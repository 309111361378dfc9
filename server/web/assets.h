// The pages' stylesheet and script (server/web/assets/), compiled into
// corral-server: the pages fetch nothing from anywhere else and need no
// build toolchain.
#ifndef CORRAL_SERVER_WEB_ASSETS_H_
#define CORRAL_SERVER_WEB_ASSETS_H_

#include "absl/strings/string_view.h"

namespace corral::server::web {

struct Asset {
  absl::string_view content_type;
  absl::string_view body;
};

// The asset served at `path` ("/assets/corral.css"), or null.
const Asset* FindAsset(absl::string_view path);

// The paths the pages link to, with a hash of the content as query, so a
// browser never uses a cached copy from another corral-server build.
extern const char kStylesheetPath[];
extern const char kScriptPath[];

}  // namespace corral::server::web

#endif  // CORRAL_SERVER_WEB_ASSETS_H_
