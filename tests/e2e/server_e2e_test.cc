// corral-server as a process: security (bearer token, TLS, mutual TLS),
// refusal of bad input while others keep being served, stock gRPC tooling,
// and graceful shutdown. Agents here read the fixture proc tree.
#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "corral/v1/collector.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::BinPath;
using corral::testing::Corral;
using corral::testing::OnlineInstances;
using corral::testing::Process;
using corral::testing::RunCommand;
using corral::testing::RunResult;
using corral::testing::ServerProcess;
using corral::testing::WaitFor;

std::string Fixture() { return corral::testing::SourceDir() + "/tests/fixtures/proc-fleet"; }

RunResult AgentOnce(const std::string& server, const std::string& instance, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {
      BinPath("corral-agent"), "--once",  "--server",   server, "--service", "api", "--instance", instance,
      "--proc-root",           Fixture(), "--interval", "1s"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunCommand(argv);
}

TEST(ServerE2E, BearerTokenIsRequiredOnReportsAndQueries) {
  std::string dir = corral::testing::MakeTempDir("token");
  corral::testing::WriteFile(dir + "/token", "s3cret\n");
  corral::testing::WriteFile(dir + "/wrong", "guess\n");
  auto server = ServerProcess::Start(dir, {"--token-file", dir + "/token"});

  RunResult refused = AgentOnce(server->address(), "intruder", {"--token-file", dir + "/wrong"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("UNAUTHENTICATED: wrong bearer token"), std::string::npos) << refused.err;
  RunResult anonymous = AgentOnce(server->address(), "anonymous");
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_NE(anonymous.err.find("missing bearer token"), std::string::npos) << anonymous.err;
  RunResult welcome = AgentOnce(server->address(), "member", {"--token-file", dir + "/token"});
  EXPECT_EQ(welcome.exit_code, 0) << welcome.err;

  RunResult no_token = Corral({"instances"}, server->address());
  EXPECT_EQ(no_token.exit_code, 2);
  EXPECT_NE(no_token.err.find("corral-server at " + server->address() + " refused the call: missing bearer token"),
            std::string::npos)
      << no_token.err;
  EXPECT_EQ(Corral({"instances", "--token-file", dir + "/wrong"}, server->address()).exit_code, 2);
  RunResult listed = Corral({"instances", "--token-file", dir + "/token"}, server->address());
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("member"), std::string::npos);
  EXPECT_EQ(listed.out.find("intruder"), std::string::npos);
  EXPECT_EQ(listed.out.find("anonymous"), std::string::npos);

  // A streaming agent with the wrong token never shows up either.
  auto agent =
      Process::Start({BinPath("corral-agent"), "--server", server->address(), "--service", "api", "--instance",
                      "streamer", "--proc-root", Fixture(), "--interval", "200ms", "--token-file", dir + "/wrong"},
                     {}, dir + "/agent.log");
  EXPECT_TRUE(WaitFor([&] { return absl::StrContains(agent->Log(), "UNAUTHENTICATED"); }, absl::Seconds(10)))
      << agent->Log();
  EXPECT_EQ(Corral({"instances", "--token-file", dir + "/token"}, server->address()).out.find("streamer"),
            std::string::npos);
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made
// with openssl for this test.
struct Pki {
  std::string dir;
  std::string ca, server_cert, server_key, client_cert, client_key;
};

Pki MakePki(const std::string& dir) {
  auto run = [&](const std::string& script) {
    RunResult r = RunCommand({"/bin/sh", "-c", script}, {}, dir);
    EXPECT_EQ(r.exit_code, 0) << script << "\n" << r.err;
  };
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  run("openssl req -x509 " + ec + " -keyout ca.key -out ca.pem -days 1 -subj /CN=corral-test-ca 2>/dev/null");
  for (const std::string& who : {std::string("server"), std::string("client")}) {
    run("openssl req " + ec + " -keyout " + who + ".key -out " + who + ".csr -subj /CN=" + who + " 2>/dev/null");
    corral::testing::WriteFile(dir + "/" + who + ".ext", who == "server" ? "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                                                         : "extendedKeyUsage=clientAuth\n");
    run("openssl x509 -req -in " + who + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -out " + who +
        ".pem -days 1 -extfile " + who + ".ext 2>/dev/null");
  }
  return {dir, dir + "/ca.pem", dir + "/server.pem", dir + "/server.key", dir + "/client.pem", dir + "/client.key"};
}

TEST(ServerE2E, TlsAndMutualTlsWithACaMadeAtTestTime) {
  std::string dir = corral::testing::MakeTempDir("tls");
  Pki pki = MakePki(dir);

  auto tls = ServerProcess::Start(dir + "", {"--tls-cert", pki.server_cert, "--tls-key", pki.server_key});
  EXPECT_EQ(Corral({"instances"}, tls->address()).exit_code, 2);  // plaintext client, TLS server
  EXPECT_EQ(AgentOnce(tls->address(), "tls-agent", {"--tls-ca", pki.ca}).exit_code, 0);
  RunResult listed = Corral({"instances", "--tls-ca", pki.ca}, tls->address());
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("tls-agent"), std::string::npos);
  tls.reset();

  std::string mdir = corral::testing::MakeTempDir("mtls");
  auto mtls =
      ServerProcess::Start(mdir, {"--tls-cert", pki.server_cert, "--tls-key", pki.server_key, "--tls-ca", pki.ca});
  EXPECT_EQ(Corral({"instances", "--tls-ca", pki.ca}, mtls->address()).exit_code, 2);  // no client certificate
  EXPECT_EQ(AgentOnce(mtls->address(), "no-cert", {"--tls-ca", pki.ca}).exit_code, 1);
  EXPECT_EQ(AgentOnce(mtls->address(), "with-cert",
                      {"--tls-ca", pki.ca, "--tls-cert", pki.client_cert, "--tls-key", pki.client_key})
                .exit_code,
            0);
  RunResult mlisted = Corral(
      {"instances", "--tls-ca", pki.ca, "--tls-cert", pki.client_cert, "--tls-key", pki.client_key}, mtls->address());
  EXPECT_EQ(mlisted.exit_code, 0) << mlisted.err;
  EXPECT_NE(mlisted.out.find("with-cert"), std::string::npos);
  EXPECT_EQ(mlisted.out.find("no-cert"), std::string::npos);
}

// curl's status code and body; "000" when no HTTP answer came.
std::pair<std::string, std::string> Fetch(const std::string& url, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"curl", "-s", "--max-time", "5", "-w", "\n%{http_code}", url};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunResult r = RunCommand(argv);
  size_t cut = r.out.rfind('\n');
  if (cut == std::string::npos) return {"000", ""};
  return {r.out.substr(cut + 1), r.out.substr(0, cut)};
}

TEST(ServerE2E, MetricsNeedTheTokenHealthzDoesNotAndHttpsServesBoth) {
  std::string dir = corral::testing::MakeTempDir("httpauth");
  corral::testing::WriteFile(dir + "/token", "s3cret\n");
  auto server = ServerProcess::Start(dir, {"--token-file", dir + "/token"});
  ASSERT_EQ(AgentOnce(server->address(), "member", {"--token-file", dir + "/token"}).exit_code, 0);
  std::string base = "http://" + server->http_address();
  EXPECT_EQ(Fetch(base + "/metrics"),
            std::make_pair(std::string("401"),
                           std::string("missing bearer token (Authorization: Bearer TOKEN, or log in at /login)\n")));
  EXPECT_EQ(Fetch(base + "/metrics", {"-H", "Authorization: Bearer guess"}),
            std::make_pair(std::string("401"), std::string("wrong bearer token\n")));
  // Any other path is behind the token too; only /healthz (and the pages'
  // login form and assets, tests/server/web/web_routes_test.cc) are open.
  EXPECT_EQ(Fetch(base + "/anything").first, "401");
  EXPECT_EQ(Fetch(base + "/healthz"), std::make_pair(std::string("200"), std::string("ok\n")));
  std::pair<std::string, std::string> metrics = Fetch(base + "/metrics", {"-H", "Authorization: Bearer s3cret"});
  EXPECT_EQ(metrics.first, "200");
  EXPECT_TRUE(absl::StrContains(metrics.second, "instance=\"member\"")) << metrics.second;
  EXPECT_TRUE(
      absl::StrContains(server->process().Log(), "(pages ask for the token; /metrics needs it as a bearer token)"));
  EXPECT_FALSE(absl::StrContains(server->process().Log(), "beyond loopback")) << "it listens on 127.0.0.1 only";
  server.reset();

  // HTTPS with a certificate made now; plain HTTP gets no answer there.
  std::string tls_dir = corral::testing::MakeTempDir("https");
  Pki pki = MakePki(tls_dir);
  auto https = ServerProcess::Start(
      tls_dir, {"--token-file", dir + "/token", "--http-tls-cert", pki.server_cert, "--http-tls-key", pki.server_key});
  ASSERT_TRUE(absl::StrContains(https->process().Log(), "/healthz on https://127.0.0.1:")) << https->process().Log();
  std::string secure = "https://" + https->http_address();
  EXPECT_EQ(Fetch(secure + "/healthz", {"--cacert", pki.ca}), std::make_pair(std::string("200"), std::string("ok\n")));
  EXPECT_EQ(Fetch(secure + "/metrics", {"--cacert", pki.ca}).first, "401");
  metrics = Fetch(secure + "/metrics", {"--cacert", pki.ca, "-H", "Authorization: Bearer s3cret"});
  EXPECT_EQ(metrics.first, "200");
  EXPECT_TRUE(absl::StrContains(metrics.second, "# TYPE corral_")) << metrics.second;
  EXPECT_NE(Fetch("http://" + https->http_address() + "/healthz").first, "200");
  https.reset();

  // Files that cannot serve HTTPS stop the start, naming them, before the
  // gRPC ports open: a server stopped with its collector's queues still
  // polling once crashed on the way out.
  RunResult unreadable =
      RunCommand({BinPath("corral-server"), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir",
                  tls_dir + "/d2", "--http-tls-cert", tls_dir + "/missing.pem", "--http-tls-key", pki.server_key});
  EXPECT_EQ(unreadable.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(unreadable.err, "--http-tls-cert " + tls_dir + "/missing.pem: cannot be read"))
      << unreadable.err;
  EXPECT_FALSE(absl::StrContains(unreadable.err, "listening on")) << unreadable.err;
  RunResult mismatched =
      RunCommand({BinPath("corral-server"), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir",
                  tls_dir + "/d3", "--http-tls-cert", pki.server_cert, "--http-tls-key", pki.client_key});
  EXPECT_EQ(mismatched.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(mismatched.err, "the key does not belong to the certificate")) << mismatched.err;
  EXPECT_FALSE(absl::StrContains(mismatched.err, "listening on")) << mismatched.err;
  RunResult alone = RunCommand({BinPath("corral-server"), "--http-tls-cert", pki.server_cert});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(alone.err, "--http-tls-cert and --http-tls-key go together")) << alone.err;
}

