#include "cli/expect_command.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command_runner.h"
#include "cli/diagnosis_format.h"
#include "cli/exit_codes.h"
#include "common/file_util.h"
#include "common/json.h"
#include "compose/compose_file.h"
#include "compose/declared_expectations.h"

namespace corral::cli {

const char kExpectSummary[] = "What services should run: expect set, show, unset, import (compose)";

namespace {

constexpr char kKeysHelp[] =
    "Keys: workers (exact live workers per replica), min_workers, replicas, build_revision,\n"
    "command (the Gunicorn command line), app_uri, gunicorn_version (23.0 for any 23.0.x, or\n"
    "26.2.2 exactly), and any Gunicorn setting the agent observes\n"
    "(timeout, preload_app, bind, worker_class, threads, reload, ...). Values are checked the way\n"
    "Gunicorn checks them; one bad key or value refuses the whole command and stores nothing.";

int Set(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{
      "expect set",
      "corral expect set SERVICE KEY=VALUE... [--server HOST:PORT] [--json]",
      absl::StrCat("Adds or changes expectations of SERVICE (workers replaces min_workers and the\n"
                   "other way round).\n\n",
                   kKeysHelp, "\n\nExample: corral expect set api-backend workers=3 timeout=120 preload_app=true"),
      {},
      2,
      1000,
      "expects a service and at least one KEY=VALUE"};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  corral::v1::SetExpectationsRequest request;
  corral::v1::ServiceExpectations* service = request.add_services();
  service->set_service(flags.positionals()[0]);
  for (size_t i = 1; i < flags.positionals().size(); ++i) {
    const std::string& pair = flags.positionals()[i];
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) return Usage(c, absl::StrCat("'", pair, "' is not KEY=VALUE"), err);
    corral::v1::Expectation* e = service->add_expectations();
    e->set_key(pair.substr(0, eq));
    e->set_value(pair.substr(eq + 1));
    e->set_declared_by("manual");
  }
  absl::StatusOr<corral::v1::ExpectationsList> stored = client->SetExpectations(request);
  if (!stored.ok()) return Failed(c, stored.status(), err);
  out << (flags.GetBool("json") ? ToJson(*stored) + "\n" : RenderExpectations(*stored, OutStyle()));
  return kExitOk;
}

int Show(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"expect show",
            "corral expect show [SERVICE] [--server HOST:PORT] [--json]",
            "Every service's expectations (or SERVICE's), with where each was declared and when it\nlast changed.",
            {},
            0,
            1,
            "takes at most one service name"};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  std::string service = flags.positionals().empty() ? "" : flags.positionals()[0];
  absl::StatusOr<corral::v1::ExpectationsList> list = client->GetExpectations(service);
  if (!list.ok()) return Failed(c, list.status(), err);
  if (!service.empty() && list->services().empty()) {
    return Failed(c, absl::NotFoundError(absl::StrCat("nothing is expected of service '", service, "'")), err);
  }
  out << (flags.GetBool("json") ? ToJson(*list) + "\n" : RenderExpectations(*list, OutStyle()));
  return kExitOk;
}

int Unset(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c{"expect unset",
            "corral expect unset SERVICE [KEY...] [--server HOST:PORT] [--json]",
            "Drops the given expectations of SERVICE, or all of them when no key is given.",
            {},
            1,
            1000,
            "expects a service name"};
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  corral::v1::UnsetExpectationsRequest request;
  request.set_service(flags.positionals()[0]);
  for (size_t i = 1; i < flags.positionals().size(); ++i) request.add_keys(flags.positionals()[i]);
  absl::StatusOr<corral::v1::ExpectationsList> stored = client->UnsetExpectations(request);
  if (!stored.ok()) return Failed(c, stored.status(), err);
  out << (flags.GetBool("json") ? ToJson(*stored) + "\n" : RenderExpectations(*stored, OutStyle()));
  return kExitOk;
}

