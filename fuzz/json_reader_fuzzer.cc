// The JSON reader (common/json_reader.h) the agent runs on documents from
// Gunicorn's side: hook files and control socket answers.
#include <algorithm>

#include "common/json_reader.h"
#include "fuzz/fuzz_input.h"

namespace {

int Depth(const corral::Json& v) {
  int deepest = 0;
  for (const corral::Json& item : v.items) deepest = std::max(deepest, Depth(item));
  for (const corral::Json& value : v.values) deepest = std::max(deepest, Depth(value));
  return v.type == corral::Json::Type::kArray || v.type == corral::Json::Type::kObject ? deepest + 1 : deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = corral::fuzz::AsText(data, size);
  for (int max_depth : {4, 16}) {
    absl::StatusOr<corral::Json> json = corral::ParseJson(text, max_depth);
    if (!json.ok()) continue;
    CORRAL_FUZZ_CHECK(Depth(*json) <= max_depth);
    CORRAL_FUZZ_CHECK(json->keys.size() == json->values.size());
    for (const std::string& key : json->keys) CORRAL_FUZZ_CHECK(key.size() <= 256);
    if (json->integer) CORRAL_FUZZ_CHECK(json->type == corral::Json::Type::kNumber);
  }
  return 0;
}