// An address already taken stops the start with exit 2. Both libraries
// bind with SO_REUSEPORT unless told not to, and a second server then
// shared the first one's ports, each seeing part of the fleet. The gRPC
// case runs after the HTTP endpoint opened, which an endpoint stopped
// before its listening loop began once kept alive forever.
TEST(ServerE2E, AnAddressInUseStopsTheStart) {
  std::string dir = corral::testing::MakeTempDir("in-use");
  auto first = ServerProcess::Start(dir);
  for (int i = 0; i < 5; ++i) {
    RunResult second = RunCommand({BinPath("corral-server"), "--listen", first->address(), "--http", "127.0.0.1:0",
                                   "--data-dir", absl::StrCat(dir, "/grpc", i)},
                                  {}, "", absl::Seconds(20));
    EXPECT_EQ(second.exit_code, 2) << second.err;
    EXPECT_TRUE(absl::StrContains(second.err, "cannot listen on " + first->address())) << second.err;
  }
  RunResult second = RunCommand({BinPath("corral-server"), "--listen", "127.0.0.1:0", "--http", first->http_address(),
                                 "--data-dir", dir + "/http"},
                                {}, "", absl::Seconds(20));
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_TRUE(absl::StrContains(second.err, "cannot listen on http://" + first->http_address())) << second.err;
}

