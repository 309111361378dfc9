#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "common/file_util.h"
#include "compose/compose_file.h"
#include "compose/declared_expectations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/compose/imported_expectations_util.h"

namespace corral::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string FixtureDir(const std::string& name) {
  return std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/compose/" + name;
}

ReadFileFn DiskReader() {
  return [](const std::string& path) { return corral::ReadFileToString(path); };
}

ReadFileFn MapReader(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError(path + ": No such file or directory");
    return it->second;
  };
}

LookupEnvFn Env(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

ComposeProject LoadOrDie(const std::string& main_file, const ReadFileFn& read, const LookupEnvFn& env = Env(),
                         const std::vector<std::string>& overrides = {}) {
  absl::StatusOr<ComposeProject> project = LoadComposeProject(main_file, overrides, read, env);
  EXPECT_TRUE(project.ok()) << project.status();
  return project.ok() ? *project : ComposeProject();
}

const DeclaredService& ServiceNamed(const ComposeProject& project, const std::string& name) {
  for (const DeclaredService& service : project.services) {
    if (service.name == name) return service;
  }
  static const DeclaredService kMissing;
  ADD_FAILURE() << "no service " << name;
  return kMissing;
}

using corral::compose::testing::ExpectationFor;
using corral::compose::testing::Values;
using corral::compose::testing::WarningsContaining;

// --- The incident layout (examples/incident), also used by `make demo`.

TEST(ComposeImport, IncidentApiBackendExpectsTheDockerfileCommand) {
  // Given the incident repository, whose override file changes no command,
  const std::string dir = std::string(CORRAL_SOURCE_DIR) + "/examples/incident";
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  // when api-backend's declaration becomes expectations,
  ImportedExpectations imported = ExpectationsFromDeclaration(ServiceNamed(project, "api-backend"));

  // then they are the Dockerfile's Gunicorn flags, three replicas and the
  // command itself, credited to the Dockerfile's CMD line.
  EXPECT_THAT(project.files, ElementsAre(dir + "/docker-compose.yml", dir + "/docker-compose.override.yml"));
  EXPECT_EQ(imported.expectations.service(), "api-backend");
  std::map<std::string, std::string> values = Values(imported);
  EXPECT_EQ(values["workers"], "3");
  EXPECT_EQ(values["timeout"], "120");
  EXPECT_EQ(values["preload_app"], "true");
  EXPECT_EQ(values["bind"], "0.0.0.0:8000");
  EXPECT_EQ(values["app_uri"], "wsgi:application");
  EXPECT_EQ(values["replicas"], "3");
  EXPECT_EQ(values.size(), 7u) << "only declared values, never defaults";
  corral::v1::Expectation command = ExpectationFor(imported, "command");
  EXPECT_EQ(command.value(), "gunicorn --workers 3 --timeout 120 --preload --bind 0.0.0.0:8000 wsgi:application");
  EXPECT_EQ(command.declared_by(), "dockerfile");
  EXPECT_EQ(command.origin(), dir + "/services/api-backend/Dockerfile.dev:8");
  EXPECT_EQ(ExpectationFor(imported, "workers").origin(), command.origin());
  EXPECT_EQ(ExpectationFor(imported, "replicas").origin(), dir + "/docker-compose.yml:11");
  EXPECT_EQ(ExpectationFor(imported, "replicas").declared_by(), "compose");
}

TEST(ComposeImport, IncidentOverrideAddsEnvironmentWithoutTouchingTheCommand) {
  const std::string dir = std::string(CORRAL_SOURCE_DIR) + "/examples/incident";
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  const DeclaredService& api = ServiceNamed(project, "api-backend");

  EXPECT_EQ(api.command_declared_by, "dockerfile");
  EXPECT_EQ(api.environment.at("LOG_LEVEL").value, "debug");
  EXPECT_EQ(api.environment.at("LOG_LEVEL").origin, dir + "/docker-compose.override.yml:7");
  EXPECT_EQ(api.environment.at("PYTHONUNBUFFERED").value, "1");
  EXPECT_TRUE(project.warnings.empty()) << project.warnings.front();
}

TEST(ComposeImport, IncidentBillingExpectsBareGunicornAndWarnsAboutItsConfigFile) {
  const std::string dir = std::string(CORRAL_SOURCE_DIR) + "/examples/incident";
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  ImportedExpectations imported = ExpectationsFromDeclaration(ServiceNamed(project, "billing"));

  EXPECT_EQ(Values(imported), (std::map<std::string, std::string>{{"command", "gunicorn"}, {"replicas", "1"}}));
  EXPECT_EQ(ExpectationFor(imported, "command").origin(), dir + "/services/billing/Dockerfile:9");
  ASSERT_EQ(imported.warnings.size(), 1u);
  EXPECT_THAT(imported.warnings[0], StartsWith("billing: "));
  EXPECT_THAT(imported.warnings[0], HasSubstr("gunicorn.conf.py"));
  EXPECT_THAT(imported.warnings[0], HasSubstr("not imported"));
}

// --- Merging files.

TEST(ComposeImport, OverrideNextToTheMainFileIsMergedAutomatically) {
  const std::string dir = FixtureDir("override-merge");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  const DeclaredService& web = ServiceNamed(project, "web");

  EXPECT_THAT(project.files, ElementsAre(dir + "/docker-compose.yml", dir + "/docker-compose.override.yml"));
  EXPECT_THAT(web.command, ElementsAre("gunicorn", "--workers", "1", "--reload", "web.wsgi:application"));
  EXPECT_EQ(web.command_origin, dir + "/docker-compose.override.yml:3");
  EXPECT_EQ(web.command_declared_by, "compose");
  // environment merges per variable; the merge key brings the anchor's.
  EXPECT_EQ(web.environment.at("LOG_LEVEL").value, "debug");
  EXPECT_EQ(web.environment.at("DEBUG").value, "1");
  EXPECT_EQ(web.environment.at("APP_ENV").value, "production");
  EXPECT_EQ(web.environment.at("APP_ENV").origin, dir + "/docker-compose.yml:3");
  EXPECT_EQ(web.environment.at("PYTHONUNBUFFERED").value, "1");
  ASSERT_TRUE(web.replicas.has_value());
  EXPECT_EQ(web.replicas->value, "2");
  EXPECT_EQ(web.image, "registry.example.com/web:1.4");

  ImportedExpectations imported = ExpectationsFromDeclaration(web);
  std::map<std::string, std::string> values = Values(imported);
  EXPECT_EQ(values["workers"], "1");
  EXPECT_EQ(values["reload"], "true");
  EXPECT_EQ(values["app_uri"], "web.wsgi:application");
  EXPECT_EQ(values.count("timeout"), 0u);
}

TEST(ComposeImport, ExplicitOverridesReplaceTheAutomaticOne) {
  const std::string dir = FixtureDir("override-merge");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader(), Env(), {dir + "/production.yml"});

  const DeclaredService& web = ServiceNamed(project, "web");

  EXPECT_THAT(project.files, ElementsAre(dir + "/docker-compose.yml", dir + "/production.yml"));
  EXPECT_THAT(web.command, ElementsAre("gunicorn", "--workers", "2", "--timeout", "30", "web.wsgi:application"));
  EXPECT_EQ(web.command_origin, dir + "/docker-compose.yml:8");
  EXPECT_EQ(web.image, "registry.example.com/web:1.5");
  EXPECT_EQ(web.replicas->value, "4");
  EXPECT_EQ(web.replicas->origin, dir + "/production.yml:5");
  EXPECT_EQ(web.environment.at("APP_ENV").value, "staging");
  EXPECT_EQ(web.environment.at("LOG_LEVEL").value, "info");
  EXPECT_EQ(web.environment.count("DEBUG"), 0u);
}

