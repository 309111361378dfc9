// What the chaos tests share: a fleet of simulated agents whose snapshots
// keep the history busy, and clients that read a running server's history
// as `corral history` and `corral watch` do.
#ifndef CORRAL_TESTS_CHAOS_CHAOS_SUPPORT_H_
#define CORRAL_TESTS_CHAOS_CHAOS_SUPPORT_H_

#include <array>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "corral/v1/fleet.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/simulated_agents.h"

namespace corral::testing {

// Messages for `agents` simulated agents, `per_service` replicas to a
// service (svc-0, svc-1, ...; instances i-0, i-1, ...). Every
// `flap_every`-th agent alternates between 3 and 1 live workers from one
// report to the next (0: none does), so the history records worker changes
// and opens and resolves findings with every report; the others keep 3.
class FlappingFleet {
 public:
  FlappingFleet(int agents, int per_service, int flap_every, absl::Duration interval);

  // For SimulatedAgentsOptions::message.
  grpc::ByteBuffer Message(int agent, int64_t sequence, bool first_on_stream) const;
  static std::string Service(int agent, int per_service);
  static std::string Instance(int agent);

 private:
  int flap_every_;
  // [agent][workers == 1][steady state]
  std::vector<std::array<std::array<grpc::ByteBuffer, 2>, 2>> messages_;
};

// The server's whole history (Fleet.History, the newest `limit`), or why not.
absl::StatusOr<std::vector<corral::v1::Event>> ReadHistory(const std::string& address, int limit = 100000);

// One `corral watch` of every new event, read on its own thread (the call
// reaches the server a moment after the constructor returns).
class Watcher {
 public:
  explicit Watcher(const std::string& address);
  ~Watcher();
  // Every event received so far.
  std::vector<corral::v1::Event> Events() const;
  // Cancels the call (if still going) and waits for it to end.
  void Stop();

 private:
  std::unique_ptr<corral::v1::Fleet::Stub> stub_;
  grpc::ClientContext context_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<corral::v1::Event> events_ ABSL_GUARDED_BY(mu_);
};

// The events as a map by id (events without an id are left out).
std::map<int64_t, corral::v1::Event> ById(const std::vector<corral::v1::Event>& events);

// For each finding (service, instance, rule, setting), how many times it was
// opened while already open, and resolved while not open, in `events`
// (oldest first). Keys with neither are left out; each value is
// {opened twice, resolved twice}.
std::map<std::string, std::pair<int, int>> FindingsOutOfTurn(const std::vector<corral::v1::Event>& events);

// When the first line of a daemon's `log` that contains `needle` was
// written (lines start with a local time: 2026-01-02T03:04:05.678).
absl::StatusOr<absl::Time> FirstLogTime(const std::string& log, const std::string& needle);

// "service/instance" -> when corral-server's `log` first says it reports
// ("instance S/I reporting from PEER": the first report since the server
// started, or since it forgot the instance).
std::map<std::string, absl::Time> ReportingSince(const std::string& log);

// How many `events` are of `kind`.
int CountKind(const std::vector<corral::v1::Event>& events, const std::string& kind);

}  // namespace corral::testing

#endif  // CORRAL_TESTS_CHAOS_CHAOS_SUPPORT_H_