TEST(ServerE2E, ListeningBeyondLoopbackWithoutATokenIsWarnedAbout) {
  std::string dir = corral::testing::MakeTempDir("exposed");
  auto open = ServerProcess::Start(dir, {"--http", "0.0.0.0:0"});
  EXPECT_TRUE(absl::StrContains(open->process().Log(), "listening beyond loopback on 0.0.0.0:0 with no token"))
      << open->process().Log();
  open.reset();
  corral::testing::WriteFile(dir + "/token", "s3cret\n");
  auto guarded = ServerProcess::Start(dir, {"--http", "0.0.0.0:0", "--token-file", dir + "/token"});
  EXPECT_FALSE(absl::StrContains(guarded->process().Log(), "beyond loopback")) << guarded->process().Log();
}

corral::v1::Snapshot Valid(const std::string& instance) {
  corral::v1::Snapshot s;
  s.mutable_agent()->set_service("api");
  s.mutable_agent()->set_instance(instance);
  s.mutable_agent()->set_interval_ms(60000);
  corral::v1::GunicornInstance* inst = s.add_instances();
  inst->mutable_master()->set_pid(10);
  return s;
}

TEST(ServerE2E, BadReportsAreRefusedAndEveryoneElseKeepsBeingServed) {
  std::string dir = corral::testing::MakeTempDir("bad");
  auto server = ServerProcess::Start(dir);
  auto stub =
      corral::v1::Collector::NewStub(grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  auto report = [&](const corral::v1::Snapshot& s) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    corral::v1::ReportRequest request;
    *request.mutable_snapshot() = s;
    corral::v1::ReportResponse response;
    return stub->Report(&context, request, &response);
  };
  // A healthy agent streams throughout.
  auto agent = Process::Start({BinPath("corral-agent"), "--server", server->address(), "--service", "api", "--instance",
                               "steady", "--proc-root", Fixture(), "--interval", "200ms"},
                              {}, dir + "/agent.log");
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == 1; }, absl::Seconds(10)));

  corral::v1::Snapshot negative = Valid("bad1");
  negative.mutable_instances(0)->mutable_master()->set_pid(-1);
  corral::v1::Snapshot crowd = Valid("bad2");
  for (int i = 0; i < 1000000; ++i) crowd.mutable_instances(0)->add_workers()->set_pid(100 + (i % 1000));
  corral::v1::Snapshot megabyte = Valid("bad3");
  megabyte.mutable_agent()->set_hostname(std::string(1 << 20, 'h'));
  for (const corral::v1::Snapshot* s : {&negative, &crowd, &megabyte}) {
    grpc::Status status = report(*s);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  }
  // Bytes that are not a message at all, through stock gRPC (Python).
  RunResult garbage = RunCommand({"/usr/bin/python3", "-c",
                                  "import grpc, sys\n"
                                  "ch = grpc.insecure_channel(sys.argv[1])\n"
                                  "try:\n"
                                  "    ch.unary_unary('/corral.v1.Collector/Report')(b'\\xff\\xff\\xff', timeout=5)\n"
                                  "except grpc.RpcError as e:\n"
                                  "    print(e.code().name, e.details())\n",
                                  server->address()});
  EXPECT_EQ(garbage.out, "INVALID_ARGUMENT malformed ReportRequest\n") << garbage.err;

  EXPECT_TRUE(report(Valid("good")).ok());
  EXPECT_EQ(OnlineInstances(server->address()), 2);  // steady and good; none of the bad ones
  std::string log = server->process().Log();
  EXPECT_NE(log.find("refused report from"), std::string::npos);
  EXPECT_NE(log.find("pid -1 is out of range"), std::string::npos) << log;
}