TEST(ComposeImport, ServiceThatDoesNotRunGunicornGetsOnlyReplicas) {
  const std::string dir = FixtureDir("override-merge");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  ImportedExpectations imported = ExpectationsFromDeclaration(ServiceNamed(project, "worker"));

  EXPECT_EQ(imported.expectations.expectations_size(), 0);
  ASSERT_EQ(imported.warnings.size(), 1u);
  EXPECT_EQ(imported.warnings[0],
            "worker: its command (python -m celery worker) does not run Gunicorn; only replicas imported");
}

TEST(ComposeImport, ComposeOverrideYmlIsPreferredAndResetTagClearsAField) {
  // Given both compose.override.yml and docker-compose.override.yml, compose
  // takes the first in its order and says so;
  ReadFileFn read = MapReader({
      {"p/compose.yml", "services:\n  api:\n    image: api\n    command: gunicorn -w 4 app:app\n"},
      {"p/compose.override.yml", "services:\n  api:\n    command: !reset null\n"},
      {"p/docker-compose.override.yml", "services:\n  api:\n    command: gunicorn -w 9 app:app\n"},
  });

  ComposeProject project = LoadOrDie("p/compose.yml", read);

  EXPECT_THAT(project.files, ElementsAre("p/compose.yml", "p/compose.override.yml"));
  EXPECT_TRUE(ServiceNamed(project, "api").command.empty());
  ASSERT_EQ(WarningsContaining(project.warnings, "several override files").size(), 1u);
}

