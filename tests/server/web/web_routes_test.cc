// The pages' routes over real HTTP: corral-server's HttpEndpoint with the
// pages, a real registry, SQLite store and history, and cpp-httplib's
// client. What a browser does with them is in tests/e2e/web_page_e2e_test.cc.
#include "server/web/web_routes.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/json_reader.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/http_endpoint.h"
#include "server/web/web_auth.h"
#include "tests/support/snapshot_builder.h"
#include "tests/support/subprocess.h"

namespace corral::server::web {
namespace {

using corral::testing::SnapshotBuilder;

class WebRoutesTest : public ::testing::Test {
 protected:
  void Start(std::optional<std::string> token = std::nullopt) {
    dir_ = corral::testing::MakeTempDir("web-routes");
    store_ = *Store::Open(dir_ + "/state.db");
    book_ = *ExpectationBook::Open(store_.get());
    history_ = *History::Open(store_.get(), HistoryOptions());
    registry_ = std::make_unique<Registry>(RegistryOptions{});
    for (const char* i : {"r1", "r2"}) registry_->Record(SnapshotBuilder("api", i).Master(10, 3, 3).Report());
    registry_->Record(SnapshotBuilder("api", "r3").Master(10, 1, 1).Report());
    evaluator_ = std::make_unique<FleetEvaluator>(registry_.get(), book_.get(), history_.get());
    evaluator_->Refresh();
    queries_ = std::make_unique<FleetQueries>(registry_.get(), evaluator_.get(), book_.get(), history_.get());
    WebOptions options;
    options.token = token;
    options.max_event_streams = 2;
    pages_ = std::make_unique<WebPages>(queries_.get(), history_.get(), options);
    HttpOptions http;
    http.token = token;
    endpoint_ = *HttpEndpoint::Start(
        "127.0.0.1:0", http, [] { return std::string("metrics\n"); }, [] { return true; }, pages_.get());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", endpoint_->port());
    client_->set_read_timeout(10, 0);
  }