int Import(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
  Command c{"expect import",
            "corral expect import COMPOSE_FILE [-f OVERRIDE]... [--build-revision REV] [--dry-run] "
            "[--server HOST:PORT] [--json]",
            absl::StrCat("Derives each service's expectations from what the repository declares, merged as docker\n"
                         "compose merges files (docker-compose.override.yml next to COMPOSE_FILE is picked up unless\n"
                         "-f names overrides): the service's command/entrypoint, else the CMD/ENTRYPOINT of the\n"
                         "Dockerfile its build points to; GUNICORN_CMD_ARGS, WEB_CONCURRENCY and PORT in its\n"
                         "environment; deploy.replicas. Each expectation records its file:line. What cannot be\n"
                         "interpreted (variables without defaults, extends, ...) is printed as a warning.\n"
                         "The imported services' expectations replace what they had; other services keep theirs.\n\n",
                         kKeysHelp),
            {{"file", "OVERRIDE", "Merge this override file too (also -f)", "", "", true},
             {"build-revision", "REV", "Expect every imported service's image built from REV", "", ""},
             {"dry-run", "", "Print what would be imported without storing it", "", ""}},
            1,
            1,
            "expects one compose file"};
  for (std::string& a : args) {
    if (a == "-f") a = "--file";
  }
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  compose::ReadFileFn read = [](const std::string& path) { return ReadFileToString(path); };
  absl::StatusOr<compose::ComposeProject> project =
      compose::LoadComposeProject(flags.positionals()[0], flags.GetAll("file"), read, GetEnv);
  if (!project.ok()) return Failed(c, project.status(), err);
  corral::v1::SetExpectationsRequest request;
  request.set_replace(true);
  std::vector<std::string> warnings = project->warnings;
  for (const compose::DeclaredService& service : project->services) {
    compose::ImportedExpectations imported = compose::ExpectationsFromDeclaration(service);
    for (std::string& w : imported.warnings) warnings.push_back(std::move(w));
    if (!flags.Get("build-revision").empty()) {
      corral::v1::Expectation* e = imported.expectations.add_expectations();
      e->set_key("build_revision");
      e->set_value(flags.Get("build-revision"));
      e->set_origin("corral expect import --build-revision");
      e->set_declared_by("manual");
    }
    if (imported.expectations.expectations().empty()) {
      warnings.push_back(absl::StrCat(service.name, ": nothing to expect; skipped"));
      continue;
    }
    *request.add_services() = std::move(imported.expectations);
  }
  for (const std::string& w : warnings) err << "warning: " << w << "\n";
  if (request.services().empty()) {
    return Failed(c, absl::InvalidArgumentError(absl::StrCat(flags.positionals()[0], ": no service to import")), err);
  }
  if (flags.GetBool("dry-run")) {
    corral::v1::ExpectationsList preview;
    for (const auto& s : request.services()) *preview.add_services() = s;
    out << (flags.GetBool("json") ? ToJson(preview) + "\n" : RenderExpectations(preview, OutStyle()));
    return kExitOk;
  }
  absl::StatusOr<corral::v1::ExpectationsList> stored = client->SetExpectations(request);
  if (!stored.ok()) return Failed(c, stored.status(), err);
  if (flags.GetBool("json")) {
    out << ToJson(*stored) << "\n";
  } else {
    out << "imported " << stored->services_size() << " service(s) from " << absl::StrJoin(project->files, ", ") << "\n"
        << RenderExpectations(*stored, OutStyle());
  }
  return kExitOk;
}

}  // namespace

int RunExpect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const char* usage =
      "Usage: corral expect set SERVICE KEY=VALUE...\n"
      "       corral expect show [SERVICE]\n"
      "       corral expect unset SERVICE [KEY...]\n"
      "       corral expect import COMPOSE_FILE [-f OVERRIDE]...\n\n"
      "What each service is expected to run. The rules compare every replica with it\n"
      "(WORKERS_BELOW_EXPECTED, CONFIG_DRIFT, STALE_IMAGE, ...) and `corral diagnose` judges\n"
      "its hypotheses against it. Expectations live in corral-server's database.\n"
      "Run 'corral expect SUBCOMMAND --help' for details.\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? err : out) << usage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "set") return Set(rest, out, err);
  if (args[0] == "show") return Show(rest, out, err);
  if (args[0] == "unset") return Unset(rest, out, err);
  if (args[0] == "import") return Import(rest, out, err);
  err << "corral expect: unknown subcommand '" << args[0] << "'\n\n" << usage;
  return kExitUsage;
}

}  // namespace corral::cli
