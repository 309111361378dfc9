// Protobuf messages as JSON with proto field names (snake_case), the form
// every `--json` output of Corral uses.
#ifndef CORRAL_COMMON_JSON_H_
#define CORRAL_COMMON_JSON_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace corral {

// Prints `message` as one JSON object (the proto3 JSON mapping: int64 as
// strings, enums by name). Fields holding their default value are printed
// too, so scripts never see a key come and go; unset `optional` fields
// (unknown values) and unset sub-messages are left out. Map entries are
// sorted by key. Bytes that are not UTF-8 (argv read from /proc can hold
// anything) are replaced with U+FFFD, so the output always parses.
std::string ToJson(const google::protobuf::Message& message, bool pretty = true);

// Appends `text` as a JSON string literal, quotes included, escaped as
// ToJson escapes strings (invalid UTF-8 becomes U+FFFD).
void AppendJsonString(absl::string_view text, std::string* out);

// `text` as a JSON string literal, quotes included (AppendJsonString).
std::string JsonQuote(absl::string_view text);

}  // namespace corral

#endif  // CORRAL_COMMON_JSON_H_
