#include "cli/expect_command.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command_runner.h"
#include "cli/diagnosis_format.h"
#include "cli/exit_codes.h"
#include "common/file_util.h"
#include "common/json.h"
#include "compose/compose_file.h"
#include "compose/declared_expectations.h"
#include "compose/kubernetes_manifests.h"

namespace corral::cli {

const char kExpectSummary[] = "What services should run: expect set, show, unset, import (compose, Kubernetes)";

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

// What `expect import` stores, whatever declared it.
struct ImportPlan {
  std::vector<std::string> files;
  std::vector<compose::ImportedExpectations> services;
  std::vector<std::string> warnings;
};

absl::StatusOr<ImportPlan> PlanCompose(const std::string& main_file, const std::vector<std::string>& overrides) {
  compose::ReadFileFn read = [](const std::string& path) { return ReadFileToString(path); };
  absl::StatusOr<compose::ComposeProject> project = compose::LoadComposeProject(main_file, overrides, read, GetEnv);
  if (!project.ok()) return project.status();
  ImportPlan plan;
  plan.files = project->files;
  plan.warnings = project->warnings;
  for (const compose::DeclaredService& service : project->services) {
    plan.services.push_back(compose::ExpectationsFromDeclaration(service));
  }
  return plan;
}

absl::StatusOr<ImportPlan> PlanKubernetes(const std::vector<compose::ManifestFile>& files) {
  absl::StatusOr<compose::KubernetesManifests> manifests = compose::LoadKubernetesManifests(files);
  if (!manifests.ok()) return manifests.status();
  ImportPlan plan;
  plan.files = manifests->files;
  plan.warnings = manifests->warnings;
  plan.services = compose::ExpectationsFromKubernetes(*manifests);
  return plan;
}

// A manifest file, or stdin for "-", read whole up to the size a manifest
// may have (one byte more, so that a larger one is refused, not cut).
absl::StatusOr<compose::ManifestFile> ReadManifest(const std::string& path) {
  const bool from_stdin = path == "-";
  absl::StatusOr<std::string> content =
      ReadFileToString(from_stdin ? "/dev/stdin" : path, compose::kMaxManifestFileBytes + 1);
  if (!content.ok()) return content.status();
  return compose::ManifestFile{from_stdin ? "stdin" : path, *std::move(content)};
}

int Import(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
  Command c{"expect import",
            "corral expect import COMPOSE_FILE [-f OVERRIDE]... | MANIFEST... [--kubernetes] [--build-revision REV] "
            "[--dry-run] [--server HOST:PORT] [--json]",
            absl::StrCat(
                "Derives each service's expectations from what the repository declares, each with the file:line\n"
                "that declared it. What cannot be interpreted (variables without defaults, extends, Secrets, ...)\n"
                "is printed as a warning. The imported services' expectations replace what they had; other\n"
                "services keep theirs.\n\n"
                "A docker compose project: merged as docker compose merges files (docker-compose.override.yml\n"
                "next to COMPOSE_FILE is picked up unless -f names overrides): the service's command/entrypoint,\n"
                "else the CMD/ENTRYPOINT of the Dockerfile its build points to; GUNICORN_CMD_ARGS,\n"
                "WEB_CONCURRENCY and PORT in its environment; deploy.replicas.\n\n"
                "Kubernetes manifests: one or more files of YAML documents as kubectl, helm template and kustomize\n"
                "build print them ('-' reads stdin), told from a compose file by their apiVersion and kind keys\n"
                "(or --kubernetes). Every Deployment, StatefulSet, DaemonSet, ReplicaSet and Pod whose container\n"
                "runs Gunicorn: its command and args ($(VAR) expanded), env and envFrom (ConfigMaps in the same\n"
                "files), spec.replicas. The service is the pod template's app.kubernetes.io/name label, else the\n"
                "workload's name: the name the agent reports the pods under.\n\n"
                "Examples:\n"
                "  corral expect import docker-compose.yml\n"
                "  corral expect import docker-compose.yml -f docker-compose.prod.yml --dry-run\n"
                "  corral expect import deploy/api.yaml deploy/api-config.yaml\n"
                "  corral expect import <(helm template shop ./chart -f values-prod.yaml)\n"
                "  kustomize build overlays/prod | corral expect import -\n"
                "  corral expect import --build-revision \"$(git rev-parse HEAD)\" <(kubectl get deploy -o yaml)\n\n",
                kKeysHelp),
            {{"file", "OVERRIDE", "Merge this compose override file too (also -f)", "", "", true},
             {"kubernetes", "", "Read the files as Kubernetes manifests, whatever their content", "", ""},
             {"build-revision", "REV", "Expect every imported service's image built from REV", "", ""},
             {"dry-run", "", "Print what would be imported without storing it", "", ""}},
            1,
            1000,
            "expects a compose file, or Kubernetes manifest files ('-' for stdin)"};
  for (std::string& a : args) {
    if (a == "-f") a = "--file";
  }
  Flags flags;
  std::optional<FleetClient> client;
  if (std::optional<int> code = Prepare(c, args, out, err, &flags, &client)) return *code;
  const std::vector<std::string>& paths = flags.positionals();
  if (std::count(paths.begin(), paths.end(), "-") > 1) return Usage(c, "'-' (stdin) can be read only once", err);

  // A single file is a compose project unless its content says otherwise;
  // several files and stdin can only be manifests.
  bool kubernetes = flags.GetBool("kubernetes") || paths.size() > 1 || paths[0] == "-";
  std::vector<compose::ManifestFile> manifests;
  if (!kubernetes) {
    absl::StatusOr<compose::ManifestFile> file = ReadManifest(paths[0]);
    if (file.ok() && compose::LooksLikeKubernetesManifests(file->content)) {
      kubernetes = true;
      manifests.push_back(*std::move(file));
    }
  } else {
    for (const std::string& path : paths) {
      absl::StatusOr<compose::ManifestFile> file = ReadManifest(path);
      if (!file.ok()) return Failed(c, file.status(), err);
      if (!flags.GetBool("kubernetes") && !compose::LooksLikeKubernetesManifests(file->content)) {
        return Failed(c,
                      absl::InvalidArgumentError(absl::StrCat(
                          file->path,
                          ": not Kubernetes manifests (no apiVersion and kind keys); a compose project is imported "
                          "from its one file by path, with -f for its overrides")),
                      err);
      }
      manifests.push_back(*std::move(file));
    }
  }
  if (kubernetes && flags.Has("file")) {
    return Usage(c, "-f names a compose override file; give every manifest file as an argument", err);
  }
  absl::StatusOr<ImportPlan> plan =
      kubernetes ? PlanKubernetes(manifests) : PlanCompose(paths[0], flags.GetAll("file"));
  if (!plan.ok()) return Failed(c, plan.status(), err);

  corral::v1::SetExpectationsRequest request;
  request.set_replace(true);
  std::vector<std::string> warnings = plan->warnings;
  for (compose::ImportedExpectations& imported : plan->services) {
    for (std::string& w : imported.warnings) warnings.push_back(std::move(w));
    if (!flags.Get("build-revision").empty()) {
      corral::v1::Expectation* e = imported.expectations.add_expectations();
      e->set_key("build_revision");
      e->set_value(flags.Get("build-revision"));
      e->set_origin("corral expect import --build-revision");
      e->set_declared_by("manual");
    }
    if (imported.expectations.expectations().empty()) {
      warnings.push_back(absl::StrCat(imported.expectations.service(), ": nothing to expect; skipped"));
      continue;
    }
    *request.add_services() = std::move(imported.expectations);
  }
  for (const std::string& w : warnings) err << "warning: " << w << "\n";
  if (request.services().empty()) {
    const std::string what = kubernetes ? absl::StrCat(absl::StrJoin(plan->files, ", "), ": no workload runs Gunicorn")
                                        : absl::StrCat(paths[0], ": no service to import");
    return Failed(c, absl::InvalidArgumentError(what), err);
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
    out << "imported " << stored->services_size() << " service(s) from " << absl::StrJoin(plan->files, ", ") << "\n"
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
      "       corral expect import COMPOSE_FILE [-f OVERRIDE]...\n"
      "       corral expect import MANIFEST... (Kubernetes YAML; '-' reads stdin)\n\n"
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
