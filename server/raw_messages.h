// Requests that arrive as raw bytes. The services parse them here rather
// than letting gRPC do it, so bytes that are not the expected message are
// refused with INVALID_ARGUMENT naming the message, like any other bad
// request; gRPC's own deserialization failure reaches a client as an
// unrelated status.
#ifndef CORRAL_SERVER_RAW_MESSAGES_H_
#define CORRAL_SERVER_RAW_MESSAGES_H_

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

// A request parsed into its own arena: one allocation pattern per report
// instead of one per string and map node, freed at once when the last
// holder drops it. The returned pointer keeps the arena alive; null for
// bytes that are not the message.
template <typename Request>
std::shared_ptr<const Request> ParseRawInArena(const grpc::ByteBuffer& buffer) {
  struct Holder {
    google::protobuf::Arena arena{[] {
      google::protobuf::ArenaOptions options;
      options.start_block_size = 4096;
      options.max_block_size = 16384;
      return options;
    }()};
  };
  auto holder = std::make_shared<Holder>();
  Request* request = google::protobuf::Arena::CreateMessage<Request>(&holder->arena);
  if (!ParseRaw(buffer, request)) return nullptr;
  return std::shared_ptr<const Request>(holder, request);
}

}  // namespace corral::server

#endif  // CORRAL_SERVER_RAW_MESSAGES_H_
