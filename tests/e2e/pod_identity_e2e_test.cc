// End to end on a stand-in for a Kubernetes node: one PID and network
// namespace running real Gunicorn masters whose environment says which pod
// they belong to, as the kubelet and the Downward API set it, and one
// corral-agent with --per-pod (the DaemonSet form) reporting to a real
// corral-server; the corral CLI reads what the server made of it.
#include <signal.h>

#include <filesystem>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "corral/v1/fleet.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral {
namespace {

using corral::testing::Corral;
using corral::testing::RunResult;
using corral::testing::ServerProcess;
using corral::testing::WaitFor;

const char kApiPod[] = "api-backend-7d9f8b6c5d-x2x9k";
const char kReportsPod[] = "reports-5d8f9c7b4-k2m4p";

// The instances `corral instances --json` lists, by instance name.
std::map<std::string, corral::v1::InstanceSummary> Instances(const std::string& server) {
  std::map<std::string, corral::v1::InstanceSummary> out;
  RunResult r = Corral({"instances", "--json"}, server);
  corral::v1::InstanceList list;
  if (r.exit_code != 0 || !google::protobuf::util::JsonStringToMessage(r.out, &list).ok()) return out;
  for (const corral::v1::InstanceSummary& i : list.instances()) out[i.instance()] = i;
  return out;
}

std::string StateOf(const std::map<std::string, corral::v1::InstanceSummary>& instances, const std::string& name) {
  auto it = instances.find(name);
  return it == instances.end() ? "" : it->second.state();
}

// A node: three Gunicorn "pods" and, once the test says so, the agent.
class Node {
 public:
  Node(const std::string& dir, const std::string& server) : dir_(dir) {
    corral::testing::GunicornProcess::WriteApp(dir + "/app");
    std::string stub = dir + "/nospt";
    corral::testing::WriteFile(stub + "/setproctitle/__init__.py", "raise ImportError('not in this image')\n");
    go_ = dir + "/go";
    std::string script = absl::StrCat(
        "ip link set lo up; cd \"$0\"; stub=\"$1\"; agent=\"$2\"; server=\"$3\"; go=\"$4\"; "
        // A Deployment's pod whose app container carries the label and
        // namespace (Downward API), setproctitle absent.
        "env PYTHONPATH=\"$stub\" HOSTNAME=",
        kApiPod,
        " CORRAL_SERVICE=api-backend CORRAL_POD_NAMESPACE=prod "
        "/usr/bin/gunicorn -w 2 -b 127.0.0.1:8001 app:app & "
        // A StatefulSet's pod with only its namespace: the service comes from
        // the pod's name.
        "env PYTHONPATH=\"$stub\" HOSTNAME=billing-0 CORRAL_POD_NAMESPACE=staging "
        "/usr/bin/gunicorn -w 1 -b 127.0.0.1:8002 app:app & "
        // setproctitle installed: it erases the environment that names the
        // pod.
        "env -u PYTHONPATH HOSTNAME=",
        kReportsPod,
        " CORRAL_SERVICE=reports CORRAL_POD_NAMESPACE=prod "
        "/usr/bin/gunicorn -w 1 -b 127.0.0.1:8003 app:app & "
        "while [ ! -e \"$go\" ]; do sleep 0.05; done; "
        "\"$agent\" --server \"$server\" --per-pod --pod-name corral-node-b7c4z --pod-namespace corral "
        "--node-name node-1 --interval 500ms & "
        "wait");
    process_ = corral::testing::Process::Start(
        {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--net", "--kill-child", "/bin/sh", "-c", script,
         dir + "/app", stub, corral::testing::BinPath("corral-agent"), server, go_},
        {}, dir + "/node.log");
  }

  // The pid (in the test's namespace) of the node's process whose command
  // line holds `needle`; 0 when there is none.
  int Find(const std::string& needle) const {
    for (int init : corral::testing::ChildrenOf(process_->pid())) {
      for (int child : corral::testing::ChildrenOf(init)) {
        if (absl::StrContains(corral::testing::ReadLog(absl::StrCat("/proc/", child, "/cmdline")), needle))
          return child;
      }
    }
    return 0;
  }
  // The masters, found by their bind address or their title.
  bool AllUp() const {
    for (const char* needle : {"127.0.0.1:8001", "127.0.0.1:8002", "master [app:app]"}) {
      int master = Find(needle);
      if (master == 0 || corral::testing::WorkerPids(master).empty()) return false;
    }
    return corral::testing::WorkerPids(Find("127.0.0.1:8001")).size() == 2;
  }
  void StartAgent() const { corral::testing::WriteFile(go_, ""); }
  std::string Log() const { return process_->Log(); }