// --- Dockerfiles.

TEST(ComposeImport, ExecFormWithContinuationsAndImageEnvironment) {
  const std::string dir = FixtureDir("dockerfile-forms");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  const DeclaredService& service = ServiceNamed(project, "exec-form");
  ImportedExpectations imported = ExpectationsFromDeclaration(service);

  EXPECT_THAT(service.command, ElementsAre("gunicorn", "--timeout", "90", "app:application"));
  EXPECT_EQ(service.command_origin, dir + "/app/Dockerfile.exec:4");
  // WEB_CONCURRENCY from the image's ENV sets workers; its origin is the ENV.
  corral::v1::Expectation workers = ExpectationFor(imported, "workers");
  EXPECT_EQ(workers.value(), "4");
  EXPECT_EQ(workers.origin(), dir + "/app/Dockerfile.exec:3");
  EXPECT_EQ(workers.declared_by(), "dockerfile");
  EXPECT_EQ(Values(imported)["timeout"], "90");
}

TEST(ComposeImport, ShellFormRunsThroughShAndSkipsHeredocsAndComments) {
  const std::string dir = FixtureDir("dockerfile-forms");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  const DeclaredService& service = ServiceNamed(project, "shell-form");
  ImportedExpectations imported = ExpectationsFromDeclaration(service);

  ASSERT_EQ(service.command.size(), 3u);
  EXPECT_EQ(service.command[0], "/bin/sh");
  EXPECT_EQ(service.command[1], "-c");
  EXPECT_EQ(service.command[2], "exec gunicorn     --workers 5     app:application");
  EXPECT_EQ(service.command_origin, dir + "/app/Dockerfile.shell:11");
  // ENV PORT=${PORT_DEFAULT} takes the ARG's default.
  EXPECT_EQ(service.environment.at("PORT").value, "8080");
  std::map<std::string, std::string> values = Values(imported);
  EXPECT_EQ(values["command"], "gunicorn --workers 5 app:application");
  EXPECT_EQ(values["workers"], "5");
  EXPECT_EQ(values["bind"], "0.0.0.0:8080");
  EXPECT_EQ(ExpectationFor(imported, "bind").origin(), dir + "/app/Dockerfile.shell:3");
}

TEST(ComposeImport, BuildTargetSelectsAStageThatInheritsItsParentsCmd) {
  const std::string dir = FixtureDir("dockerfile-forms");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  ImportedExpectations staged = ExpectationsFromDeclaration(ServiceNamed(project, "staged"));
  ImportedExpectations last = ExpectationsFromDeclaration(ServiceNamed(project, "last-stage"));

  EXPECT_EQ(ServiceNamed(project, "staged").command_origin, dir + "/app/Dockerfile.multistage:3");
  std::map<std::string, std::string> values = Values(staged);
  EXPECT_EQ(values["workers"], "2");
  EXPECT_EQ(values["timeout"], "45");
  EXPECT_EQ(values["keepalive"], "5");
  EXPECT_EQ(ExpectationFor(staged, "timeout").origin(), dir + "/app/Dockerfile.multistage:6");
  EXPECT_EQ(values.count("reload"), 0u);
  EXPECT_EQ(Values(last)["reload"], "true");
  EXPECT_EQ(Values(last).count("workers"), 0u);
}

