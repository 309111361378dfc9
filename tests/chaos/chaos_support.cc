#include "tests/chaos/chaos_support.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corral::testing {

FlappingFleet::FlappingFleet(int agents, int per_service, int flap_every, absl::Duration interval)
    : flap_every_(flap_every) {
  const corral::v1::Snapshot three = FixtureSnapshot(3, interval);
  const corral::v1::Snapshot one = FixtureSnapshot(1, interval);
  messages_.resize(static_cast<size_t>(agents));
  for (int i = 0; i < agents; ++i) {
    std::string service = Service(i, per_service);
    std::string instance = Instance(i);
    for (int steady : {0, 1}) {
      messages_[i][0][steady] = AgentMessageBytes(three, service, instance, steady == 1);
      if (flap_every > 0 && i % flap_every == 0) {
        messages_[i][1][steady] = AgentMessageBytes(one, service, instance, steady == 1);
      }
    }
  }
}

grpc::ByteBuffer FlappingFleet::Message(int agent, int64_t sequence, bool first_on_stream) const {
  bool flapping = flap_every_ > 0 && agent % flap_every_ == 0;
  int one = flapping && sequence % 2 == 1 ? 1 : 0;
  return messages_[agent][one][first_on_stream ? 0 : 1];
}

std::string FlappingFleet::Service(int agent, int per_service) { return absl::StrCat("svc-", agent / per_service); }

std::string FlappingFleet::Instance(int agent) { return absl::StrCat("i-", agent); }

absl::StatusOr<std::vector<corral::v1::Event>> ReadHistory(const std::string& address, int limit) {
  auto stub = corral::v1::Fleet::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  corral::v1::HistoryRequest request;
  request.set_limit(limit);
  corral::v1::HistoryResponse response;
  grpc::Status status = stub->History(&context, request, &response);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("History from ", address, ": ", status.error_message()));
  }
  if (response.truncated()) return absl::OutOfRangeError(absl::StrCat("more than ", limit, " events"));
  return std::vector<corral::v1::Event>(response.events().begin(), response.events().end());
}

Watcher::Watcher(const std::string& address)
    : stub_(corral::v1::Fleet::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
  auto reader = std::shared_ptr<grpc::ClientReader<corral::v1::Event>>(stub_->Watch(&context_, {}));
  thread_ = std::thread([this, reader] {
    corral::v1::Event e;
    while (reader->Read(&e)) {
      absl::MutexLock lock(&mu_);
      events_.push_back(e);
    }
    (void)reader->Finish();
  });
}

Watcher::~Watcher() { Stop(); }

std::vector<corral::v1::Event> Watcher::Events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

void Watcher::Stop() {
  context_.TryCancel();
  if (thread_.joinable()) thread_.join();
}

std::map<int64_t, corral::v1::Event> ById(const std::vector<corral::v1::Event>& events) {
  std::map<int64_t, corral::v1::Event> out;
  for (const corral::v1::Event& e : events) {
    if (e.id() != 0) out[e.id()] = e;
  }
  return out;
}

std::map<std::string, std::pair<int, int>> FindingsOutOfTurn(const std::vector<corral::v1::Event>& events) {
  std::map<std::string, bool> open;
  std::map<std::string, std::pair<int, int>> out;
  for (const corral::v1::Event& e : events) {
    bool opened = e.kind() == "finding_opened";
    if (!opened && e.kind() != "finding_resolved") continue;
    std::string key = absl::StrCat(e.service(), "/", e.instance(), " ", e.rule(), " ", e.setting());
    bool& is_open = open[key];
    if (opened && is_open) ++out[key].first;
    if (!opened && !is_open) ++out[key].second;
    is_open = opened;
  }
  return out;
}

namespace {

bool LineTime(absl::string_view line, absl::Time* at) {
  constexpr size_t kStamp = sizeof("2026-01-02T03:04:05.678") - 1;
  if (line.size() < kStamp) return false;
  std::string error;
  return absl::ParseTime("%Y-%m-%dT%H:%M:%E3S", line.substr(0, kStamp), absl::LocalTimeZone(), at, &error);
}

}  // namespace

absl::StatusOr<absl::Time> FirstLogTime(const std::string& log, const std::string& needle) {
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (!absl::StrContains(line, needle)) continue;
    absl::Time at;
    if (LineTime(line, &at)) return at;
  }
  return absl::NotFoundError(absl::StrCat("no line with a time says '", needle, "'"));
}

std::map<std::string, absl::Time> ReportingSince(const std::string& log) {
  std::map<std::string, absl::Time> out;
  constexpr absl::string_view kSays = "] instance ";
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    size_t at = line.find(kSays);
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = line.substr(at + kSays.size());
    size_t end = rest.find(" reporting from ");
    absl::Time when;
    if (end == absl::string_view::npos || !LineTime(line, &when)) continue;
    out.emplace(std::string(rest.substr(0, end)), when);
  }
  return out;
}

int CountKind(const std::vector<corral::v1::Event>& events, const std::string& kind) {
  int n = 0;
  for (const corral::v1::Event& e : events) n += e.kind() == kind;
  return n;
}

}  // namespace corral::testing
