#include "server/call_auth.h"

#include "common/grpc_security.h"

namespace corral::server {

grpc::Status CallAuth::Check(const grpc::ServerContextBase& context) const {
  if (!token_) return grpc::Status::OK;
  auto it = context.client_metadata().find(kAuthorizationHeader);
  if (it == context.client_metadata().end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing bearer token (pass --token-file)");
  }
  std::string presented(it->second.data(), it->second.size());
  if (!TokenMatches(presented, *token_)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "wrong bearer token");
  }
  return grpc::Status::OK;
}

}  // namespace corral::server
