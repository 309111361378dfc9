// Corral in real containers: the project's images (built by suite.sh setup
// from docker/Dockerfile, as a user builds them) and compose stacks run by
// docker-compose on Debian's podman. The incident is reproduced for real: an
// image built from a stale CMD, a Dockerfile fixed without a rebuild.
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "corral/v1/fleet.pb.h"
#include "gtest/gtest.h"
#include "tests/containers/engine_client.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/subprocess.h"

namespace corral::testing {
namespace {

// One compose project: its file(s), its own name (so stacks never share
// containers or volumes) and host ports picked free for this run.
class Stack {
 public:
  Stack(std::string name, std::vector<std::string> files) : name_(std::move(name)), files_(std::move(files)) {
    env_ = EngineEnv();
    for (const char* port : {"APP_PORT", "CORRAL_GRPC_PORT", "CORRAL_HTTP_PORT", "PROMETHEUS_PORT"}) {
      ports_[port] = FreePort();
      env_.emplace_back(port, std::to_string(ports_[port]));
    }
    // What an earlier run that died left behind.
    if (Compose({"down", "--volumes", "--timeout", "1"}, absl::Seconds(120)).exit_code != 0) {
      Compose({"down", "--volumes", "--timeout", "1"}, absl::Seconds(120));
    }
  }
  ~Stack() {
    // podman refuses to remove a container another one shares the PID
    // namespace of while both go in parallel: the second pass finds the
    // sidecar gone.
    RunResult down = Compose({"down", "--volumes", "--timeout", "5"}, absl::Seconds(120));
    if (down.exit_code != 0) down = Compose({"down", "--volumes", "--timeout", "5"}, absl::Seconds(120));
    if (down.exit_code != 0) ADD_FAILURE() << "compose down: " << down.out << down.err;
  }

  RunResult Compose(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(300)) const {
    std::vector<std::string> argv = {"docker-compose", "-p", name_};
    for (const std::string& f : files_) argv.insert(argv.end(), {"-f", f});
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, env_, "", timeout);
  }

  // A container engine command (podman) with the same configuration.
  RunResult Engine(std::vector<std::string> args) const {
    args.insert(args.begin(), "podman");
    return RunCommand(args, env_);
  }

  std::string server() const { return absl::StrCat("127.0.0.1:", ports_.at("CORRAL_GRPC_PORT")); }
  std::string http() const { return absl::StrCat("127.0.0.1:", ports_.at("CORRAL_HTTP_PORT")); }
  int port(const std::string& name) const { return ports_.at(name); }
  const std::string& name() const { return name_; }

  // The full id of a service's (first) container.
  std::string ContainerId(const std::string& service) const {
    RunResult ps = Compose({"ps", "-q", service});
    std::string id(absl::StripAsciiWhitespace(ps.out));
    RunResult inspect = Engine({"inspect", "--format", "{{.Id}}", id});
    return std::string(absl::StripAsciiWhitespace(inspect.out));
  }