  void TearDown() override {
    client_.reset();
    endpoint_.reset();
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ExpectationBook> book_;
  std::unique_ptr<History> history_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<FleetEvaluator> evaluator_;
  std::unique_ptr<FleetQueries> queries_;
  std::unique_ptr<WebPages> pages_;
  std::unique_ptr<HttpEndpoint> endpoint_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(WebRoutesTest, FleetPageIsHtmlWithAStrictPolicy) {
  Start();
  httplib::Result r = client_->Get("/", {{"Accept", "text/html"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(r->get_header_value("Content-Security-Policy"), "script-src 'self'"));
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(absl::StrContains(r->body, "<tr data-service=\"api\" data-status=\"critical\">")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "<body data-events=\"/events\">"));
}

TEST_F(WebRoutesTest, BrowsersGetGzipNotTheSlowBrotli) {
  Start();
  client_->set_decompress(false);
  httplib::Result r = client_->Get("/", {{"Accept", "text/html"}, {"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "gzip");
  r = client_->Get("/", {{"Accept", "text/html"}, {"Accept-Encoding", "br"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "");
  EXPECT_TRUE(absl::StrContains(r->body, "data-service=\"api\""));
}

TEST_F(WebRoutesTest, JsonIsTheCliMessage) {
  Start();
  httplib::Result r = client_->Get("/", {{"Accept", "application/json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  absl::StatusOr<Json> json = ParseJson(r->body);
  ASSERT_TRUE(json.ok()) << json.status() << r->body;
  ASSERT_EQ(json->Find("services")->items.size(), 1u);
  EXPECT_EQ(json->Find("services")->items[0].Find("service")->text, "api");
  EXPECT_EQ(json->Find("services")->items[0].Find("replicas_online")->number, 3);

  r = client_->Get("/service/api", {{"Accept", "application/json"}});
  ASSERT_TRUE(r);
  json = ParseJson(r->body);
  ASSERT_TRUE(json.ok()) << json.status() << r->body;
  EXPECT_EQ(json->Find("service")->Find("replicas")->items.size(), 3u);
  EXPECT_EQ(json->Find("diagnosis")->Find("service")->text, "api");
  EXPECT_NE(json->Find("expectations"), nullptr);
  EXPECT_NE(json->Find("history"), nullptr);
}

TEST_F(WebRoutesTest, ServicePageMarksTheReplicaThatDiffers) {
  Start();
  httplib::Result r = client_->Get("/service/api");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, "<tr data-instance=\"r3\" class=\"differs\">")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "<tr data-setting=\"workers\">"));
  EXPECT_TRUE(absl::StrContains(r->body, "<body data-events=\"/events?service=api\">"));
}

TEST_F(WebRoutesTest, UnknownServiceIs404WithASuggestion) {
  Start();
  httplib::Result r = client_->Get("/service/apj");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(absl::StrContains(r->body, "No service &#39;apj&#39;")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "Did you mean <a href=\"/service/api\">api</a>?"));
  r = client_->Get("/service/apj", {{"Accept", "application/json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "{\"error\": \"No service 'apj': no agent reported it and nothing is expected of it.\"}\n");
}

TEST_F(WebRoutesTest, BadRequestsAreRefusedWithTheReason) {
  Start();
  httplib::Result r = client_->Get("/service/api?hours=0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(absl::StrContains(r->body, "hours must be a whole number from 1 to 720")) << r->body;
  // A name no agent may report (a space): the validation's message.
  r = client_->Get("/service/a%20b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(absl::StrContains(r->body, "printable ASCII without spaces")) << r->body;
  r = client_->Get("/assets/nothing.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(WebRoutesTest, AssetsAreServedWithTheirTypes) {
  Start();
  httplib::Result css = client_->Get("/assets/corral.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->get_header_value("Content-Type"), "text/css; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(css->body, "prefers-color-scheme: dark"));
  httplib::Result js = client_->Get("/assets/corral.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(js->body, "new EventSource(source)"));
}

TEST_F(WebRoutesTest, EventsStreamWhatTheHistoryRecords) {
  Start();
  std::string received;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    httplib::Client client("127.0.0.1", endpoint_->port());
    client.set_read_timeout(10, 0);
    client.Get("/events?service=api", [&](const char* data, size_t length) {
      received.append(data, length);
      return !stop.load() && !absl::StrContains(received, "event: change");
    });
  });
  ASSERT_TRUE(corral::testing::WaitFor([&] { return pages_ != nullptr && absl::StrContains(received, "retry:"); },
                                       absl::Seconds(10)));
  corral::v1::Event e;
  e.set_kind("expectation_changed");
  e.set_service("api");
  e.set_message("api: workers expected 3");
  history_->Record({e});
  reader.join();
  EXPECT_TRUE(absl::StrContains(received, "event: change\ndata: {")) << received;
  EXPECT_TRUE(absl::StrContains(received, "\"message\":\"api: workers expected 3\"")) << received;
}

TEST_F(WebRoutesTest, StreamsPastTheLimitAre503AndStoppingEndsTheRest) {
  Start();
  std::vector<std::thread> readers;
  std::atomic<int> started{0};
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      httplib::Client client("127.0.0.1", endpoint_->port());
      client.set_read_timeout(30, 0);
      client.Get("/events", [&](const char*, size_t) {
        started.fetch_add(1);
        return true;
      });
    });
  }
  ASSERT_TRUE(corral::testing::WaitFor([&] { return started.load() >= 2; }, absl::Seconds(10)));
  httplib::Result third = client_->Get("/events");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 503);
  // Stopping the endpoint ends both streams rather than waiting for them.
  endpoint_.reset();
  for (std::thread& t : readers) t.join();
}

TEST_F(WebRoutesTest, WithATokenBrowsersLogInAndScriptsUseTheBearer) {
  Start("tok-123");
  httplib::Result r = client_->Get("/service/api", {{"Accept", "text/html"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(absl::StrContains(r->body, "<form id=\"login\"")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "name=\"next\" value=\"/service/api\""));
  r = client_->Get("/", {{"Accept", "application/json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_FALSE(absl::StrContains(r->body, "<form"));
  // Assets and the login form stay open.
  EXPECT_EQ(client_->Get("/assets/corral.css")->status, 200);
  EXPECT_EQ(client_->Get("/login")->status, 200);

  r = client_->Post("/login", "token=wrong&next=%2Fservice%2Fapi", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(absl::StrContains(r->body, "Wrong token."));
  EXPECT_EQ(r->get_header_value("Set-Cookie"), "");

  r = client_->Post("/login", "token=tok-123&next=%2Fservice%2Fapi", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->get_header_value("Location"), "/service/api");
  std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_EQ(cookie, LoginSetCookie("tok-123", false));
  std::string pair = cookie.substr(0, cookie.find(';'));
  r = client_->Get("/service/api", {{"Cookie", pair}, {"Accept", "text/html"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, "data-instance=\"r3\""));
  // An open redirect is not: next must be a path here.
  r = client_->Post("/login", "token=tok-123&next=https%3A%2F%2Fevil.example%2F", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Location"), "/");

  r = client_->Get("/metrics", {{"Authorization", "Bearer tok-123"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = client_->Get("/metrics", {{"Cookie", pair}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);  // a logged-in browser may read the metrics too
  EXPECT_EQ(client_->Get("/metrics")->status, 401);
}

// A server that cannot open its gRPC ports ends a moment after its HTTP
// endpoint started; httplib's stop() does nothing until the listening loop
// has begun, and the endpoint's thread would then never be joined.
TEST(HttpEndpointTest, AnEndpointStoppedAsSoonAsItStartedStops) {
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<std::unique_ptr<HttpEndpoint>> endpoint = HttpEndpoint::Start(
        "127.0.0.1:0", HttpOptions(), [] { return std::string(); }, [] { return true; }, nullptr);
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    auto stopped = std::make_shared<absl::Notification>();
    std::thread([e = *std::move(endpoint), stopped]() mutable {
      e.reset();
      stopped->Notify();
    }).detach();
    // A hung stop is left behind: the process ends with the test run.
    ASSERT_TRUE(stopped->WaitForNotificationWithTimeout(absl::Seconds(10))) << "start " << i << " never stopped";
  }
}

}  // namespace
}  // namespace corral::server::web
