// Requests that arrive as raw bytes. The services parse them here rather
// than letting gRPC do it, so bytes that are not the expected message are
// refused with INVALID_ARGUMENT naming the message, like any other bad
// request; gRPC's own deserialization failure reaches a client as an
// unrelated status.
#ifndef CORRAL_SERVER_RAW_MESSAGES_H_
#define CORRAL_SERVER_RAW_MESSAGES_H_

#include <algorithm>
#include <cstddef>
#include <memory>

#include "google/protobuf/arena.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace corral::server {

// Parses `buffer` into `message`; false for bytes that are not the message.
inline bool ParseRaw(const grpc::ByteBuffer& buffer, google::protobuf::Message* message) {
  grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&buffer));
  return message->ParseFromZeroCopyStream(&reader) && reader.status().ok();
}

// Replaces the content of `out` (gRPC's writer refuses a buffer that still
// holds bytes, as one reused for every write of a stream does).
inline void SerializeRaw(const google::protobuf::Message& message, grpc::ByteBuffer* out) {
  out->Clear();
  bool own_buffer = false;
  (void)grpc::SerializationTraits<google::protobuf::Message>::Serialize(message, out, &own_buffer);
}

// Arena blocks for a message of `wire_bytes`: parsed, a report takes about
// 4.5 times its wire size (a first message, whose settings are many short
// strings, 5 to 6.5 times), so the first block holds a steady-state report
// whole, and a first message needs one or two small blocks more. Fixed 4,
// 8 and 16 KiB blocks held 28 KiB for a 2 KiB first message, which every
// agent's latest report is until its next one arrives.
inline google::protobuf::ArenaOptions ArenaOptionsFor(size_t wire_bytes) {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 5 * wire_bytes + 256;
  options.max_block_size = std::max<size_t>(1024, wire_bytes);
  return options;
}

// A request parsed into its own arena: one allocation pattern per report
// instead of one per string and map node, freed at once when the last
// holder drops it. The returned pointer keeps the arena alive; null for
// bytes that are not the message.
template <typename Request>
std::shared_ptr<const Request> ParseRawInArena(const grpc::ByteBuffer& buffer) {
  struct Holder {
    explicit Holder(size_t wire_bytes) : arena(ArenaOptionsFor(wire_bytes)) {}
    google::protobuf::Arena arena;
  };
  auto holder = std::make_shared<Holder>(buffer.Length());
  Request* request = google::protobuf::Arena::CreateMessage<Request>(&holder->arena);
  if (!ParseRaw(buffer, request)) return nullptr;
  return std::shared_ptr<const Request>(holder, request);
}

}  // namespace corral::server

#endif  // CORRAL_SERVER_RAW_MESSAGES_H_
