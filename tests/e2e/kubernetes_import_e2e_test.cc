// The incident on Kubernetes, end to end: its Deployment manifest imported
// through the real `corral` into a real corral-server, three real Gunicorn
// "pods" reporting through real agents under the service the manifest's
// label names -- one of them left behind by the previous rollout, with the
// previous image and command -- and `corral check` and `corral diagnose`
// finding it.
#include <stdlib.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "corral/v1/fleet.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/json_message.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::Container;
using corral::testing::ContainerOptions;
using corral::testing::Corral;
using corral::testing::OnlineInstances;
using corral::testing::RunResult;
using corral::testing::ServerProcess;
using corral::testing::WaitFor;

using corral::testing::Parse;

std::string Manifest() { return corral::testing::SourceDir() + "/tests/fixtures/kubernetes/incident/api-backend.yaml"; }

// A container started now inherits the test's environment: how each "pod"
// gets the revision its image bakes in (ENV CORRAL_BUILD_REVISION).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::map<std::string, corral::v1::Expectation> ByKey(const corral::v1::ServiceExpectations& s) {
  std::map<std::string, corral::v1::Expectation> out;
  for (const corral::v1::Expectation& e : s.expectations()) out[e.key()] = e;
  return out;
}

TEST(KubernetesImportE2E, ImportedDeploymentFindsThePodOfThePreviousRollout) {
  const std::string dir = corral::testing::MakeTempDir("kubernetes-import");
  auto server = ServerProcess::Start(dir, {"--agent-interval", "500ms"});

  // Pods named as a Deployment names them: two of the current ReplicaSet,
  // one left from the previous one, with the previous image (revision r41)
  // and its command.
  const std::string stale = "api-backend-5f6d8c9b7-k4m7p";
  struct Pod {
    std::string name;
    std::vector<std::string> args;
    std::string revision;
  };
  const std::vector<Pod> pods = {{"api-backend-7d4f9c6b8-x2x9z", corral::testing::kDeclaredArgs, "r42"},
                                 {"api-backend-7d4f9c6b8-q8w2n", corral::testing::kDeclaredArgs, "r42"},
                                 {stale, corral::testing::kStaleArgs, "r41"}};
  std::vector<std::unique_ptr<Container>> fleet;
  for (const Pod& pod : pods) {
    ScopedEnv revision("CORRAL_BUILD_REVISION", pod.revision);
    fleet.push_back(
        Container::Start(dir, ContainerOptions{"api-backend", pod.name, pod.args, server->unix_target(), "500ms"}));
  }
  ASSERT_TRUE(WaitFor([&] { return OnlineInstances(server->address()) == 3; }, absl::Seconds(30)))
      << Corral({"instances"}, server->address()).out;
  ASSERT_TRUE(fleet[0]->WaitForWorkers(3, absl::Seconds(20)));
  ASSERT_TRUE(fleet[1]->WaitForWorkers(3, absl::Seconds(20)));
  ASSERT_TRUE(fleet[2]->WaitForWorkers(1, absl::Seconds(20)));

  // What the repository declares, and the commit being deployed.
  RunResult imported = Corral({"expect", "import", "--build-revision", "r42", Manifest()}, server->address());
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  EXPECT_TRUE(absl::StrContains(imported.out, "imported 1 service(s) from " + Manifest())) << imported.out;
  RunResult shown = Corral({"expect", "show", "api-backend", "--json"}, server->address());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  corral::v1::ExpectationsList list = Parse<corral::v1::ExpectationsList>(shown.out);
  ASSERT_EQ(list.services_size(), 1);
  std::map<std::string, corral::v1::Expectation> expected = ByKey(list.services(0));
  EXPECT_EQ(expected["replicas"].value(), "3");
  EXPECT_EQ(expected["replicas"].origin(), Manifest() + ":18");
  EXPECT_EQ(expected["workers"].value(), "3");
  EXPECT_EQ(expected["workers"].origin(), Manifest() + ":31");
  EXPECT_EQ(expected["build_revision"].value(), "r42");

  // The check fails on the stale pod's drift from the manifest, and only on
  // that pod, once every pod's workers have been reported.
  RunResult check;
  std::map<std::string, std::string> by_rule;
  bool others_clean = false;
  ASSERT_TRUE(WaitFor(
      [&] {
        check = Corral({"check", "--json"}, server->address());
        if (check.exit_code != 1) return false;
        by_rule.clear();
        others_clean = true;
        const corral::v1::CheckResponse response = Parse<corral::v1::CheckResponse>(check.out);
        for (const corral::v1::Finding& f : response.findings()) {
          if (f.severity() == "info") continue;
          others_clean = others_clean && f.instance() == stale;
          by_rule[f.rule()] = f.message();
        }
        return others_clean && by_rule.count("STALE_IMAGE") &&
               absl::StrContains(by_rule["WORKERS_BELOW_EXPECTED"], "1 live worker(s)");
      },
      absl::Seconds(15)))
      << check.out << check.err;
  EXPECT_TRUE(absl::StrContains(by_rule["WORKERS_BELOW_EXPECTED"], "1 live worker(s), expected 3"))
      << by_rule["WORKERS_BELOW_EXPECTED"];
  EXPECT_TRUE(absl::StrContains(by_rule["WORKERS_BELOW_EXPECTED"], Manifest() + ":31"))
      << by_rule["WORKERS_BELOW_EXPECTED"];
  EXPECT_TRUE(absl::StrContains(by_rule["CONFIG_DRIFT"], "expected")) << by_rule["CONFIG_DRIFT"];
  EXPECT_TRUE(absl::StrContains(by_rule["STALE_IMAGE"], "built from revision r41")) << by_rule["STALE_IMAGE"];

  // diagnose confirms the stale image, for that pod alone.
  RunResult diagnosed = Corral({"diagnose", "api-backend", "--json"}, server->address());
  ASSERT_EQ(diagnosed.exit_code, 1) << diagnosed.out << diagnosed.err;
  corral::v1::Diagnosis diagnosis = Parse<corral::v1::Diagnosis>(diagnosed.out);
  bool found = false;
  for (const corral::v1::Hypothesis& h : diagnosis.hypotheses()) {
    if (h.id() != "stale_image") continue;
    found = true;
    EXPECT_EQ(h.verdict(), "confirmed") << h.DebugString();
    ASSERT_EQ(h.instances_size(), 1);
    EXPECT_EQ(h.instances(0), stale);
  }
  EXPECT_TRUE(found) << diagnosed.out;
}

