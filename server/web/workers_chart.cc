#include "server/web/workers_chart.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "server/web/html.h"

namespace corral::server::web {
namespace {

constexpr int kWidth = 720;
constexpr int kHeight = 180;
constexpr int kLeft = 34;
constexpr int kRight = 10;
constexpr int kTop = 10;
constexpr int kBottom = 22;
constexpr size_t kMaxSeries = 24;

bool EndsPresence(const std::string& kind) {
  return kind == "instance_offline" || kind == "instance_disconnected" || kind == "instance_stopped" ||
         kind == "instance_forgotten";
}

std::optional<int> Count(const std::string& text) {
  int n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < 0) return std::nullopt;
  return n;
}

std::string AxisTime(int64_t unix_ms) {
  return absl::FormatTime("%H:%M", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

}  // namespace

std::vector<WorkerSeries> WorkerSeriesOf(const corral::v1::HistoryResponse& events,
                                         const std::vector<corral::v1::InstanceSummary>& replicas, int64_t from_ms,
                                         int64_t to_ms) {
  // instance -> its events in the window, oldest first.
  std::map<std::string, std::vector<const corral::v1::Event*>> by_instance;
  for (const corral::v1::InstanceSummary& r : replicas) by_instance[r.instance()];
  for (const corral::v1::Event& e : events.events()) {
    if (e.instance().empty() || e.time_unix_ms() < from_ms || e.time_unix_ms() > to_ms) continue;
    if (e.kind() == "workers_changed" || e.kind() == "instance_online" || EndsPresence(e.kind())) {
      by_instance[e.instance()].push_back(&e);
    }
  }
  std::map<std::string, int> now;  // current count, -1 when not online
  for (const corral::v1::InstanceSummary& r : replicas) {
    now[r.instance()] = r.state() == "online" ? r.live_workers() : -1;
  }

  std::vector<WorkerSeries> out;
  for (const auto& [instance, list] : by_instance) {
    WorkerSeries series;
    series.instance = instance;
    // Where the line starts: what the first change changed from, else what
    // the replica shows now.
    int start = now.count(instance) ? now[instance] : -1;
    for (const corral::v1::Event* e : list) {
      if (e->kind() == "workers_changed") {
        start = Count(e->before()).value_or(-1);
        break;
      }
      if (e->kind() == "instance_online") {
        start = -1;
        break;
      }
      if (EndsPresence(e->kind())) break;  // online until then, count as now or unknown
    }
    series.steps.push_back({from_ms, start});
    int last_known = start;
    for (const corral::v1::Event* e : list) {
      int value;
      if (e->kind() == "workers_changed") {
        value = Count(e->after()).value_or(-1);
        if (value >= 0) last_known = value;
      } else if (e->kind() == "instance_online") {
        value = last_known;
      } else {
        value = -1;
      }
      if (series.steps.back().unix_ms == e->time_unix_ms()) {
        series.steps.back().workers = value;
      } else {
        series.steps.push_back({e->time_unix_ms(), value});
      }
    }
    if (now.count(instance) && series.steps.back().workers != now[instance]) {
      series.steps.push_back({to_ms, now[instance]});
    }
    out.push_back(std::move(series));
  }
  return out;
}

std::string RenderWorkersChart(const std::vector<WorkerSeries>& series, int64_t from_ms, int64_t to_ms) {
  if (to_ms <= from_ms) to_ms = from_ms + 1;
  int top = 1;
  for (const WorkerSeries& s : series) {
    for (const WorkerStep& p : s.steps) top = std::max(top, p.workers);
  }
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto x = [&](int64_t ms) { return kLeft + plot_w * static_cast<double>(ms - from_ms) / (to_ms - from_ms); };
  auto y = [&](int n) { return kTop + plot_h * (1.0 - static_cast<double>(n) / top); };

  std::string description;
  for (const WorkerSeries& s : series) {
    int last = s.steps.empty() ? -1 : s.steps.back().workers;
    absl::StrAppend(&description, Escape(s.instance), ": ", last < 0 ? "not online" : absl::StrCat(last), " now; ");
  }
  std::string out = absl::StrCat("<svg id=\"workers-chart\" class=\"chart\" viewBox=\"0 0 ", kWidth, " ", kHeight,
                                 "\" role=\"img\" aria-labelledby=\"workers-chart-title workers-chart-desc\">"
                                 "<title id=\"workers-chart-title\">Live workers per replica, ",
                                 AxisTime(from_ms), " to ", AxisTime(to_ms),
                                 " UTC</title><desc id=\"workers-chart-desc\">", description, "</desc>");
  // Axes, three count ticks and three time ticks.
  absl::StrAppendFormat(&out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", kLeft, kTop, kLeft,
                        kHeight - kBottom);
  absl::StrAppendFormat(&out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", kLeft,
                        kHeight - kBottom, kWidth - kRight, kHeight - kBottom);
  for (int n : {0, top / 2, top}) {
    absl::StrAppendFormat(&out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>", kLeft - 6, y(n) + 4, n);
  }
  for (int64_t ms : {from_ms, from_ms + (to_ms - from_ms) / 2, to_ms}) {
    const char* anchor = ms == from_ms ? "start" : ms == to_ms ? "end" : "middle";
    absl::StrAppendFormat(&out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>", x(ms), kHeight - 6, anchor,
                          AxisTime(ms));
  }
  for (size_t i = 0; i < series.size() && i < kMaxSeries; ++i) {
    const std::vector<WorkerStep>& steps = series[i].steps;
    // One polyline per stretch the replica was online; a step holds its
    // value until the next step (or the window's end).
    std::string points;
    auto flush = [&] {
      if (!points.empty()) {
        absl::StrAppend(&out, "<polyline class=\"c", i % 8, "\" points=\"", points, "\"><title>",
                        Escape(series[i].instance), "</title></polyline>");
      }
      points.clear();
    };
    for (size_t k = 0; k < steps.size(); ++k) {
      int64_t until = k + 1 < steps.size() ? steps[k + 1].unix_ms : to_ms;
      if (steps[k].workers < 0) {
        flush();
        continue;
      }
      // Lines of equal counts would hide each other: each series sits a
      // pixel apart.
      double yy = y(steps[k].workers) - static_cast<double>(i % 4);
      absl::StrAppendFormat(&points, "%.1f,%.1f %.1f,%.1f ", x(steps[k].unix_ms), yy, x(until), yy);
    }
    flush();
  }
  absl::StrAppend(&out, "</svg>\n<p class=\"legend\">");
  for (size_t i = 0; i < series.size() && i < kMaxSeries; ++i) {
    absl::StrAppend(&out, "<span><span class=\"sw c", i % 8, "\"></span>", Escape(series[i].instance), "</span>");
  }
  if (series.size() > kMaxSeries) {
    absl::StrAppend(&out, "<span class=\"muted\">", series.size() - kMaxSeries, " more replicas not drawn</span>");
  }
  absl::StrAppend(&out, "</p>\n");
  return out;
}

}  // namespace corral::server::web