// Bytes that are not the request message, sent to every RPC by stock gRPC
// (Python): each answers INVALID_ARGUMENT naming the message it expected,
// not UNIMPLEMENTED, which would send a client author looking for a missing
// method.
TEST(ServerE2E, MalformedRequestsToEveryRpcAreInvalidArgument) {
  std::string dir = corral::testing::MakeTempDir("malformed");
  auto server = ServerProcess::Start(dir);
  RunResult r = RunCommand(
      {"/usr/bin/python3", "-c",
       "import grpc, sys\n"
       "ch = grpc.insecure_channel(sys.argv[1])\n"
       "unary = ['Fleet/GetFleetStatus', 'Fleet/GetService', 'Fleet/ListInstances', 'Fleet/Check',\n"
       "         'Fleet/SetExpectations', 'Fleet/UnsetExpectations', 'Fleet/GetExpectations', 'Fleet/Diagnose',\n"
       "         'Fleet/History', 'Collector/Report']\n"
       "def show(method, call):\n"
       "    try:\n"
       "        call()\n"
       "        print(method, 'OK')\n"
       "    except grpc.RpcError as e:\n"
       "        print(method, e.code().name, e.details())\n"
       "for m in unary:\n"
       "    show(m, lambda: ch.unary_unary('/corral.v1.' + m)(b'\\xff\\xff\\xff', timeout=5))\n"
       "show('Fleet/Watch', lambda: list(ch.unary_stream('/corral.v1.Fleet/Watch')(b'\\x0a\\xff', timeout=5)))\n"
       "show('Health/Check', lambda: ch.unary_unary('/grpc.health.v1.Health/Check')(b'\\xff', timeout=5))\n"
       "show('Collector/Stream',\n"
       "     lambda: list(ch.stream_stream('/corral.v1.Collector/Stream')(iter([b'\\xff\\xff']), timeout=5)))\n",
       server->address()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Fleet/GetFleetStatus INVALID_ARGUMENT malformed FleetStatusRequest\n"
            "Fleet/GetService INVALID_ARGUMENT malformed ServiceRequest\n"
            "Fleet/ListInstances INVALID_ARGUMENT malformed InstancesRequest\n"
            "Fleet/Check INVALID_ARGUMENT malformed CheckRequest\n"
            "Fleet/SetExpectations INVALID_ARGUMENT malformed SetExpectationsRequest\n"
            "Fleet/UnsetExpectations INVALID_ARGUMENT malformed UnsetExpectationsRequest\n"
            "Fleet/GetExpectations INVALID_ARGUMENT malformed ExpectationsRequest\n"
            "Fleet/Diagnose INVALID_ARGUMENT malformed DiagnoseRequest\n"
            "Fleet/History INVALID_ARGUMENT malformed HistoryRequest\n"
            "Collector/Report INVALID_ARGUMENT malformed ReportRequest\n"
            "Fleet/Watch INVALID_ARGUMENT malformed WatchRequest\n"
            "Health/Check INVALID_ARGUMENT could not parse request\n"
            "Collector/Stream INVALID_ARGUMENT malformed AgentMessage\n");
  // Still serving well-formed queries afterwards.
  RunResult status = RunCommand({BinPath("corral"), "--server", server->address(), "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
}

TEST(ServerE2E, HealthAndReflectionWorkWithStockGrpcTooling) {
  std::string dir = corral::testing::MakeTempDir("health");
  auto server = ServerProcess::Start(dir);
  RunResult r =
      RunCommand({"/usr/bin/python3", "-c",
                  "import grpc, sys\n"
                  "ch = grpc.insecure_channel(sys.argv[1])\n"
                  "print('health', ch.unary_unary('/grpc.health.v1.Health/Check')(b'', timeout=5).hex())\n"
                  "call = ch.stream_stream('/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo')\n"
                  "for reply in call(iter([b'\\x3a\\x00']), timeout=5):\n"
                  "    print(reply)\n",
                  server->address()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("health 0801"), std::string::npos) << r.out;  // status: SERVING
  EXPECT_NE(r.out.find("corral.v1.Collector"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("corral.v1.Fleet"), std::string::npos) << r.out;
}

TEST(ServerE2E, SigtermStopsServerAndAgentWithinASecond) {
  std::string dir = corral::testing::MakeTempDir("stop");
  auto server = ServerProcess::Start(dir);
  auto agent = Process::Start({BinPath("corral-agent"), "--server", server->address(), "--service", "api", "--instance",
                               "stopper", "--proc-root", Fixture(), "--interval", "5s"},
                              {}, dir + "/agent.log");
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == 1; }, absl::Seconds(10)));
  absl::Time start = absl::Now();
  agent->Signal(SIGTERM);
  EXPECT_EQ(agent->Wait(absl::Seconds(5)), 0) << agent->Log();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  // State changes are logged once, not once per sample.
  std::string log = agent->Log();
  EXPECT_EQ(corral::testing::CountOccurrences(log, "connected to server"), 1) << log;
  EXPECT_EQ(corral::testing::CountOccurrences(log, "master 7 (app:app) found: 1 worker(s)"), 1) << log;
  // It said it was leaving: the instance is out of the fleet at once (not
  // disconnected, then offline), and the history records why.
  EXPECT_NE(log.find("that this instance is leaving"), std::string::npos) << log;
  EXPECT_TRUE(WaitFor(
      [&] {
        corral::testing::RunResult r = Corral({"instances", "--json"}, server->address());
        return r.exit_code == 0 && r.out.find("stopper") == std::string::npos;
      },
      absl::Seconds(2)));
  corral::testing::RunResult history = Corral({"history", "--json"}, server->address());
  EXPECT_NE(history.out.find("\"kind\": \"instance_stopped\""), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("api/stopper stopped: its agent is shutting down"), std::string::npos) << history.out;
  EXPECT_NE(server->process().Log().find("instance api/stopper left: its agent from"), std::string::npos)
      << server->process().Log();
  start = absl::Now();
  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(absl::Seconds(5)), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_NE(server->process().Log().find("received SIGTERM, shutting down"), std::string::npos);
}

}  // namespace
}  // namespace corral