TEST(ComposeImport, UnreadableDockerfileIsNamedInAWarning) {
  const std::string dir = FixtureDir("unreadable-dockerfile");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  const DeclaredService& api = ServiceNamed(project, "api");
  ImportedExpectations imported = ExpectationsFromDeclaration(api);

  EXPECT_TRUE(api.command.empty());
  ASSERT_EQ(project.warnings.size(), 1u);
  EXPECT_THAT(project.warnings[0], StartsWith(dir + "/docker-compose.yml:3: api: cannot read its Dockerfile " + dir +
                                              "/services/api/Dockerfile.prod"));
  EXPECT_EQ(Values(imported), (std::map<std::string, std::string>{{"replicas", "2"}}));
  ASSERT_EQ(imported.warnings.size(), 1u);
  EXPECT_THAT(imported.warnings[0], HasSubstr("only replicas imported"));
}

TEST(ComposeImport, EntrypointResetsACmdInheritedFromTheParentStage) {
  ReadFileFn read = MapReader({
      {"compose.yml", "services:\n  api:\n    build: .\n"},
      {"Dockerfile",
       "FROM python:3.12 AS base\n"
       "CMD [\"gunicorn\", \"app:app\"]\n"
       "FROM base\n"
       "ENTRYPOINT [\"gunicorn\", \"--workers\", \"4\"]\n"},
  });

  ComposeProject project = LoadOrDie("compose.yml", read);
  const DeclaredService& api = ServiceNamed(project, "api");

  EXPECT_THAT(api.command, ElementsAre("gunicorn", "--workers", "4"));
  EXPECT_EQ(api.command_origin, "Dockerfile:4");
}

TEST(ComposeImport, ShellInstructionAndEscapeDirectiveApplyToShellForm) {
  ReadFileFn read = MapReader({
      {"compose.yml", "services:\n  api:\n    build:\n      context: .\n      dockerfile: win.Dockerfile\n"},
      {"win.Dockerfile",
       "# escape=`\n"
       "FROM python:3.12\n"
       "SHELL [\"/bin/bash\", \"-eu\", \"-c\"]\n"
       "CMD gunicorn `\n"
       "  -w 2 app:app\n"},
  });

  ComposeProject project = LoadOrDie("compose.yml", read);
  const DeclaredService& api = ServiceNamed(project, "api");

  EXPECT_THAT(api.command, ElementsAre("/bin/bash", "-eu", "-c", "gunicorn   -w 2 app:app"));
  EXPECT_EQ(Values(ExpectationsFromDeclaration(api))["workers"], "2");
}

TEST(ComposeImport, CmdInheritedFromABaseImageIsUnknown) {
  ReadFileFn read = MapReader({
      {"compose.yml", "services:\n  api:\n    build: .\n"},
      {"Dockerfile", "FROM tiangolo/gunicorn-base:3.11\nCOPY . /app\n"},
  });

  ComposeProject project = LoadOrDie("compose.yml", read);

  EXPECT_TRUE(ServiceNamed(project, "api").command.empty());
  ASSERT_EQ(project.warnings.size(), 1u);
  EXPECT_EQ(project.warnings[0],
            "compose.yml:3: api: its Dockerfile sets no CMD, so the CMD of the base image "
            "tiangolo/gunicorn-base:3.11 applies and is not known");
}

// --- ENTRYPOINT and CMD, compose and Dockerfile.

TEST(ComposeImport, ImageEntrypointWrapsImageCmd) {
  const std::string dir = FixtureDir("entrypoint-command");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  const DeclaredService& service = ServiceNamed(project, "image-defaults");
  ImportedExpectations imported = ExpectationsFromDeclaration(service);

  EXPECT_THAT(service.command, ElementsAre("docker-entrypoint.sh", "gunicorn", "--workers", "3", "app:app"));
  EXPECT_EQ(service.command_declared_by, "dockerfile");
  EXPECT_EQ(service.command_origin, dir + "/Dockerfile:4");
  EXPECT_EQ(Values(imported)["command"], "gunicorn --workers 3 app:app");
  EXPECT_EQ(Values(imported)["workers"], "3");
}

TEST(ComposeImport, ComposeCommandFollowsTheImageEntrypoint) {
  const std::string dir = FixtureDir("entrypoint-command");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  const DeclaredService& service = ServiceNamed(project, "compose-command");
  ImportedExpectations imported = ExpectationsFromDeclaration(service);

  EXPECT_THAT(service.command, ElementsAre("docker-entrypoint.sh", "gunicorn", "--workers", "5", "app:app"));
  EXPECT_EQ(service.command_declared_by, "compose");
  EXPECT_EQ(service.command_origin, dir + "/docker-compose.yml:6");
  corral::v1::Expectation workers = ExpectationFor(imported, "workers");
  EXPECT_EQ(workers.value(), "5");
  EXPECT_EQ(workers.declared_by(), "compose");
}

