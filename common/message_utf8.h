// proto3 `string` fields must hold UTF-8: protobuf refuses to parse a
// message holding anything else, whole. What the agent reads from /proc
// (argv, a working directory, environment variables, configuration files)
// is bytes, and one Gunicorn started from a Latin-1 directory would make
// corral-server refuse every report of its host. The probe passes each
// snapshot through here before anyone serializes it.
#ifndef CORRAL_COMMON_MESSAGE_UTF8_H_
#define CORRAL_COMMON_MESSAGE_UTF8_H_

#include "google/protobuf/message.h"

namespace corral {

// Replaces every byte of a `string` field (in nested messages, repeated
// fields and maps too) that does not begin a well-formed UTF-8 sequence
// with U+FFFD. Returns how many fields it changed; a valid message is only
// read.
int MakeStringsUtf8(google::protobuf::Message* message);

}  // namespace corral

#endif  // CORRAL_COMMON_MESSAGE_UTF8_H_
