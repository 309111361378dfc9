// What corral-server does with the bytes of one agent message, from anyone
// who reaches its port (server/collector_service.cc): the wire size check,
// parsing as an AgentMessage, snapshot validation
// (server/snapshot_validation.h), configuration resolution on a stream
// (server/report.h), and -- for a snapshot the server accepts -- what every
// accepted snapshot goes through next: the registry's digest, the rules
// evaluated over the service (with a second replica reporting the same
// snapshot), the fleet views and the Prometheus page.
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "corral/v1/collector.pb.h"
#include "fuzz/fuzz_input.h"
#include "google/protobuf/arena.h"
#include "server/fleet_evaluator.h"
#include "server/fleet_view.h"
#include "server/metrics.h"
#include "server/registry.h"
#include "server/report.h"
#include "server/snapshot_validation.h"

namespace corral::server {
namespace {

// The server keeps a snapshot in the arena its message was parsed into.
std::shared_ptr<const corral::v1::AgentMessage> Parse(const uint8_t* data, size_t size) {
  auto arena = std::make_shared<google::protobuf::Arena>();
  auto* message = google::protobuf::Arena::CreateMessage<corral::v1::AgentMessage>(arena.get());
  if (!message->ParseFromArray(data, static_cast<int>(size))) return nullptr;
  return std::shared_ptr<const corral::v1::AgentMessage>(arena, message);
}

void Evaluate(Registry& registry, absl::Time now) {
  FleetEvaluator evaluator(&registry);
  corral::v1::FleetStatus status = evaluator.Status();
  (void)evaluator.Check(std::nullopt);
  for (const corral::v1::ServiceSummary& service : status.services()) {
    std::vector<InstanceView> views = registry.Instances(service.service());
    CORRAL_FUZZ_CHECK(!views.empty());
    CORRAL_FUZZ_CHECK(BuildServiceDetail(service.service(), views, now).ok());
    (void)BuildInstanceList(views, now);
  }
  (void)RenderMetrics(evaluator.Services(), ServerCounters{1, 0}, now);
}

}  // namespace
}  // namespace corral::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::server;
  if (!ValidateWireSize(size).ok()) return 0;
  std::shared_ptr<const corral::v1::AgentMessage> message = Parse(data, size);
  if (message == nullptr || message->leaving()) return 0;
  std::shared_ptr<const corral::v1::Snapshot> snapshot(message, &message->snapshot());
  if (!ValidateSnapshot(*snapshot).ok()) return 0;

  ConfigCarriers carriers;
  absl::StatusOr<Report> streamed = carriers.Resolve(snapshot);
  absl::StatusOr<Report> complete = Report::Complete(snapshot);
  if (!streamed.ok()) return 0;
  // A second message on the stream that leaves every configuration out
  // resolves against the first.
  auto again = std::make_shared<corral::v1::Snapshot>(*snapshot);
  for (corral::v1::GunicornInstance& instance : *again->mutable_instances()) {
    instance.set_config_omitted(true);
    instance.clear_config();
  }
  CORRAL_FUZZ_CHECK(carriers.Resolve(again).ok() || again->instances_size() == 0);

  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  RegistryOptions options;
  options.now = [&now] { return now; };
  Registry registry(options);
  registry.Record(*std::move(streamed));
  auto replica = std::make_shared<corral::v1::Snapshot>(*snapshot);
  replica->mutable_agent()->set_instance(snapshot->agent().instance() + "-2");
  if (absl::StatusOr<Report> second = Report::Complete(replica); second.ok()) registry.Record(*std::move(second));
  Evaluate(registry, now);
  now += absl::Minutes(5);
  Evaluate(registry, now);
  return 0;
}