TEST(ComposeImport, ComposeEntrypointDropsTheImageCmd) {
  const std::string dir = FixtureDir("entrypoint-command");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  const DeclaredService& service = ServiceNamed(project, "compose-entrypoint");
  ImportedExpectations imported = ExpectationsFromDeclaration(service);

  EXPECT_THAT(service.command, ElementsAre("gunicorn", "--workers", "2"));
  EXPECT_EQ(service.command_origin, dir + "/docker-compose.yml:9");
  EXPECT_EQ(Values(imported),
            (std::map<std::string, std::string>{{"command", "gunicorn --workers 2"}, {"workers", "2"}}));
}

TEST(ComposeImport, ShellScriptCommandIsSearchedForGunicorn) {
  const std::string dir = FixtureDir("entrypoint-command");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  const DeclaredService& service = ServiceNamed(project, "shell-script");
  ImportedExpectations imported = ExpectationsFromDeclaration(service);

  // entrypoint sh -c plus command [script]; $$ left one $ for the shell.
  ASSERT_EQ(service.command.size(), 3u);
  EXPECT_EQ(service.command[2],
            "export WORKERS=7 && cd /srv && exec gunicorn --workers $WORKERS --timeout 60 app:app 2>&1");
  std::map<std::string, std::string> values = Values(imported);
  EXPECT_EQ(values["command"], "gunicorn --workers 7 --timeout 60 app:app");
  EXPECT_EQ(values["workers"], "7");
  EXPECT_EQ(values["timeout"], "60");
  EXPECT_EQ(values["app_uri"], "app:app");
}

TEST(ComposeImport, WrappersAndPythonLaunchersAreSeenThrough) {
  ReadFileFn read =
      MapReader({{"compose.yml",
                  "services:\n"
                  "  a:\n    image: a\n    command: tini -g -- gosu app poetry run gunicorn -w 2 m:app\n"
                  "  b:\n    image: b\n    command: python3 -u -m gunicorn --threads 4 m:app\n"
                  "  c:\n    image: c\n"
                  "    command: [\"bash\", \"-ec\", \"echo gunicorn starting; env PORT=9000 gunicorn m\"]\n"}});
  ComposeProject project = LoadOrDie("compose.yml", read);

  std::map<std::string, std::string> a = Values(ExpectationsFromDeclaration(ServiceNamed(project, "a")));
  std::map<std::string, std::string> b = Values(ExpectationsFromDeclaration(ServiceNamed(project, "b")));
  ImportedExpectations c = ExpectationsFromDeclaration(ServiceNamed(project, "c"));

  EXPECT_EQ(a["command"], "gunicorn -w 2 m:app");
  EXPECT_EQ(a["workers"], "2");
  EXPECT_EQ(b["command"], "python3 -u -m gunicorn --threads 4 m:app");
  EXPECT_EQ(b["threads"], "4");
  // `echo gunicorn` is not an invocation; the env wrapper's PORT is Gunicorn's.
  EXPECT_EQ(Values(c)["command"], "gunicorn m");
  EXPECT_EQ(Values(c)["bind"], "0.0.0.0:9000");
  EXPECT_EQ(ExpectationFor(c, "bind").origin(), "compose.yml:10");
}

TEST(ComposeImport, ShellControlWordsPipesAndExportsAreFollowed) {
  // Given scripts that reach Gunicorn through `if/then`, a pipe, and an
  // exported GUNICORN_CMD_ARGS built from a shell variable,
  ReadFileFn read =
      MapReader({{"compose.yml",
                  "services:\n"
                  "  piped:\n    image: a\n"
                  "    environment:\n      GUNICORN_CMD_ARGS: \"--workers 4 ignored:app\"\n"
                  "    command: [\"sh\", \"-c\", \"if true; then exec gunicorn m:app | tee /log; fi\"]\n"
                  "  exported:\n    image: a\n"
                  "    command: [\"/bin/sh\", \"-c\", \"W=3; export GUNICORN_CMD_ARGS=\\\"--workers $$W\\\"; "
                  "gunicorn m:app\"]\n"}});
  ComposeProject project = LoadOrDie("compose.yml", read);

  // when both become expectations,
  ImportedExpectations piped = ExpectationsFromDeclaration(ServiceNamed(project, "piped"));
  ImportedExpectations exported = ExpectationsFromDeclaration(ServiceNamed(project, "exported"));

  // then the invocation is found and GUNICORN_CMD_ARGS counts (its
  // positional does not), credited to where it was set.
  EXPECT_EQ(Values(piped), (std::map<std::string, std::string>{
                               {"app_uri", "m:app"}, {"command", "gunicorn m:app"}, {"workers", "4"}}));
  EXPECT_EQ(ExpectationFor(piped, "workers").origin(), "compose.yml:5");
  EXPECT_EQ(Values(exported)["workers"], "3");
  EXPECT_EQ(ExpectationFor(exported, "workers").origin(), "compose.yml:9");
}

