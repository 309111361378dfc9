// Workers are counted right for every worker class users run: sync and
// gthread (every release), gevent (python3-gevent) and uvicorn's worker
// (python3-uvicorn) on each release, and Gunicorn's own asgi worker (25+).
// Gunicorn's log is the oracle for which processes are workers.
#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "agent/probe.h"
#include "common/snapshot_facts.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral::agent {
namespace {

using corral::testing::GunicornOptions;
using corral::testing::GunicornProcess;

struct WorkerClass {
  std::string name;  // for the test name
  std::vector<std::string> args;
  std::string app;
  // What the reconstruction reports as worker_class.
  std::string reported;
};

void PrintTo(const WorkerClass& k, std::ostream* os) { *os << k.name; }

constexpr char kAsgiApp[] =
    "async def app(scope, receive, send):\n"
    "    if scope['type'] != 'http':\n"
    "        return\n"
    "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
    "    await send({'type': 'http.response.body', 'body': b'ok'})\n";

class WorkerClasses : public ::testing::TestWithParam<std::tuple<WorkerClass, std::string>> {};

TEST_P(WorkerClasses, EveryWorkerAndNothingElseIsCounted) {
  const WorkerClass& k = std::get<0>(GetParam());
  std::string dir = corral::testing::MakeTempDir("classes");
  GunicornProcess::WriteApp(dir);
  corral::testing::WriteFile(dir + "/asgiapp.py", kAsgiApp);
  GunicornOptions options;
  options.release = std::get<1>(GetParam());
  options.setproctitle = false;
  options.cwd = dir;
  options.args = {"-w", "3"};
  options.args.insert(options.args.end(), k.args.begin(), k.args.end());
  options.args.insert(options.args.end(), {"-b", "127.0.0.1:" + std::to_string(corral::testing::FreePort()), k.app});
  absl::StatusOr<std::unique_ptr<GunicornProcess>> g = GunicornProcess::Start(options);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE((*g)->WaitForWorkers(3).ok()) << (*g)->Log();

  Probe probe(ProbeOptions{});
  corral::v1::Snapshot s = probe.Discover();
  const corral::v1::GunicornInstance* inst = nullptr;
  for (const auto& i : s.instances()) {
    if (i.master().pid() == (*g)->master_pid()) inst = &i;
  }
  ASSERT_NE(inst, nullptr);
  std::vector<int> seen;
  for (const auto& w : inst->workers()) {
    seen.push_back(w.pid());
    EXPECT_TRUE(w.has_heartbeat_age_seconds()) << "worker " << w.pid();
  }
  // A worker is forked a moment before it logs its boot.
  std::vector<int> logged;
  corral::testing::WaitFor(
      [&] {
        logged = (*g)->LoggedPids("Booting worker with pid: ");
        return logged.size() >= 3;
      },
      absl::Seconds(10));
  std::sort(seen.begin(), seen.end());
  std::sort(logged.begin(), logged.end());
  EXPECT_EQ(seen, logged) << (*g)->Log();
  EXPECT_EQ(corral::LiveWorkers(*inst), 3);
  EXPECT_EQ(corral::ConfiguredWorkers(*inst), 3);
  EXPECT_EQ(inst->config().at("worker_class").value(), k.reported);
  EXPECT_EQ(inst->other_children_size(), 0);
  EXPECT_FALSE(inst->has_dirty_arbiter());
}

const WorkerClass kSync{"sync", {}, "app:app", "sync"};
const WorkerClass kGthread{"gthread", {"--threads", "4"}, "app:app", "gthread"};
const WorkerClass kGevent{"gevent", {"-k", "gevent"}, "app:app", "gevent"};
const WorkerClass kUvicorn{
    "uvicorn", {"-k", "uvicorn.workers.UvicornWorker"}, "asgiapp:app", "uvicorn.workers.UvicornWorker"};
const WorkerClass kAsgi{"asgi", {"-k", "asgi"}, "asgiapp:app", "asgi"};

std::string Name(const ::testing::TestParamInfo<std::tuple<WorkerClass, std::string>>& info) {
  return absl::StrCat(std::get<0>(info.param).name, "_", corral::testing::ReleaseTestName(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(EveryRelease, WorkerClasses,
                         ::testing::Combine(::testing::Values(kSync, kGthread, kGevent, kUvicorn),
                                            ::testing::ValuesIn(corral::testing::TestedReleases())),
                         Name);

// Gunicorn's own ASGI worker arrived in 24.0.
INSTANTIATE_TEST_SUITE_P(Since24, WorkerClasses, ::testing::Combine(::testing::Values(kAsgi), ::testing::Values("26")),
                         Name);

}  // namespace
}  // namespace corral::agent
