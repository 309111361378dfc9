// Bearer-token check for incoming calls. With no token configured every
// call is allowed.
#ifndef CORRAL_SERVER_CALL_AUTH_H_
#define CORRAL_SERVER_CALL_AUTH_H_

#include <optional>
#include <string>

#include "grpcpp/grpcpp.h"

namespace corral::server {

class CallAuth {
 public:
  explicit CallAuth(std::optional<std::string> token) : token_(std::move(token)) {}

  // OK, or UNAUTHENTICATED saying what was wrong (never echoing the token).
  grpc::Status Check(const grpc::ServerContextBase& context) const;

 private:
  std::optional<std::string> token_;
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_CALL_AUTH_H_
