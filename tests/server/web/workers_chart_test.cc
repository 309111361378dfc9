#include "server/web/workers_chart.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace corral::server::web {
namespace {

constexpr int64_t kFrom = 1000000;
constexpr int64_t kTo = 2000000;

corral::v1::Event* AddEvent(corral::v1::HistoryResponse* history, int64_t ms, const std::string& kind,
                            const std::string& instance, const std::string& before = "",
                            const std::string& after = "") {
  corral::v1::Event* e = history->add_events();
  e->set_time_unix_ms(ms);
  e->set_kind(kind);
  e->set_instance(instance);
  e->set_before(before);
  e->set_after(after);
  return e;
}

corral::v1::InstanceSummary Replica(const std::string& name, const std::string& state, int live) {
  corral::v1::InstanceSummary r;
  r.set_instance(name);
  r.set_state(state);
  r.set_live_workers(live);
  return r;
}

std::vector<std::pair<int64_t, int>> Steps(const WorkerSeries& s) {
  std::vector<std::pair<int64_t, int>> out;
  for (const WorkerStep& p : s.steps) out.emplace_back(p.unix_ms, p.workers);
  return out;
}

TEST(WorkerSeriesOf, AReplicaWithoutEventsIsFlatAtItsCurrentCount) {
  std::vector<WorkerSeries> series = WorkerSeriesOf({}, {Replica("a", "online", 3)}, kFrom, kTo);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(Steps(series[0]), (std::vector<std::pair<int64_t, int>>{{kFrom, 3}}));
}

TEST(WorkerSeriesOf, StepsAtEachChangeFromWhatTheFirstChangeChangedFrom) {
  corral::v1::HistoryResponse history;
  AddEvent(&history, 1200000, "workers_changed", "a", "3", "1");
  AddEvent(&history, 1500000, "workers_changed", "a", "1", "2");
  std::vector<WorkerSeries> series = WorkerSeriesOf(history, {Replica("a", "online", 2)}, kFrom, kTo);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(Steps(series[0]), (std::vector<std::pair<int64_t, int>>{{kFrom, 3}, {1200000, 1}, {1500000, 2}}));
}

TEST(WorkerSeriesOf, OfflineBreaksTheLineAndOnlineResumesTheLastCount) {
  corral::v1::HistoryResponse history;
  AddEvent(&history, 1100000, "instance_offline", "b");
  AddEvent(&history, 1300000, "instance_online", "b");
  AddEvent(&history, 1400000, "workers_changed", "b", "3", "4");
  std::vector<WorkerSeries> series = WorkerSeriesOf(history, {Replica("b", "online", 4)}, kFrom, kTo);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(Steps(series[0]),
            (std::vector<std::pair<int64_t, int>>{{kFrom, 4}, {1100000, -1}, {1300000, 4}, {1400000, 4}}));
}

TEST(WorkerSeriesOf, KeepsReplicasThatLeftAndIgnoresEventsOutsideTheWindow) {
  corral::v1::HistoryResponse history;
  AddEvent(&history, 500000, "workers_changed", "gone", "9", "8");  // before the window
  AddEvent(&history, 1200000, "workers_changed", "gone", "2", "1");
  AddEvent(&history, 1300000, "instance_stopped", "gone");
  AddEvent(&history, 1250000, "finding_opened", "a");
  std::vector<WorkerSeries> series = WorkerSeriesOf(history, {Replica("a", "offline", 0)}, kFrom, kTo);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].instance, "a");
  EXPECT_EQ(Steps(series[0]), (std::vector<std::pair<int64_t, int>>{{kFrom, -1}}));
  EXPECT_EQ(series[1].instance, "gone");
  EXPECT_EQ(Steps(series[1]), (std::vector<std::pair<int64_t, int>>{{kFrom, 2}, {1200000, 1}, {1300000, -1}}));
}

TEST(RenderWorkersChart, OneLinePerOnlineStretchWithEscapedNames) {
  corral::v1::HistoryResponse history;
  AddEvent(&history, 1500000, "instance_offline", "<b>x</b>");
  std::vector<WorkerSeries> series =
      WorkerSeriesOf(history, {Replica("<b>x</b>", "offline", 0), Replica("y", "online", 2)}, kFrom, kTo);
  std::string svg = RenderWorkersChart(series, kFrom, kTo);
  EXPECT_TRUE(absl::StartsWith(svg, "<svg id=\"workers-chart\"")) << svg;
  EXPECT_FALSE(absl::StrContains(svg, "<b>"));
  EXPECT_TRUE(absl::StrContains(svg, "&lt;b&gt;x&lt;/b&gt;"));
  // x's count before it went offline is not known and it is offline now:
  // no line. y: one line at 2 (the top of the scale) across the window,
  // drawn a pixel above series 0's lines.
  size_t lines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++lines;
  EXPECT_EQ(lines, 1u) << svg;
  EXPECT_TRUE(absl::StrContains(svg, "<polyline class=\"c1\" points=\"34.0,9.0 710.0,9.0 \"><title>y</title>")) << svg;
  EXPECT_TRUE(absl::StrContains(svg, "<span class=\"sw c0\"></span>&lt;b&gt;x&lt;/b&gt;"));
}

}  // namespace
}  // namespace corral::server::web