 private:
  std::string dir_;
  std::string go_;
  std::unique_ptr<corral::testing::Process> process_;
};

TEST(PodIdentityE2E, ANodeAgentReportsEachPodUnderItsOwnNamespaceServiceAndName) {
  std::string dir = corral::testing::MakeTempDir("pods");
  auto server = ServerProcess::Start(dir);
  Node node(dir, server->unix_target());
  ASSERT_TRUE(WaitFor([&] { return node.AllUp(); }, absl::Seconds(30))) << node.Log();
  // The agent starts once setproctitle has had its way, as a DaemonSet
  // arriving on a busy node does.
  node.StartAgent();

  std::map<std::string, corral::v1::InstanceSummary> instances;
  ASSERT_TRUE(WaitFor(
      [&] {
        instances = Instances(server->address());
        return StateOf(instances, kApiPod) == "online" && instances[kApiPod].live_workers() == 2 &&
               StateOf(instances, "billing-0") == "online" && StateOf(instances, "corral-node-b7c4z") == "online";
      },
      absl::Seconds(20)))
      << Corral({"instances"}, server->address()).out << node.Log();
  EXPECT_EQ(instances.size(), 3u) << Corral({"instances"}, server->address()).out;

  const corral::v1::InstanceSummary& api = instances[kApiPod];
  EXPECT_EQ(api.service(), "api-backend");
  EXPECT_EQ(api.namespace_(), "prod");
  EXPECT_EQ(api.node(), "node-1");
  EXPECT_EQ(api.masters(), 1);
  const corral::v1::InstanceSummary& billing = instances["billing-0"];
  EXPECT_EQ(billing.service(), "billing");
  EXPECT_EQ(billing.namespace_(), "staging");
  EXPECT_EQ(billing.live_workers(), 1);
  // The master whose environment setproctitle erased stays with the agent.
  const corral::v1::InstanceSummary& own = instances["corral-node-b7c4z"];
  EXPECT_EQ(own.service(), "corral-node");
  EXPECT_EQ(own.namespace_(), "corral");
  EXPECT_EQ(own.masters(), 1);
  EXPECT_EQ(own.live_workers(), 1);
  std::string log = node.Log();
  EXPECT_EQ(corral::testing::CountOccurrences(log, "setproctitle erased the environment of master"), 1) << log;
  EXPECT_NE(log.find("set SPT_NOENV=1 in the app container's environment to keep it visible"), std::string::npos)
      << log;
  EXPECT_NE(log.find("reporting it as corral-node/corral-node-b7c4z"), std::string::npos) << log;
  EXPECT_EQ(corral::testing::CountOccurrences(
                log, "reporting prod/api-backend/" + std::string(kApiPod) + " on its own stream"),
            1)
      << log;

  RunResult status = Corral({"status"}, server->address());
  EXPECT_EQ(status.exit_code, 0) << status.err;
  for (const char* label : {"prod/api-backend ", "staging/billing ", "corral/corral-node "}) {
    EXPECT_NE(status.out.find(label), std::string::npos) << label << "\n" << status.out;
  }
  RunResult listed = Corral({"instances"}, server->address());
  EXPECT_NE(listed.out.find(absl::StrCat("prod/api-backend    ", kApiPod, "  online")), std::string::npos)
      << listed.out;

  // billing-0's Gunicorn stops: its pod goes disconnected at once, then
  // offline; the other pods stay online.
  int billing_master = node.Find("127.0.0.1:8002");
  ASSERT_GT(billing_master, 0);
  ::kill(billing_master, SIGTERM);
  EXPECT_TRUE(
      WaitFor([&] { return StateOf(Instances(server->address()), "billing-0") == "disconnected"; }, absl::Seconds(10)))
      << Corral({"instances"}, server->address()).out;
  ASSERT_TRUE(
      WaitFor([&] { return StateOf(Instances(server->address()), "billing-0") == "offline"; }, absl::Seconds(10)))
      << Corral({"instances"}, server->address()).out;
  instances = Instances(server->address());
  EXPECT_EQ(StateOf(instances, kApiPod), "online");
  EXPECT_EQ(StateOf(instances, "corral-node-b7c4z"), "online");
  RunResult check = Corral({"check", "--service", "billing"}, server->address());
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.out.find("AGENT_OFFLINE"), std::string::npos) << check.out;

  // The agent stops on purpose: every pod it still reports leaves the
  // fleet at once; billing-0, already gone, stays offline.
  int agent = node.Find("corral-agent");
  ASSERT_GT(agent, 0);
  ::kill(agent, SIGTERM);
  ASSERT_TRUE(WaitFor(
      [&] {
        instances = Instances(server->address());
        return instances.size() == 1;
      },
      absl::Seconds(10)))
      << Corral({"instances"}, server->address()).out;
  EXPECT_EQ(StateOf(instances, "billing-0"), "offline");

  RunResult history = Corral({"history"}, server->address());
  EXPECT_EQ(history.exit_code, 0) << history.err;
  for (std::string line : {absl::StrCat("instance_online  prod/api-backend/", kApiPod, " is online"),
                           std::string("instance_disconnected  staging/billing/billing-0 is disconnected"),
                           std::string("instance_offline  staging/billing/billing-0 is offline"),
                           absl::StrCat("instance_stopped  prod/api-backend/", kApiPod, " stopped"),
                           std::string("instance_stopped  corral/corral-node/corral-node-b7c4z stopped")}) {
    EXPECT_NE(history.out.find(line), std::string::npos) << line << "\n" << history.out;
  }
}

}  // namespace
}  // namespace corral
