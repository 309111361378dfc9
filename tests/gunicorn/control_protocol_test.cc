#include "gunicorn/control_protocol.h"

#include "gtest/gtest.h"

namespace corral::gunicorn {
namespace {

std::string Frame(absl::string_view payload) {
  std::string frame(4, '\0');
  uint32_t n = static_cast<uint32_t>(payload.size());
  frame[0] = static_cast<char>(n >> 24);
  frame[1] = static_cast<char>(n >> 16);
  frame[2] = static_cast<char>(n >> 8);
  frame[3] = static_cast<char>(n);
  return frame + std::string(payload);
}

TEST(EncodeControlRequest, FramesAShowCommand) {
  absl::StatusOr<std::string> frame = EncodeControlRequest(3, "show config");
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(*frame, Frame(R"({"id": 3, "command": "show config", "args": []})"));
}

TEST(EncodeControlRequest, RefusesAnythingButShow) {
  for (const char* command : {"worker add 2", "reload", "shutdown", "dirty remove", "show config\"; reload"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(EncodeControlRequest(1, command).status())) << command;
  }
}

TEST(DecodeControlFrameLength, BigEndianWithACap) {
  EXPECT_EQ(DecodeControlFrameLength(std::string("\x00\x00\x01\x02", 4)).value(), 258u);
  EXPECT_TRUE(absl::IsOutOfRange(DecodeControlFrameLength(std::string("\x7f\xff\xff\xff", 4)).status()));
  EXPECT_TRUE(absl::IsOutOfRange(DecodeControlFrameLength(std::string("\x00\x00\x01\x02", 4), 100).status()));
  EXPECT_FALSE(DecodeControlFrameLength("abc").ok());
}

TEST(ParseControlReply, ReturnsDataOfTheMatchingReply) {
  absl::StatusOr<Json> data = ParseControlReply(R"({"id": 2, "status": "ok", "data": {"workers": 3}})", 2);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data->Find("workers")->integer, 3);
}

TEST(ParseControlReply, SaysWhatIsWrong) {
  EXPECT_EQ(
      ParseControlReply(R"({"id": 1, "status": "error", "error": "Unknown show target: all"})", 1).status().message(),
      "Gunicorn answered: Unknown show target: all");
  EXPECT_EQ(ParseControlReply(R"({"id": 7, "status": "ok", "data": {}})", 1).status().message(),
            "the reply does not answer request 1");
  EXPECT_EQ(ParseControlReply("HTTP/1.1 400 Bad Request", 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseControlReply(R"([1, 2])", 1).status().message(), "the reply is not a JSON object");
  EXPECT_EQ(ParseControlReply(R"({"id": 1, "status": "ok", "data": 5})", 1).status().message(),
            "the reply has no data object");
}

// What Gunicorn 26.2.2 answered for `-w 2 --dirty-app dapp:Heavy
// --dirty-workers 2 -b 127.0.0.1:18001 wsgi:application`.
constexpr char kShowConfig[] =
    R"({"bind": ["127.0.0.1:18001"], "workers": 2, "worker_class": "<class 'gunicorn.workers.sync.SyncWorker'>",
        "threads": 1, "timeout": 30, "graceful_timeout": 30, "keepalive": 2, "max_requests": 0,
        "max_requests_jitter": 0, "worker_connections": 1000, "preload_app": false, "daemon": false,
        "pidfile": null, "proc_name": "wsgi:application", "reload": false, "dirty_workers": 2,
        "dirty_apps": ["dapp:Heavy"], "dirty_timeout": 300, "control_socket": "/root/.gunicorn/gunicorn.ctl",
        "control_socket_disable": false})";
constexpr char kShowAll[] =
    R"({"arbiter": {"pid": 4855, "type": "arbiter", "role": "master"},
        "web_workers": [{"pid": 4858, "type": "web", "age": 1, "booted": false, "last_heartbeat": 10.7},
                        {"pid": 4860, "type": "web", "age": 2, "booted": false, "last_heartbeat": 10.63}],
        "web_worker_count": 2,
        "dirty_arbiter": {"pid": 4857, "type": "dirty_arbiter", "role": "dirty master"},
        "dirty_workers": [{"pid": 4859, "age": 1, "apps": ["dapp:Heavy"], "booted": false, "last_heartbeat": 25.71},
                          {"pid": 4862, "age": 2, "apps": ["dapp:Heavy"], "booted": false, "last_heartbeat": 25.61}],
        "dirty_worker_count": 2})";
constexpr char kShowStats[] =
    R"({"uptime": 25.77, "pid": 4855, "workers_current": 2, "workers_target": 3, "workers_spawned": 2,
        "workers_killed": 0, "reloads": 0, "dirty_arbiter_pid": 4857})";

TEST(ReadControlAnswers, ReadsGunicorn26Answers) {
  Json config = ParseJson(kShowConfig).value();
  Json all = ParseJson(kShowAll).value();
  Json stats = ParseJson(kShowStats).value();
  std::vector<std::string> problems;
  ControlAnswers a = ReadControlAnswers(&config, &all, &stats, &problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(a.settings.at("bind"), "127.0.0.1:18001");
  EXPECT_EQ(a.settings.at("workers"), "2");
  EXPECT_EQ(a.settings.at("worker_class"), "sync");
  EXPECT_EQ(a.settings.at("preload_app"), "false");
  EXPECT_EQ(a.settings.at("pidfile"), "");
  EXPECT_EQ(a.settings.at("dirty_apps"), "dapp:Heavy");
  EXPECT_EQ(a.settings.count("proc_name"), 0u);
  EXPECT_EQ(a.web_worker_pids, (std::vector<int>{4858, 4860}));
  EXPECT_EQ(a.dirty_arbiter_pid, 4857);
  EXPECT_EQ(a.dirty_worker_pids, (std::vector<int>{4859, 4862}));
  EXPECT_EQ(a.workers_target, 3);
}

TEST(ReadControlAnswers, SkipsWhatItCannotShow) {
  Json config = ParseJson(R"({"workers": {"a": 1}, "timeout": 60, "secure_scheme_headers": [[1]]})").value();
  Json all = ParseJson(R"({"web_workers": [{"pid": -3}, {"age": 1}, {"pid": 12}], "dirty_workers": 5})").value();
  std::vector<std::string> problems;
  ControlAnswers a = ReadControlAnswers(&config, &all, nullptr, &problems);
  EXPECT_EQ(a.settings, (std::map<std::string, std::string>{{"timeout", "60"}}));
  EXPECT_EQ(a.web_worker_pids, std::vector<int>{12});
  EXPECT_FALSE(a.workers_target.has_value());
  EXPECT_EQ(problems.size(), 5u);
}

TEST(WorkerClassName, ShortNamesForShippedClasses) {
  EXPECT_EQ(WorkerClassName("<class 'gunicorn.workers.gthread.ThreadWorker'>"), "gthread");
  EXPECT_EQ(WorkerClassName("<class 'gunicorn.workers.gasgi.ASGIWorker'>"), "asgi");
  EXPECT_EQ(WorkerClassName("<class 'uvicorn.workers.UvicornWorker'>"), "uvicorn.workers.UvicornWorker");
  EXPECT_EQ(WorkerClassName("gevent"), "gevent");
}

}  // namespace
}  // namespace corral::gunicorn