TEST(ComposeImport, InlineDockerfileIsReadWithOriginsInTheComposeFile) {
  ReadFileFn read = MapReader({{"compose.yml",
                                "services:\n  api:\n    build:\n      context: .\n      dockerfile_inline: |\n"
                                "        FROM python:3.12\n"
                                "        ENV PATH=\"/venv/bin:$$PATH\" WEB_CONCURRENCY=6\n"
                                "        CMD [\"gunicorn\", \"m:app\"]\n"}});

  ComposeProject project = LoadOrDie("compose.yml", read);
  const DeclaredService& api = ServiceNamed(project, "api");
  ImportedExpectations imported = ExpectationsFromDeclaration(api);

  EXPECT_EQ(api.command_origin, "compose.yml:8");
  EXPECT_EQ(ExpectationFor(imported, "workers").value(), "6");
  EXPECT_EQ(ExpectationFor(imported, "workers").origin(), "compose.yml:7");
  // $PATH comes from the base image, which Corral cannot see.
  EXPECT_THAT(project.warnings, ElementsAre("compose.yml:7: api: ENV PATH: variable PATH is not set and has no "
                                            "default in this Dockerfile (a base image may set it); not imported"));
}

TEST(ComposeImport, CommandTextIsShellQuoted) {
  ReadFileFn read = MapReader({{"compose.yml",
                                "services:\n  api:\n    image: a\n    command: [\"gunicorn\", \"--access-logformat\", "
                                "\"%(h)s %(r)s\", \"it's:app\"]\n"}});

  ImportedExpectations imported = ExpectationsFromDeclaration(ServiceNamed(LoadOrDie("compose.yml", read), "api"));

  EXPECT_EQ(Values(imported)["command"], "gunicorn --access-logformat '%(h)s %(r)s' 'it'\"'\"'s:app'");
}

TEST(ComposeImport, FlagsOfTheNewestGunicornAreUnderstood) {
  // 22.0's --header-map, 24.0's nargs='?' --proxy-protocol, 25.0's dirty
  // pool: read with the newest release's table, no flag's value is taken
  // for the app.
  ReadFileFn read = MapReader({{"compose.yml",
                                "services:\n  api:\n    image: a\n    command: [\"gunicorn\", \"--header-map\", "
                                "\"refuse\", \"--proxy-protocol\", \"-w\", \"3\", \"--dirty-app\", \"dapp:Heavy\", "
                                "\"--dirty-workers\", \"2\", \"wsgi:application\"]\n"}});

  ImportedExpectations imported = ExpectationsFromDeclaration(ServiceNamed(LoadOrDie("compose.yml", read), "api"));

  std::map<std::string, std::string> values = Values(imported);
  EXPECT_EQ(values["app_uri"], "wsgi:application");
  EXPECT_EQ(values["workers"], "3");
  EXPECT_EQ(values["dirty_workers"], "2");
  EXPECT_EQ(values["dirty_apps"], "dapp:Heavy");
  EXPECT_TRUE(WarningsContaining(imported.warnings, "unrecognized").empty());
}

// --- Variables.

