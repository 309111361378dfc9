#include "cli/fleet_commands.h"

#include "absl/strings/str_cat.h"
#include "cli/command_runner.h"
#include "cli/exit_codes.h"
#include "cli/fleet_client.h"
#include "cli/fleet_format.h"
#include "common/json.h"

namespace corral::cli {

const char kStatusSummary[] = "One row per service: replicas, live workers per replica, status";
const char kServiceSummary[] = "One service in detail: replicas and the settings that differ";
const char kInstancesSummary[] = "Every instance with its agent's last report";
const char kHealthSummary[] = "Whether corral-server is serving (its gRPC health service), for HEALTHCHECKs";
const char kCheckSummary[] = "Findings, with an exit status for CI and cron (0 ok, 1 findings, 2 error)";

bool AnyAtOrAbove(const std::vector<std::string>& severities, const std::string& fail_on) {
  auto rank = [](const std::string& s) { return s == "critical" ? 3 : s == "warning" ? 2 : s == "info" ? 1 : 0; };
  for (const std::string& s : severities) {
    if (rank(s) >= rank(fail_on)) return true;
  }
  return false;
}

int RunStatus(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"status",
            "corral status [--server HOST:PORT] [--json]",
            "One row per service: replicas online/total, live workers per replica (e.g. 3,3,1),\n"
            "configured workers, status (ok, degraded, critical) and the most severe finding.",
            {},
            0,
            0};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  absl::StatusOr<corral::v1::FleetStatus> status = client->FleetStatus();
  if (!status.ok()) return Failed(c, status.status(), err);
  out << (flags.GetBool("json") ? ToJson(*status) + "\n" : RenderFleetStatus(*status, OutStyle()));
  return kExitOk;
}

int RunService(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"service",
            "corral service NAME [--server HOST:PORT] [--json]",
            "One service in detail: a row per replica, the settings that differ between replicas\n"
            "side by side with their sources, and the findings.",
            {},
            1,
            1};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  absl::StatusOr<corral::v1::ServiceDetail> detail = client->Service(flags.positionals()[0]);
  if (!detail.ok()) return Failed(c, detail.status(), err);
  out << (flags.GetBool("json") ? ToJson(*detail) + "\n" : RenderServiceDetail(*detail, OutStyle()));
  return kExitOk;
}

int RunInstances(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"instances",
            "corral instances [--service NAME] [--server HOST:PORT] [--json]",
            "Every instance with its state (online, disconnected, offline) and its agent's last report.",
            {{"service", "NAME", "Only this service", "", ""}},
            0,
            0};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  absl::StatusOr<corral::v1::InstanceList> list = client->Instances(flags.Get("service"));
  if (!list.ok()) return Failed(c, list.status(), err);
  out << (flags.GetBool("json") ? ToJson(*list) + "\n" : RenderInstances(*list, OutStyle()));
  return kExitOk;
}

int RunCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"check",
            "corral check [--service NAME] [--fail-on info|warning|critical] [--server HOST:PORT] [--json]",
            "Prints every finding and exits 0 when none is at or above --fail-on, 1 when some are,\n"
            "2 on usage errors or when the server cannot be reached: a gate for CI and cron.",
            {{"service", "NAME", "Only this service", "", ""},
             {"fail-on", "LEVEL", "Lowest severity that fails the check: info, warning or critical", "critical",
              "CORRAL_FAIL_ON"}},
            0,
            0};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  std::string fail_on = flags.Get("fail-on");
  if (fail_on != "info" && fail_on != "warning" && fail_on != "critical") {
    return Usage(c, absl::StrCat("--fail-on '", fail_on, "' is not one of info, warning, critical"), err);
  }
  absl::StatusOr<corral::v1::CheckResponse> check = client->Check(flags.Get("service"));
  if (!check.ok()) return Failed(c, check.status(), err);
  out << (flags.GetBool("json") ? ToJson(*check) + "\n" : RenderCheck(*check, fail_on, OutStyle()));
  std::vector<std::string> severities;
  for (const auto& f : check->findings()) severities.push_back(f.severity());
  return AnyAtOrAbove(severities, fail_on) ? kExitFindings : kExitOk;
}

int RunHealth(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"health",
            "corral health [--server HOST:PORT]",
            "Asks the server's standard grpc.health.v1 service whether it is serving. Exit status:\n"
            "0 serving, 1 not serving (shutting down), 2 unreachable. Container HEALTHCHECKs use it.",
            {},
            0,
            0};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  absl::StatusOr<bool> serving = client->Serving();
  if (!serving.ok()) return Failed(c, serving.status(), err);
  out << "corral-server at " << client->address() << (*serving ? " is serving" : " is not serving") << "\n";
  return *serving ? kExitOk : kExitFindings;
}

}  // namespace corral::cli
