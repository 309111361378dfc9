#include "cli/diagnose_commands.h"

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/command_runner.h"
#include "cli/diagnosis_format.h"
#include "cli/exit_codes.h"
#include "common/duration.h"
#include "common/json.h"

namespace corral::cli {

const char kDiagnoseSummary[] = "Why a service drifted: the classic hypotheses, each with a verdict and evidence";
const char kHistorySummary[] = "What changed and when: findings, instances, workers, settings, expectations";
const char kWatchSummary[] = "Follow the history live (reconnects by itself)";

int RunDiagnose(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"diagnose",
            "corral diagnose SERVICE [--server HOST:PORT] [--json]",
            "Judges the hypotheses people test by hand when a Gunicorn service misbehaves, from what\n"
            "the server holds (agents' reports, expectations, findings): compose/override error,\n"
            "wrong WSGI entry point, crash at start, resource limits, conflicting configuration\n"
            "sources, stale image, permissions. Each gets a verdict -- confirmed, ruled_out or\n"
            "cannot_tell (with what would tell) -- and its evidence; a confirmed one gets the fix.\n"
            "Exit status: 0 when nothing is confirmed, 1 when a hypothesis is confirmed.",
            {},
            1,
            1};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  absl::StatusOr<corral::v1::Diagnosis> diagnosis = client->Diagnose(flags.positionals()[0]);
  if (!diagnosis.ok()) return Failed(c, diagnosis.status(), err);
  out << (flags.GetBool("json") ? ToJson(*diagnosis) + "\n" : RenderDiagnosis(*diagnosis, OutStyle()));
  for (const corral::v1::Hypothesis& h : diagnosis->hypotheses()) {
    if (h.verdict() == "confirmed") return kExitFindings;
  }
  return kExitOk;
}

int RunHistory(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"history",
            "corral history [--service NAME] [--since DURATION] [--limit N] [--server HOST:PORT] [--json]",
            "Stored events, oldest first: findings opened and resolved, instances online, disconnected,\n"
            "offline or forgotten, live worker counts and effective settings that changed,\n"
            "expectations that changed, server starts and stops. Kept across restarts for the\n"
            "server's --history-retention.",
            {{"service", "NAME", "Only this service", "", ""},
             {"since", "DURATION", "Only events of the last DURATION (e.g. 2h); all kept ones when empty", "", ""},
             {"limit", "N", "At most N events, the newest", "1000", ""},
             {"utc", "", "Show times in UTC instead of local time", "", ""}},
            0,
            0};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  corral::v1::HistoryRequest request;
  request.set_service(flags.Get("service"));
  if (!flags.Get("since").empty()) {
    absl::StatusOr<absl::Duration> since = ParseDuration(flags.Get("since"));
    if (!since.ok()) return Usage(c, absl::StrCat("--since: ", since.status().message()), err);
    request.set_since_unix_ms(absl::ToUnixMillis(absl::Now() - *since));
  }
  int limit = 0;
  if (!absl::SimpleAtoi(flags.Get("limit"), &limit) || limit < 1) {
    return Usage(c, absl::StrCat("--limit '", flags.Get("limit"), "' is not a positive number"), err);
  }
  request.set_limit(limit);
  absl::StatusOr<corral::v1::HistoryResponse> history = client->History(request);
  if (!history.ok()) return Failed(c, history.status(), err);
  absl::TimeZone zone = flags.GetBool("utc") ? absl::UTCTimeZone() : absl::LocalTimeZone();
  out << (flags.GetBool("json") ? ToJson(*history) + "\n" : RenderHistory(*history, zone, OutStyle()));
  return kExitOk;
}

int RunWatch(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"watch",
            "corral watch [--service NAME] [--server HOST:PORT] [--json]",
            "Prints events as the server records them, until interrupted. When the server goes away\n"
            "it keeps trying, and on reconnecting first prints what it missed, so a restart of the\n"
            "server loses nothing. --json prints one JSON object per line.",
            {{"service", "NAME", "Only this service", "", ""},
             {"utc", "", "Show times in UTC instead of local time", "", ""}},
            0,
            0};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  // Start after the newest stored event, so a reconnect can ask for what it
  // missed by id.
  corral::v1::HistoryRequest latest;
  latest.set_service(flags.Get("service"));
  latest.set_limit(1);
  absl::StatusOr<corral::v1::HistoryResponse> history = client->History(latest);
  if (!history.ok()) return Failed(c, history.status(), err);
  corral::v1::WatchRequest request;
  request.set_service(flags.Get("service"));
  if (!history->events().empty()) request.set_after_id(history->events(0).id());
  absl::TimeZone zone = flags.GetBool("utc") ? absl::UTCTimeZone() : absl::LocalTimeZone();
  bool json = flags.GetBool("json");
  Style style = OutStyle();
  bool outage = false;
  absl::Duration backoff = absl::Milliseconds(250);
  while (true) {
    absl::Status ended = client->Watch(request, [&](const corral::v1::Event& e) {
      if (outage) {
        err << "corral watch: reconnected to " << client->address() << "\n";
        outage = false;
      }
      backoff = absl::Milliseconds(250);
      if (e.id() > request.after_id()) request.set_after_id(e.id());
      out << (json ? ToJson(e, /*pretty=*/false) + "\n" : RenderEvent(e, zone, style));
      out.flush();
    });
    switch (ended.code()) {
      case absl::StatusCode::kUnauthenticated:
      case absl::StatusCode::kInvalidArgument:
      case absl::StatusCode::kNotFound:
      case absl::StatusCode::kUnimplemented:
        return Failed(c, ended, err);
      default:
        break;
    }
    if (!outage) {
      err << "corral watch: "
          << (ended.ok() ? absl::StrCat("corral-server at ", client->address(), " ended the stream")
                         : std::string(ended.message()))
          << "; reconnecting\n";
      outage = true;
    }
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

}  // namespace corral::cli