 private:
  std::string name_;
  std::vector<std::string> files_;
  std::map<std::string, int> ports_;
  std::vector<std::pair<std::string, std::string>> env_;
};

corral::v1::ServiceDetail Service(const Stack& stack, const std::string& service) {
  RunResult r = Corral({"service", service, "--json"}, stack.server());
  if (r.exit_code != 0) return {};
  return Parse<corral::v1::ServiceDetail>(r.out);
}

bool HasFinding(const corral::v1::ServiceDetail& detail, const std::string& rule) {
  for (const auto& f : detail.findings()) {
    if (f.rule() == rule) return true;
  }
  return false;
}

// The incident's repository, in a temporary directory: a compose file whose
// api-backend is built from services/api-backend/Dockerfile.dev, with the
// agent as its sidecar and corral-server from the suite's images.
struct IncidentRepo {
  std::string dir;
  std::string compose;
  std::string dockerfile;
};

constexpr char kGoodCmd[] =
    "CMD [\"gunicorn\", \"--workers\", \"3\", \"--timeout\", \"120\", \"--preload\", \"--bind\", \"0.0.0.0:8000\", "
    "\"wsgi:application\"]\n";
constexpr char kStaleCmd[] =
    "CMD [\"gunicorn\", \"--workers\", \"1\", \"--bind\", \"0.0.0.0:8000\", \"--reload\", \"app:app\"]\n";

void WriteDockerfile(const IncidentRepo& repo, const char* cmd) {
  WriteFile(repo.dockerfile, absl::StrCat("FROM localhost/corral-example-app:test\n"
                                          "WORKDIR /app\n"
                                          "COPY wsgi.py app.py ./\n",
                                          cmd));
}

IncidentRepo MakeIncidentRepo(const std::string& agent_extra = "") {
  IncidentRepo repo;
  repo.dir = MakeTempDir("incident-repo");
  repo.compose = repo.dir + "/docker-compose.yml";
  repo.dockerfile = repo.dir + "/services/api-backend/Dockerfile.dev";
  WriteFile(repo.dir + "/services/api-backend/app.py",
            "def app(environ, start_response):\n"
            "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
            "    return [b'ok\\n']\n");
  WriteFile(repo.dir + "/services/api-backend/wsgi.py", "from app import app\n\napplication = app\n");
  WriteFile(repo.compose, absl::StrCat(R"(services:
  api-backend:
    build:
      context: ./services/api-backend
      dockerfile: Dockerfile.dev
    ports:
      - "${APP_PORT}:8000"
  api-backend-corral:
    image: localhost/corral-agent:test
    pid: "service:api-backend"
    cap_add: [SYS_PTRACE]
    environment:
      CORRAL_SERVER: corral-server:7400
      CORRAL_SERVICE: api-backend
      CORRAL_INTERVAL: 1s
)",
                                       agent_extra, R"(    depends_on: [api-backend, corral-server]
  corral-server:
    image: localhost/corral-server:test
    # Agents sample every second here; the history's warm-up after a start
    # is three of their intervals.
    environment: {CORRAL_AGENT_INTERVAL: 1s}
    ports:
      - "${CORRAL_GRPC_PORT}:7400"
      - "${CORRAL_HTTP_PORT}:7401"
    volumes:
      - corral-data:/var/lib/corral
volumes:
  corral-data:
)"));
  return repo;
}

TEST(Containers, TheExampleStackReportsTheAppsGunicornThroughTheSidecar) {
  // The project suite.sh built the images under: compose finds them by name.
  Stack stack("corraltest-images",
              {SourceDir() + "/docker/compose.yaml", SourceDir() + "/docker/compose.debian-prometheus.yaml"});
  RunResult up = stack.Compose({"up", "-d", "--no-build"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  corral::v1::ServiceDetail detail;
  ASSERT_TRUE(WaitFor(
      [&] {
        detail = Service(stack, "api-backend");
        return detail.replicas_size() == 1 && detail.replicas(0).live_workers() == 3;
      },
      absl::Seconds(60)))
      << stack.Compose({"logs", "--tail", "30"}).out;
  const corral::v1::InstanceSummary& replica = detail.replicas(0);
  // The sidecar names the instance after its container (the short id, as
  // docker ps shows it).
  EXPECT_EQ(replica.instance(), stack.ContainerId("api-backend-corral").substr(0, 12));
  EXPECT_EQ(replica.state(), "online");
  EXPECT_EQ(replica.configured_workers(), 3);
  EXPECT_EQ(replica.app_uri(), "wsgi:application");
  EXPECT_EQ(replica.gunicorn_version(), "20.1.0");

  RunResult status = Corral({"status"}, stack.server());
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_TRUE(absl::StrContains(status.out, "api-backend")) << status.out;
  RunResult check = Corral({"check"}, stack.server());
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  RunResult metrics = RunCommand({"curl", "-sf", "http://" + stack.http() + "/metrics"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_TRUE(absl::StrContains(metrics.out, "corral_instance_live_workers{")) << metrics.out;
  EXPECT_TRUE(absl::StrContains(metrics.out, "service=\"api-backend\"")) << metrics.out;

  // Prometheus, built from Debian's package, scrapes the server in the stack.
  std::string query = absl::StrCat("http://127.0.0.1:", stack.port("PROMETHEUS_PORT"),
                                   "/api/v1/query?query=corral_instance_live_workers");
  EXPECT_TRUE(WaitFor(
      [&] {
        RunResult r = RunCommand({"curl", "-sf", query});
        return r.exit_code == 0 && absl::StrContains(r.out, "\"api-backend\"");
      },
      absl::Seconds(90)))
      << stack.Compose({"logs", "--tail", "20", "prometheus"}).out;
  // ... and evaluates the incident's alerts: expecting more workers than run
  // fires the workers alert for this replica.
  ASSERT_EQ(Corral({"expect", "set", "api-backend", "workers=5"}, stack.server()).exit_code, 0);
  std::string alerts = absl::StrCat("http://127.0.0.1:", stack.port("PROMETHEUS_PORT"), "/api/v1/alerts");
  RunResult firing;
  EXPECT_TRUE(WaitFor(
      [&] {
        firing = RunCommand({"curl", "-sf", alerts});
        return firing.exit_code == 0 && absl::StrContains(firing.out, "\"alertname\":\"CorralWorkersBelowExpected\"") &&
               absl::StrContains(firing.out, "\"state\":\"firing\"");
      },
      absl::Seconds(120)))
      << firing.out;
  EXPECT_TRUE(absl::StrContains(firing.out, replica.instance())) << firing.out;
}

TEST(Containers, TheIncidentAStaleImageFoundDiagnosedAndClearedByARebuild) {
  IncidentRepo repo = MakeIncidentRepo();
  Stack stack("corraltest-incident", {repo.compose});
  // The image is built from the old CMD; then the Dockerfile is fixed, and
  // nothing rebuilds it.
  WriteDockerfile(repo, kStaleCmd);
  RunResult build = stack.Compose({"build", "api-backend"});
  ASSERT_EQ(build.exit_code, 0) << build.out << build.err;
  WriteDockerfile(repo, kGoodCmd);
  RunResult up = stack.Compose({"up", "-d"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  ASSERT_TRUE(WaitFor([&] { return Service(stack, "api-backend").replicas_size() == 1; }, absl::Seconds(60)))
      << stack.Compose({"logs", "--tail", "30"}).out;

  RunResult imported = Corral({"expect", "import", repo.compose}, stack.server());
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  corral::v1::ServiceDetail detail;
  ASSERT_TRUE(WaitFor(
      [&] {
        detail = Service(stack, "api-backend");
        // The stale image's one worker may still be booting.
        return HasFinding(detail, "STALE_IMAGE") && detail.replicas_size() == 1 &&
               detail.replicas(0).live_workers() == 1;
      },
      absl::Seconds(30)))
      << detail.DebugString();
  std::string replica = detail.replicas(0).instance();
  RunResult check = Corral({"check"}, stack.server());
  EXPECT_EQ(check.exit_code, 1) << check.out;
  EXPECT_TRUE(absl::StrContains(check.out, "STALE_IMAGE")) << check.out;
  RunResult diagnose = Corral({"diagnose", "api-backend", "--json"}, stack.server());
  EXPECT_EQ(diagnose.exit_code, 1) << diagnose.out << diagnose.err;
  corral::v1::Diagnosis diagnosis = Parse<corral::v1::Diagnosis>(diagnose.out);
  bool stale_confirmed = false;
  for (const auto& h : diagnosis.hypotheses()) {
    if (h.id() != "stale_image") continue;
    stale_confirmed = h.verdict() == "confirmed";
    EXPECT_TRUE(absl::StrContains(h.fix(), "--no-cache")) << h.fix();
    EXPECT_NE(std::find(h.instances().begin(), h.instances().end(), replica), h.instances().end())
        << absl::StrJoin(h.instances(), ",");
  }
  EXPECT_TRUE(stale_confirmed) << diagnose.out;
  // The history records it (once the server's warm-up after its start is
  // over: three agent intervals).
  auto history_has = [&](const std::string& kind, const std::string& rule) {
    RunResult history = Corral({"history", "--service", "api-backend", "--json"}, stack.server());
    corral::v1::HistoryResponse events = Parse<corral::v1::HistoryResponse>(history.out);
    for (const auto& e : events.events()) {
      if (e.kind() == kind && e.rule() == rule) return true;
    }
    return false;
  };
  EXPECT_TRUE(WaitFor([&] { return history_has("finding_opened", "STALE_IMAGE"); }, absl::Seconds(30)));

  // The fix: rebuild without cache and recreate.
  RunResult rebuild = stack.Compose({"build", "--no-cache", "api-backend"});
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.out << rebuild.err;
  // podman will not remove a container whose PID namespace a sidecar
  // joined: the sidecar goes first (SIGTERM: it leaves), then both come back.
  RunResult sidecar = stack.Compose({"rm", "--stop", "--force", "api-backend-corral"});
  ASSERT_EQ(sidecar.exit_code, 0) << sidecar.out << sidecar.err;
  RunResult recreate = stack.Compose({"up", "-d"});
  ASSERT_EQ(recreate.exit_code, 0) << recreate.out << recreate.err;
  // Cleared within two agent intervals of the new container reporting; the
  // recreated sidecar's old instance left: one replica, not two.
  ASSERT_TRUE(WaitFor(
      [&] {
        detail = Service(stack, "api-backend");
        return detail.replicas_size() == 1 && detail.replicas(0).live_workers() == 3 &&
               !HasFinding(detail, "STALE_IMAGE");
      },
      absl::Seconds(60)))
      << detail.DebugString();
  EXPECT_EQ(detail.summary().replicas_total(), 1);
  EXPECT_EQ(Corral({"check"}, stack.server()).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return history_has("finding_resolved", "STALE_IMAGE"); }, absl::Seconds(30)));
  EXPECT_TRUE(history_has("instance_stopped", ""));
}

TEST(Containers, ARestartedServerContainerKeepsItsStateAndTheAgentsComeBack) {
  IncidentRepo repo = MakeIncidentRepo();
  WriteDockerfile(repo, kGoodCmd);
  Stack stack("corraltest-restart", {repo.compose});
  RunResult up = stack.Compose({"up", "-d", "--build"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  ASSERT_TRUE(WaitFor([&] { return Service(stack, "api-backend").replicas_size() == 1; }, absl::Seconds(60)));
  ASSERT_EQ(Corral({"expect", "set", "api-backend", "workers=3", "timeout=120"}, stack.server()).exit_code, 0);
  RunResult restart = stack.Compose({"restart", "corral-server"});
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  // The agent reconnects by itself; expectations and history are on the
  // named volume.
  ASSERT_TRUE(WaitFor(
      [&] {
        corral::v1::ServiceDetail d = Service(stack, "api-backend");
        return d.replicas_size() == 1 && d.replicas(0).state() == "online";
      },
      absl::Seconds(60)));
  RunResult expected = Corral({"expect", "show", "api-backend"}, stack.server());
  EXPECT_TRUE(absl::StrContains(expected.out, "timeout")) << expected.out;
  EXPECT_TRUE(absl::StrContains(expected.out, "120")) << expected.out;
  RunResult history = Corral({"history", "--json"}, stack.server());
  corral::v1::HistoryResponse events = Parse<corral::v1::HistoryResponse>(history.out);
  int starts = 0;
  bool expectation = false;
  for (const auto& e : events.events()) {
    starts += e.kind() == "server_started";
    expectation = expectation || e.kind() == "expectation_changed";
  }
  EXPECT_EQ(starts, 2) << history.out;
  EXPECT_TRUE(expectation) << history.out;
}

// A stack of the app images in tests/containers/apps, built from there.
std::string AppsDir() { return SourceDir() + "/tests/containers/apps"; }

TEST(Containers, AReplicaScaledUpFromAStaleImageIsTheOneThatDisagrees) {
  // The agent runs inside each replica (apps/Dockerfile.embedded), so each
  // replica is an instance. The build context is a copy whose Dockerfile
  // the test rewrites, as a repository changes between two builds.
  std::string dir = MakeTempDir("scale");
  for (const char* file : {"app.py", "wsgi.py"}) {
    WriteFile(absl::StrCat(dir, "/app/", file), ReadLog(absl::StrCat(AppsDir(), "/", file)));
  }
  const std::string embedded = ReadLog(AppsDir() + "/Dockerfile.embedded");
  auto write_dockerfile = [&](const std::string& workers) {
    WriteFile(dir + "/app/Dockerfile",
              absl::StrReplaceAll(embedded, {{"ENV WORKERS=3", absl::StrCat("ENV WORKERS=", workers)}}));
  };
  std::string compose = dir + "/compose.yml";
  WriteFile(compose, R"(services:
  api-backend:
    image: localhost/corraltest-embedded:latest
    build: ./app
    environment:
      CORRAL_SERVER: corral-server:7400
      CORRAL_SERVICE: api-backend
      CORRAL_INTERVAL: 1s
    depends_on: [corral-server]
  corral-server:
    image: localhost/corral-server:test
    ports:
      - "${CORRAL_GRPC_PORT}:7400"
)");
  Stack stack("corraltest-scale", {compose});
  auto compose_ok = [&](std::vector<std::string> args) {
    RunResult r = stack.Compose(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  };
  write_dockerfile("3");
  compose_ok({"build", "api-backend"});
  compose_ok({"up", "-d", "--scale", "api-backend=2"});
  corral::v1::ServiceDetail detail;
  ASSERT_TRUE(WaitFor(
      [&] {
        detail = Service(stack, "api-backend");
        return detail.replicas_size() == 2 && detail.replicas(0).live_workers() == 3 &&
               detail.replicas(1).live_workers() == 3;
      },
      absl::Seconds(60)))
      << detail.DebugString();
  // The image is rebuilt from an older declaration; scaling up without
  // recreating starts the third replica from it.
  write_dockerfile("1");
  compose_ok({"build", "api-backend"});
  compose_ok({"up", "-d", "--no-recreate", "--scale", "api-backend=3"});
  std::string stale;
  ASSERT_TRUE(WaitFor(
      [&] {
        detail = Service(stack, "api-backend");
        stale.clear();
        int good = 0;
        for (const auto& r : detail.replicas()) {
          if (r.live_workers() == 1) stale = r.instance();
          good += r.live_workers() == 3;
        }
        return detail.replicas_size() == 3 && good == 2 && !stale.empty() && HasFinding(detail, "REPLICAS_DISAGREE");
      },
      absl::Seconds(60)))
      << detail.DebugString();
  for (const auto& f : detail.findings()) {
    if (f.rule() != "REPLICAS_DISAGREE") continue;
    EXPECT_EQ(f.instance(), stale) << f.message();
    EXPECT_TRUE(absl::StrContains(f.message(), absl::StrCat("api-backend/", stale))) << f.message();
  }
}

TEST(Containers, WithoutPtraceAgainstAnotherUsersGunicornWorkersAreCountedAndTheRestIsUnknownWithTheReason) {
  IncidentRepo repo = MakeIncidentRepo();
  WriteDockerfile(repo, kGoodCmd);
  // Gunicorn as nobody; the sidecar without SYS_PTRACE.
  std::string text = ReadLog(repo.compose);
  text = absl::StrReplaceAll(
      text, {{"    cap_add: [SYS_PTRACE]\n", ""},
             {"      dockerfile: Dockerfile.dev\n", "      dockerfile: Dockerfile.dev\n    user: \"65534:65534\"\n"}});
  WriteFile(repo.compose, text);
  Stack stack("corraltest-noptrace", {repo.compose});
  RunResult up = stack.Compose({"up", "-d", "--build"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  corral::v1::InstanceList list;
  ASSERT_TRUE(WaitFor(
      [&] {
        list = Parse<corral::v1::InstanceList>(Corral({"instances", "--json"}, stack.server()).out);
        return list.instances_size() == 1 && list.instances(0).live_workers() == 3;
      },
      absl::Seconds(60)))
      << list.DebugString() << stack.Compose({"logs", "--tail", "20"}).out;
  // The command line is world-readable: its flags are known.
  EXPECT_EQ(list.instances(0).configured_workers(), 3);
  RunResult diagnose = Corral({"diagnose", "api-backend", "--json"}, stack.server());
  corral::v1::Diagnosis diagnosis = Parse<corral::v1::Diagnosis>(diagnose.out);
  bool said_why = false;
  for (const auto& h : diagnosis.hypotheses()) {
    if (h.id() != "permissions") continue;
    for (const std::string& line : h.evidence()) {
      said_why = said_why || absl::StrContains(line, "permission denied");
    }
  }
  EXPECT_TRUE(said_why) << diagnose.out;
}

TEST(Containers, TheExactConfigHookThroughASharedVolume) {
  std::string dir = MakeTempDir("hooked");
  std::string compose = dir + "/compose.yml";
  WriteFile(compose, absl::StrCat(R"(services:
  web:
    image: localhost/corraltest-hooked:latest
    build:
      context: )",
                                  AppsDir(), R"(
      dockerfile: Dockerfile.hooked
    volumes: [web-corral-hook:/run/corral]
    environment: {CORRAL_HOOK_DIR: /run/corral}
  web-corral:
    image: localhost/corral-agent:test
    pid: "service:web"
    volumes: [web-corral-hook:/run/corral]
    command: ["--hook-dir", "/run/corral"]
    environment: {CORRAL_SERVER: "corral-server:7400", CORRAL_SERVICE: web, CORRAL_INTERVAL: 1s}
    depends_on: [web, corral-server]
  corral-server:
    image: localhost/corral-server:test
    ports:
      - "${CORRAL_GRPC_PORT}:7400"
volumes:
  web-corral-hook: {}
)"));
  Stack stack("corraltest-hook", {compose});
  RunResult up = stack.Compose({"up", "-d", "--build"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  corral::v1::InstanceList list;
  ASSERT_TRUE(WaitFor(
      [&] {
        list = Parse<corral::v1::InstanceList>(Corral({"instances", "--json"}, stack.server()).out);
        return list.instances_size() == 1 && list.instances(0).workers_source() == "hook" &&
               list.instances(0).live_workers() == 2;
      },
      absl::Seconds(60)))
      << list.DebugString() << stack.Compose({"logs", "--tail", "20"}).out;
  EXPECT_EQ(list.instances(0).configured_workers(), 2);
  EXPECT_EQ(list.instances(0).live_workers(), 2);
}

TEST(Containers, TheBuildContextLeavesOutBuildOutputAndHistory) {
  // What the engine receives as docker/Dockerfile's context, copied whole
  // into an image: .dockerignore keeps build/ (hundreds of MB after a
  // build), .git and the tests out.
  std::string dir = MakeTempDir("context");
  WriteFile(dir + "/Dockerfile", "FROM scratch\nCOPY . /context/\n");
  std::vector<std::pair<std::string, std::string>> env = EngineEnv();
  RunResult build = RunCommand(
      {"podman", "build", "-q", "-f", dir + "/Dockerfile", "-t", "localhost/corraltest-context", SourceDir()}, env, "",
      absl::Seconds(300));
  ASSERT_EQ(build.exit_code, 0) << build.out << build.err;
  RunResult size =
      RunCommand({"podman", "image", "inspect", "--format", "{{.Size}}", "localhost/corraltest-context"}, env);
  int64_t bytes = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(size.out), &bytes)) << size.out << size.err;
  EXPECT_LT(bytes, 20 << 20) << "the build context is " << bytes << " bytes";
  RunResult listing = RunCommand(
      {"podman", "run", "--rm", "--entrypoint", "/usr/local/bin/corral", "localhost/corral-agent:test", "--help"}, env);
  EXPECT_EQ(listing.exit_code, 0);
  // Nothing from build/, .git or tests/ made it in.
  RunResult save = RunCommand({"sh", "-c",
                               "podman save localhost/corraltest-context | tar -xO --wildcards '*.tar' 2>/dev/null | "
                               "tar -t 2>/dev/null | grep -E '^context/(build|\\.git|tests)/' | head -3"},
                              env, "", absl::Seconds(120));
  EXPECT_EQ(absl::StripAsciiWhitespace(save.out), "") << save.out;
  RunCommand({"podman", "rmi", "-f", "localhost/corraltest-context"}, env);
}

}  // namespace
}  // namespace corral::testing