TEST(ComposeImport, VariablesComeFromTheEnvironmentThenDotEnv) {
  const std::string dir = FixtureDir("variables");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader(), Env({{"WORKERS", "6"}}));

  const DeclaredService& api = ServiceNamed(project, "api");
  ImportedExpectations imported = ExpectationsFromDeclaration(api);

  EXPECT_EQ(api.image, "api:latest");
  EXPECT_THAT(api.command,
              ElementsAre("gunicorn", "--workers", "6", "--timeout", "60", "--bind", "0.0.0.0:8000", "app:app"));
  EXPECT_EQ(api.environment.at("ESCAPED").value, "${NOT_INTERPOLATED}");
  EXPECT_EQ(api.environment.at("OPTIONAL").value, "");
  EXPECT_EQ(api.environment.count("FROM_SHELL"), 0u);
  ASSERT_TRUE(api.build_revision.has_value());
  EXPECT_EQ(api.build_revision->value, "abc123");
  EXPECT_EQ(api.build_revision->origin, dir + "/docker-compose.yml:7");
  EXPECT_FALSE(api.replicas.has_value());
  std::map<std::string, std::string> values = Values(imported);
  EXPECT_EQ(values["workers"], "6");
  EXPECT_EQ(values["timeout"], "60");
  EXPECT_EQ(values["bind"], "0.0.0.0:8000");
  EXPECT_EQ(values["build_revision"], "abc123");
  EXPECT_EQ(values.count("replicas"), 0u);
}

TEST(ComposeImport, UnsetVariablesAreWarnedAboutWithFileAndLine) {
  const std::string dir = FixtureDir("variables");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader(), Env({{"WORKERS", "6"}}));

  EXPECT_THAT(project.warnings,
              ElementsAre(dir + "/docker-compose.yml:10: api: environment.FROM_SHELL: variable HOME_DIR is not set "
                                "and has no default; this value is not used",
                          dir + "/docker-compose.yml:14: api: deploy.replicas: required variable REPLICAS is missing "
                                "a value: set REPLICAS to the production count; this value is not used"));
}

TEST(ComposeImport, UnsetVariableInTheCommandLeavesTheCommandUnknown) {
  ReadFileFn read = MapReader({{"compose.yml",
                                "services:\n  api:\n    image: api\n    command: gunicorn -w $WORKERS app:app\n"
                                "    deploy:\n      replicas: 2\n"}});

  ComposeProject project = LoadOrDie("compose.yml", read);
  ImportedExpectations imported = ExpectationsFromDeclaration(ServiceNamed(project, "api"));

  EXPECT_TRUE(ServiceNamed(project, "api").command.empty());
  EXPECT_THAT(project.warnings, ElementsAre("compose.yml:4: api: command: variable WORKERS is not set and has no "
                                            "default; this value is not used"));
  EXPECT_EQ(Values(imported), (std::map<std::string, std::string>{{"replicas", "2"}}));
}

TEST(ComposeImport, ShellVariableWithoutDeclarationDropsOnlyWhatDependsOnIt) {
  ReadFileFn read = MapReader({{"compose.yml",
                                "services:\n  api:\n    image: api\n"
                                "    command: sh -c 'exec gunicorn --workers $${WORKERS} --timeout 30 app:app'\n"}});

  ImportedExpectations imported = ExpectationsFromDeclaration(ServiceNamed(LoadOrDie("compose.yml", read), "api"));

  EXPECT_EQ(Values(imported), (std::map<std::string, std::string>{{"app_uri", "app:app"}, {"timeout", "30"}}));
  ASSERT_EQ(WarningsContaining(imported.warnings, "${WORKERS}").size(), 1u);
  EXPECT_THAT(WarningsContaining(imported.warnings, "${WORKERS}")[0], HasSubstr("compose.yml:4"));
}

TEST(ComposeImport, EnvFileAndGunicornCmdArgsAreDeclarations) {
  ReadFileFn read = MapReader({
      {"app/compose.yml",
       "services:\n  api:\n    image: api\n    env_file: ./config/api.env\n    command: gunicorn app:app\n"
       "    environment:\n      - WEB_CONCURRENCY=5\n"},
      {"app/config/api.env",
       "# tuning\nGUNICORN_CMD_ARGS=\"--timeout 90 -c /etc/gunicorn/prod.py\"\nWEB_CONCURRENCY=2\n"},
  });

  ComposeProject project = LoadOrDie("app/compose.yml", read);
  const DeclaredService& api = ServiceNamed(project, "api");
  ImportedExpectations imported = ExpectationsFromDeclaration(api);

  // environment beats env_file; GUNICORN_CMD_ARGS's origin is the env file.
  EXPECT_EQ(ExpectationFor(imported, "workers").value(), "5");
  EXPECT_EQ(ExpectationFor(imported, "workers").origin(), "app/compose.yml:7");
  EXPECT_EQ(ExpectationFor(imported, "timeout").value(), "90");
  EXPECT_EQ(ExpectationFor(imported, "timeout").origin(), "app/config/api.env:2");
  ASSERT_EQ(WarningsContaining(imported.warnings, "/etc/gunicorn/prod.py").size(), 1u);
  EXPECT_THAT(WarningsContaining(imported.warnings, "/etc/gunicorn/prod.py")[0], HasSubstr("GUNICORN_CMD_ARGS"));
}