TEST(KubernetesImportE2E, ManifestsArriveThroughStdinAndProcessSubstitution) {
  // `helm template ... | corral expect import -` and
  // `corral expect import <(helm template ...)` read what a pipe carries;
  // --dry-run needs no server.
  const std::string corral = corral::testing::BinPath("corral");
  RunResult piped = corral::testing::RunCommand(
      {"/bin/sh", "-c", "\"$0\" expect import - --dry-run --json < \"$1\"", corral, Manifest()});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  corral::v1::ExpectationsList from_stdin = Parse<corral::v1::ExpectationsList>(piped.out);
  ASSERT_EQ(from_stdin.services_size(), 1);
  EXPECT_EQ(ByKey(from_stdin.services(0))["workers"].origin(), "stdin:31");

  RunResult substituted = corral::testing::RunCommand(
      {"/bin/bash", "-c", "\"$0\" expect import <(cat \"$1\") --dry-run --json", corral, Manifest()});
  ASSERT_EQ(substituted.exit_code, 0) << substituted.err;
  corral::v1::ExpectationsList from_pipe = Parse<corral::v1::ExpectationsList>(substituted.out);
  ASSERT_EQ(from_pipe.services_size(), 1);
  std::map<std::string, corral::v1::Expectation> expected = ByKey(from_pipe.services(0));
  EXPECT_TRUE(absl::StartsWith(expected["workers"].origin(), "/dev/fd/")) << expected["workers"].origin();
  EXPECT_EQ(expected["command"].value(),
            "gunicorn --workers 3 --timeout 120 --preload --bind 0.0.0.0:8000 wsgi:application");
  EXPECT_EQ(expected.size(), ByKey(from_stdin.services(0)).size());

  // A compose file is still a compose project, and cannot be one of several.
  RunResult compose = corral::testing::RunCommand(
      {corral, "expect", "import", corral::testing::SourceDir() + "/examples/incident/docker-compose.yml", Manifest(),
       "--dry-run"});
  EXPECT_EQ(compose.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(compose.err, "docker-compose.yml: not Kubernetes manifests")) << compose.err;
}

}  // namespace
}  // namespace corral
