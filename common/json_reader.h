// A small JSON reader for the documents Gunicorn's side hands the agent:
// the exact-config hook's file and the control socket's answers. Bounded
// (depth, member-name length), strict (RFC 8259), and free of protobuf's JSON
// machinery so the static agent stays small.
#ifndef CORRAL_COMMON_JSON_READER_H_
#define CORRAL_COMMON_JSON_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corral {

// A parsed JSON value.
struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  // Set for numbers written without fraction or exponent that fit.
  std::optional<int64_t> integer;
  std::string text;
  std::vector<Json> items;
  // Object members in document order (two vectors: a container of an
  // incomplete type must be a vector). A later duplicate wins, as in
  // Python's json.
  std::vector<std::string> keys;
  std::vector<Json> values;

  // The member called `key` of an object; nullptr when absent.
  const Json* Find(absl::string_view key) const;
  bool is_null() const { return type == Type::kNull; }
};

// Parses one JSON document. Refuses values nested more than `max_depth`
// levels below the top-level one, member names longer than 256 bytes, and
// anything after the value. Lone surrogates (Python writes them for
// undecodable bytes) become U+FFFD.
absl::StatusOr<Json> ParseJson(absl::string_view text, int max_depth = 16);

}  // namespace corral

#endif  // CORRAL_COMMON_JSON_READER_H_