TEST(ComposeImport, ExpectationsAreOrderedByKey) {
  ReadFileFn read =
      MapReader({{"compose.yml",
                  "services:\n  api:\n    image: api\n    command: gunicorn --timeout 5 -w 3 --preload -b "
                  ":80 app:app\n    deploy: {replicas: 2}\n"}});

  ImportedExpectations imported = ExpectationsFromDeclaration(ServiceNamed(LoadOrDie("compose.yml", read), "api"));

  std::vector<std::string> keys;
  for (const corral::v1::Expectation& e : imported.expectations.expectations()) keys.push_back(e.key());
  EXPECT_THAT(keys, ElementsAre("app_uri", "bind", "command", "preload_app", "replicas", "timeout", "workers"));
}

// --- What is not interpreted, and what is refused.

TEST(ComposeImport, ExtendsIncludeAndProfilesAreNamedInWarnings) {
  const std::string dir = FixtureDir("extends");
  ComposeProject project = LoadOrDie(dir + "/docker-compose.yml", DiskReader());

  EXPECT_THAT(project.warnings,
              ElementsAre(HasSubstr("docker-compose.yml:1: include:"),
                          dir + "/docker-compose.yml:12: web: extends base-web; what it inherits from there is not "
                                "imported",
                          dir + "/docker-compose.yml:18: debug-tools: runs only when profile debug is enabled; "
                                "imported as if it were"));
  // The merge key still gives base-web its image.
  EXPECT_EQ(ServiceNamed(project, "base-web").image, "web:1");
  EXPECT_TRUE(ServiceNamed(project, "web").command.empty());
  EXPECT_EQ(ServiceNamed(project, "web").replicas->value, "2");
}

TEST(ComposeImport, MalformedYamlIsAnErrorNamingFileAndLine) {
  const std::string dir = FixtureDir("malformed");

  absl::StatusOr<ComposeProject> project = LoadComposeProject(dir + "/docker-compose.yml", {}, DiskReader(), Env());

  ASSERT_FALSE(project.ok());
  EXPECT_EQ(project.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(project.status().message()), StartsWith(dir + "/docker-compose.yml:5:"));
  EXPECT_THAT(std::string(project.status().message()), HasSubstr("invalid YAML"));
}

TEST(ComposeImport, WrongShapeIsAnErrorNamingFileAndLine) {
  ReadFileFn read = MapReader({{"compose.yml", "services:\n  api:\n    image: api\n    environment: 3\n"}});

  absl::StatusOr<ComposeProject> project = LoadComposeProject("compose.yml", {}, read, Env());

  ASSERT_FALSE(project.ok());
  EXPECT_EQ(project.status().message(), "compose.yml:4: api: environment must be a list or a mapping");
}

TEST(ComposeImport, MissingMainFileIsNotFound) {
  absl::StatusOr<ComposeProject> project = LoadComposeProject("nowhere/compose.yml", {}, MapReader({}), Env());

  ASSERT_FALSE(project.ok());
  EXPECT_EQ(project.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(project.status().message()), HasSubstr("nowhere/compose.yml"));
}

TEST(ComposeImport, AMappingThatMergesItselfIsReadNotRecursedForever) {
  // `services` merges itself through its own anchor: yaml-cpp builds a
  // cycle, which once recursed until the stack overflowed.
  absl::StatusOr<ComposeProject> project =
      LoadComposeProject("/p/compose.yaml", {},
                         MapReader({{"/p/compose.yaml", "services: &s\n  <<: *s\n  web:\n    image: web\n"}}), Env());
  ASSERT_TRUE(project.ok()) << project.status();
  ASSERT_EQ(project->services.size(), 1u);
  EXPECT_EQ(project->services[0].name, "web");
}

}  // namespace
}  // namespace corral::compose
