// TLS and bearer-token plumbing shared by corral-server, corral-agent and
// corral: credentials from PEM files, and the token every call carries as
// `authorization: Bearer TOKEN`.
#ifndef CORRAL_COMMON_GRPC_SECURITY_H_
#define CORRAL_COMMON_GRPC_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace corral {

struct TlsFiles {
  std::string ca;    // CA that signed the peer's certificate
  std::string cert;  // own certificate chain
  std::string key;   // own private key
};

// Client credentials: TLS when `files.ca` is set (verifying the server
// against it), with a client certificate for mutual TLS when cert and key
// are set; plaintext otherwise. Errors name the unreadable file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(const TlsFiles& files);

// Server credentials: TLS when cert and key are set; clients must present a
// certificate signed by `files.ca` when it is set (mutual TLS).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const TlsFiles& files);

// Reads a token file: surrounding whitespace is dropped; an empty token is
// an error (it would authenticate nobody, or everybody).
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// The metadata key and value a client sends.
inline constexpr char kAuthorizationHeader[] = "authorization";
std::string BearerValue(const std::string& token);

// Constant-time comparison of a presented header value with the expected one.
bool TokenMatches(const std::string& presented, const std::string& expected_token);

// a == b in a time that depends only on the lengths, for comparing secrets.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace corral

#endif  // CORRAL_COMMON_GRPC_SECURITY_H_
