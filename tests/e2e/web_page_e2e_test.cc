// corral-server's pages in a real browser: Debian's headless Chromium,
// driven over WebDriver, against a real server fed by real agents watching
// the incident's Gunicorns (replica-3 runs the stale image). What a person
// at the page would check: the stale replica is marked, the differing
// settings and their sources are shown, the diagnosis names the stale
// image, a change reaches the timeline without a reload, a hostile service
// name stays text, and a server with a token asks for it. The pages' JSON
// is the CLI's --json. Screenshots go to test-artifacts/web/.
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/json.h"
#include "corral/v1/fleet.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/fleet_harness.h"
#include "tests/support/json_message.h"
#include "tests/support/subprocess.h"
#include "tests/support/webdriver.h"

namespace corral {
namespace {

using corral::JsonQuote;
using corral::testing::Container;
using corral::testing::ContainerOptions;
using corral::testing::Corral;
using corral::testing::OnlineInstances;
using corral::testing::Parse;
using corral::testing::ServerProcess;
using corral::testing::WebDriver;

// A service name that would run a script if any page wrote it unescaped,
// in element content or in a quoted attribute (the agent and the server
// accept any printable ASCII without spaces).
constexpr char kHostileService[] = "\"'><script>window.__xss=1</script>";

std::string ArtifactDir() { return std::string(CORRAL_ARTIFACT_DIR) + "/web"; }

std::string Url(const ServerProcess& server, const std::string& path) {
  return absl::StrCat("http://", server.http_address(), path);
}

// A client of the server's HTTP port.
std::unique_ptr<httplib::Client> HttpClient(const ServerProcess& server) {
  std::pair<std::string, std::string> hp = absl::StrSplit(server.http_address(), absl::MaxSplits(':', 1));
  int port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(hp.second, &port)) << server.http_address();
  auto client = std::make_unique<httplib::Client>(hp.first, port);
  client->set_read_timeout(20);
  return client;
}

// `js` evaluated in the page; "" (and a test failure) on error.
std::string Text(WebDriver& browser, const std::string& js) {
  absl::StatusOr<std::string> v = browser.ExecuteScriptString(js);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : "";
}

int64_t Number(WebDriver& browser, const std::string& js) {
  absl::StatusOr<Json> v = browser.ExecuteScript(js);
  EXPECT_TRUE(v.ok()) << v.status();
  if (!v.ok()) return -1;
  if (v->type == Json::Type::kBool) return v->boolean;
  return v->integer.value_or(-1);
}

// The rendered text of the first element matching `css`; "" (and a test
// failure) when none does.
std::string TextOf(WebDriver& browser, const std::string& css) {
  absl::StatusOr<std::string> v = browser.FindText(css);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : "";
}

// One member of a JSON object as the protobuf message it holds.
template <typename Message>
Message Member(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  EXPECT_NE(it, object.fields().end()) << "no \"" << key << "\" in the page's JSON";
  if (it == object.fields().end()) return Message();
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(it->second, &json).ok());
  return Parse<Message>(json);
}

std::map<std::string, std::string> Verdicts(const corral::v1::Diagnosis& d) {
  std::map<std::string, std::string> out;
  for (const auto& h : d.hypotheses()) out[h.id()] = h.verdict();
  return out;
}

std::string SavedScreenshot(WebDriver& browser, const std::string& name, bool full_page = false) {
  std::string path = ArtifactDir() + "/" + name;
  absl::Status shot = full_page ? browser.FullPageScreenshot(path) : browser.Screenshot(path);
  EXPECT_TRUE(shot.ok()) << shot;
  std::string png = corral::testing::ReadLog(path);
  EXPECT_GT(png.size(), 1000u) << path;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << path;
  std::cout << "screenshot: " << path << "\n";
  return path;
}

// The elements that reach past the right edge of the viewport (outside
// boxes that scroll sideways), for a failure message.
std::string Overflowing(WebDriver& browser) {
  absl::StatusOr<std::string> v = browser.ExecuteScriptString(
      "const out = [];"
      "for (const e of document.querySelectorAll('body *')) {"
      "  if (e.closest('.scroll')) continue;"
      "  const r = e.getBoundingClientRect();"
      "  if (r.right > window.innerWidth + 0.5) {"
      "    out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +"
      "             (e.className && e.className.baseVal === undefined ? '.' + e.className : '') +"
      "             ' right=' + Math.round(r.right) + ' \"' + (e.textContent || '').trim().slice(0, 60) + '\"');"
      "  }"
      "}"
      "return 'wider than the viewport:\\n' + out.slice(0, 15).join('\\n');");
  return v.ok() ? *v : std::string(v.status().message());
}

// Loads `url` and waits until the document is complete.
void Open(WebDriver& browser, const std::string& url) {
  absl::Status loaded = browser.Navigate(url);
  ASSERT_TRUE(loaded.ok()) << loaded;
  ASSERT_TRUE(browser.WaitFor("document.readyState === 'complete'", absl::Seconds(10)).ok());
}

TEST(WebPageE2E, TheIncidentFleetInTheBrowser) {
  std::string dir = corral::testing::MakeTempDir("web");
  auto server = ServerProcess::Start(dir, {"--agent-interval", "500ms"});
  ASSERT_FALSE(server->http_address().empty()) << server->process().Log();
  std::vector<std::unique_ptr<Container>> fleet = corral::testing::StartIncidentFleet(dir, *server);
  ASSERT_EQ(fleet.size(), 3u);
  auto hostile = Container::Start(dir, ContainerOptions{kHostileService,
                                                        "hostile-1",
                                                        {"--workers", "1", "--bind", "0.0.0.0:8000", "app:app"},
                                                        server->unix_target()});
  ASSERT_TRUE(corral::testing::WaitFor([&] { return OnlineInstances(server->address()) == 4; }, absl::Seconds(30)))
      << Corral({"instances"}, server->address()).out;
  corral::testing::RunResult imported = Corral(
      {"expect", "import", corral::testing::SourceDir() + "/examples/incident/docker-compose.yml"}, server->address());
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;

  // As in diagnose_e2e_test: once every replica's workers are reported the
  // diagnosis is settled, and the history has the stale image's finding.
  corral::v1::Diagnosis cli_diagnosis;
  ASSERT_TRUE(corral::testing::WaitFor(
      [&] {
        corral::testing::RunResult run = Corral({"diagnose", "api-backend", "--json"}, server->address());
        if (run.exit_code != 1) return false;
        cli_diagnosis = Parse<corral::v1::Diagnosis>(run.out);
        std::map<std::string, std::string> v = Verdicts(cli_diagnosis);
        return v["crash_at_start"] == "ruled_out" && v["wsgi_entry_point"] == "ruled_out" &&
               v["stale_image"] == "confirmed";
      },
      absl::Seconds(20)));
  ASSERT_TRUE(corral::testing::WaitFor(
      [&] {
        auto h = Parse<corral::v1::HistoryResponse>(
            Corral({"history", "--service", "api-backend", "--json"}, server->address()).out);
        for (const auto& e : h.events()) {
          if (e.kind() == "finding_opened" && e.rule() == "STALE_IMAGE") return true;
        }
        return false;
      },
      absl::Seconds(10)));
  // Replica-3's single worker boots after its master: wait until every
  // replica's workers are reported, so the page and the CLI see the same.
  corral::v1::ServiceDetail cli_detail;
  ASSERT_TRUE(corral::testing::WaitFor(
      [&] {
        cli_detail =
            Parse<corral::v1::ServiceDetail>(Corral({"service", "api-backend", "--json"}, server->address()).out);
        std::map<std::string, int> live;
        for (const auto& r : cli_detail.replicas()) live[r.instance()] = r.live_workers();
        return live == std::map<std::string, int>{{"replica-1", 3}, {"replica-2", 3}, {"replica-3", 1}};
      },
      absl::Seconds(20)))
      << cli_detail.DebugString();
  // The diagnosis again, now that every worker is counted: verdicts that
  // compare replicas with the declaration (compose_override) settle only
  // then.
  {
    corral::testing::RunResult run = Corral({"diagnose", "api-backend", "--json"}, server->address());
    ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
    cli_diagnosis = Parse<corral::v1::Diagnosis>(run.out);
  }
  auto cli_expectations =
      Parse<corral::v1::ExpectationsList>(Corral({"expect", "show", "api-backend", "--json"}, server->address()).out);

  absl::StatusOr<std::unique_ptr<WebDriver>> started = WebDriver::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  WebDriver& browser = **started;

  {
    SCOPED_TRACE("the fleet page");
    Open(browser, Url(*server, "/"));
    // One row per service `corral status` lists (declared ones included).
    auto cli_status = Parse<corral::v1::FleetStatus>(Corral({"status", "--json"}, server->address()).out);
    EXPECT_EQ(Number(browser, "return document.querySelectorAll('table#fleet tr[data-service]').length;"),
              cli_status.services_size());
    EXPECT_EQ(Text(browser, "return document.querySelector('#fleet tr[data-service=\"api-backend\"]').dataset.status;"),
              "critical");
    EXPECT_EQ(Text(browser,
                   "return document.querySelector('#fleet tr[data-service=\"api-backend\"] "
                   "a[href=\"/service/api-backend\"]').textContent.trim();"),
              "api-backend");
    // The filter box hides the rows whose name does not match, in the page.
    Number(browser,
           "const box = document.getElementById('filter'); box.value = 'backend';"
           "box.dispatchEvent(new Event('input', {bubbles: true})); return 0;");
    EXPECT_EQ(Number(browser,
                     "return [...document.querySelectorAll('#fleet tr[data-service]')]"
                     ".filter(r => r.offsetParent !== null).map(r => r.dataset.service).length;"),
              1);
    EXPECT_EQ(Text(browser,
                   "return [...document.querySelectorAll('#fleet tr[data-service]')]"
                   ".filter(r => r.offsetParent !== null)[0].dataset.service;"),
              "api-backend");
    Number(browser,
           "const box = document.getElementById('filter'); box.value = '';"
           "box.dispatchEvent(new Event('input', {bubbles: true})); return 0;");
    SavedScreenshot(browser, "fleet-desktop.png");
  }

  {
    SCOPED_TRACE("a hostile service name is text");
    const std::string find_row = absl::StrCat(
        "const row = [...document.querySelectorAll('#fleet tr[data-service]')].find(r => r.dataset.service === ",
        JsonQuote(kHostileService), ");");
    EXPECT_EQ(Number(browser, find_row + "return row !== undefined;"), 1);
    EXPECT_EQ(Number(browser, find_row + "return row.innerText.includes(" + JsonQuote(kHostileService) + ");"), 1);
    EXPECT_EQ(Number(browser, "return window.__xss === undefined;"), 1);
    EXPECT_EQ(Number(browser,
                     "return [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__xss'))"
                     ".length;"),
              0);
    // Its own page, through the row's link.
    Number(browser, find_row + "row.querySelector('a').click(); return 0;");
    EXPECT_TRUE(browser.WaitFor("location.pathname.startsWith('/service/%22')", absl::Seconds(10)).ok());
    ASSERT_TRUE(browser.WaitFor("document.readyState === 'complete'", absl::Seconds(10)).ok());
    EXPECT_EQ(Number(browser, "return document.body.innerText.includes(" + JsonQuote(kHostileService) + ");"), 1);
    EXPECT_EQ(Number(browser, "return window.__xss === undefined;"), 1);
    EXPECT_EQ(Number(browser, "return document.querySelectorAll('#replicas tr[data-instance=\"hostile-1\"]').length;"),
              1);
    // The HTML itself (what a browser without JavaScript gets) has the name
    // escaped, never raw.
    auto http = HttpClient(*server);
    httplib::Result fleet_html = http->Get("/", {{"Accept", "text/html"}});
    ASSERT_TRUE(fleet_html);
    EXPECT_EQ(fleet_html->status, 200);
    EXPECT_FALSE(absl::StrContains(fleet_html->body, "<script>window.__xss")) << fleet_html->body;
    EXPECT_TRUE(absl::StrContains(fleet_html->body, "&lt;script&gt;window.__xss=1&lt;/script&gt;"));
    EXPECT_TRUE(absl::StrContains(fleet_html->body, "<table id=\"fleet\""));
  }

  {
    SCOPED_TRACE("the service page");
    Open(browser, Url(*server, "/service/api-backend"));
    for (const char* instance : {"replica-1", "replica-2", "replica-3"}) {
      EXPECT_EQ(Number(browser, absl::StrCat("return document.querySelector('#replicas tr[data-instance=\"", instance,
                                             "\"]').classList.contains('differs');")),
                int64_t{std::string(instance) == "replica-3"})
          << instance;
    }
    // The differing workers, each replica's value with its source, as the
    // CLI reports them.
    std::string workers_row = TextOf(browser, "#differences tr[data-setting=\"workers\"]");
    const corral::v1::SettingComparison* workers = nullptr;
    for (const auto& s : cli_detail.differing_settings()) {
      if (s.setting() == "workers") workers = &s;
    }
    ASSERT_NE(workers, nullptr) << cli_detail.DebugString();
    std::set<std::string> values;
    for (const auto& v : workers->values()) {
      values.insert(v.value());
      EXPECT_TRUE(absl::StrContains(workers_row, v.value())) << workers_row;
      EXPECT_TRUE(absl::StrContains(workers_row, v.source())) << workers_row;
    }
    EXPECT_EQ(values, (std::set<std::string>{"1", "3"}));
    EXPECT_TRUE(absl::StrContains(workers_row, "cmdline")) << workers_row;
    for (const auto& s : cli_detail.differing_settings()) {
      EXPECT_EQ(Number(browser, absl::StrCat("return document.querySelectorAll('#differences tr[data-setting=", "\"",
                                             s.setting(), "\"]').length;")),
                1)
          << s.setting();
    }

    // Findings, expectations with where they were declared, the diagnosis.
    for (const auto& f : cli_detail.findings()) {
      EXPECT_GE(Number(browser, absl::StrCat("return document.querySelectorAll('#findings li[data-rule=\"", f.rule(),
                                             "\"]').length;")),
                1)
          << f.rule();
    }
    EXPECT_GE(Number(browser, "return document.querySelectorAll('#findings li[data-rule=\"STALE_IMAGE\"]').length;"),
              1);
    std::string expectations = TextOf(browser, "#expectations");
    ASSERT_EQ(cli_expectations.services_size(), 1);
    for (const auto& e : cli_expectations.services(0).expectations()) {
      if (e.key() == "workers") {
        EXPECT_TRUE(absl::StrContains(expectations, e.origin())) << expectations;
      }
    }
    std::string summary = TextOf(browser, "#diagnosis-summary");
    EXPECT_TRUE(absl::StrContains(summary, "stale Docker image")) << summary;
    EXPECT_TRUE(absl::StrContains(cli_diagnosis.summary(), "stale Docker image")) << cli_diagnosis.summary();
    EXPECT_EQ(Number(browser, "return document.querySelectorAll('#diagnosis li[data-hypothesis]').length;"), 7);
    for (const auto& [id, verdict] : Verdicts(cli_diagnosis)) {
      EXPECT_EQ(Text(browser, absl::StrCat("return document.querySelector('#diagnosis li[data-hypothesis=\"", id,
                                           "\"]').dataset.verdict;")),
                verdict)
          << id;
    }
    EXPECT_GE(Number(browser, "return document.querySelectorAll('#history #timeline li[data-event-id]').length;"), 1);
    EXPECT_EQ(Number(browser, "return document.querySelectorAll('#history svg#workers-chart').length;"), 1);
    SavedScreenshot(browser, "service-desktop.png", /*full_page=*/true);
  }

  {
    SCOPED_TRACE("readable on a phone");
    ASSERT_TRUE(browser.SetViewportSize(390, 844).ok());
    EXPECT_EQ(Number(browser, "return window.innerWidth;"), 390);
    // Paths and argv wrap; wide tables scroll in their own box.
    EXPECT_LE(Number(browser, "return document.documentElement.scrollWidth;"), 390) << Overflowing(browser);
    SavedScreenshot(browser, "service-phone.png");
    Open(browser, Url(*server, "/"));
    // Nothing wider than the screen: the wide table scrolls in its own box.
    EXPECT_LE(Number(browser, "return document.documentElement.scrollWidth;"), 390) << Overflowing(browser);
    SavedScreenshot(browser, "fleet-phone.png");
    ASSERT_TRUE(browser.SetViewportSize(1280, 900).ok());
  }

  {
    SCOPED_TRACE("with JavaScript off the pages are complete");
    corral::testing::BrowserOptions options;
    options.javascript = false;
    absl::StatusOr<std::unique_ptr<WebDriver>> plain_started = WebDriver::Start(options);
    ASSERT_TRUE(plain_started.ok()) << plain_started.status();
    WebDriver& plain = **plain_started;
    Open(plain, Url(*server, "/service/api-backend"));
    EXPECT_EQ(Text(plain, "return document.getElementById('live').textContent;"), "") << "the page's script ran";
    EXPECT_EQ(Number(plain,
                     "return document.querySelector('#replicas tr[data-instance=\"replica-3\"]')"
                     ".classList.contains('differs');"),
              1);
    EXPECT_TRUE(absl::StrContains(TextOf(plain, "#diagnosis-summary"), "stale Docker image"));
    EXPECT_EQ(Number(plain, "return document.querySelectorAll('#differences tr[data-setting=\"workers\"]').length;"),
              1);
    EXPECT_GE(Number(plain, "return document.querySelectorAll('#timeline li[data-event-id]').length;"), 1);
    EXPECT_EQ(Number(plain, "return document.querySelectorAll('svg#workers-chart').length;"), 1);
    // The filter box is a form: without the script the server filters.
    Open(plain, Url(*server, "/?q=backend"));
    EXPECT_EQ(Number(plain, "return document.querySelectorAll('#fleet tr[data-service]').length;"), 1);
    EXPECT_EQ(Text(plain, "return document.querySelector('#fleet tr[data-service]').dataset.service;"), "api-backend");
  }

  {
    SCOPED_TRACE("the JSON at the same paths is the CLI's --json");
    auto http = HttpClient(*server);
    httplib::Result fleet_json = http->Get("/", {{"Accept", "application/json"}});
    ASSERT_TRUE(fleet_json);
    EXPECT_EQ(fleet_json->status, 200);
    EXPECT_TRUE(absl::StartsWith(fleet_json->get_header_value("Content-Type"), "application/json"));
    auto page_status = Parse<corral::v1::FleetStatus>(fleet_json->body);
    auto cli_status = Parse<corral::v1::FleetStatus>(Corral({"status", "--json"}, server->address()).out);
    ASSERT_EQ(page_status.services_size(), cli_status.services_size()) << fleet_json->body;
    for (int i = 0; i < cli_status.services_size(); ++i) {
      const auto& p = page_status.services(i);
      const auto& c = cli_status.services(i);
      EXPECT_EQ(p.service(), c.service());
      EXPECT_EQ(p.status(), c.status()) << c.service();
      EXPECT_EQ(p.replicas_online(), c.replicas_online()) << c.service();
      EXPECT_EQ(p.replicas_total(), c.replicas_total()) << c.service();
      EXPECT_EQ(p.findings(), c.findings()) << c.service();
    }

    httplib::Result service_json = http->Get("/service/api-backend", {{"Accept", "application/json"}});
    ASSERT_TRUE(service_json);
    EXPECT_EQ(service_json->status, 200);
    google::protobuf::Struct page;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(service_json->body, &page).ok()) << service_json->body;
    auto detail = Member<corral::v1::ServiceDetail>(page, "service");
    std::map<std::string, int> page_workers, cli_workers;
    for (const auto& r : detail.replicas()) page_workers[r.instance()] = r.live_workers();
    for (const auto& r : cli_detail.replicas()) cli_workers[r.instance()] = r.live_workers();
    EXPECT_EQ(page_workers, cli_workers);
    std::set<std::string> page_settings, cli_settings;
    for (const auto& s : detail.differing_settings()) page_settings.insert(s.setting());
    for (const auto& s : cli_detail.differing_settings()) cli_settings.insert(s.setting());
    EXPECT_EQ(page_settings, cli_settings);
    auto diagnosis = Member<corral::v1::Diagnosis>(page, "diagnosis");
    EXPECT_EQ(diagnosis.summary(), cli_diagnosis.summary());
    EXPECT_EQ(Verdicts(diagnosis), Verdicts(cli_diagnosis));
    auto expectations = Member<corral::v1::ExpectationsList>(page, "expectations");
    ASSERT_EQ(expectations.services_size(), 1);
    std::map<std::string, std::string> page_expected, cli_expected;
    for (const auto& e : expectations.services(0).expectations()) page_expected[e.key()] = e.value();
    for (const auto& e : cli_expectations.services(0).expectations()) cli_expected[e.key()] = e.value();
    EXPECT_EQ(page_expected, cli_expected);
    auto history = Member<corral::v1::HistoryResponse>(page, "history");
    auto cli_history = Parse<corral::v1::HistoryResponse>(
        Corral({"history", "--service", "api-backend", "--json"}, server->address()).out);
    // Both lists may have grown between the two requests: compare the
    // events both cover.
    std::map<int64_t, std::string> page_events;
    for (const auto& e : history.events()) page_events[e.id()] = e.kind() + " " + e.message();
    ASSERT_FALSE(page_events.empty());
    int compared = 0;
    for (const auto& e : cli_history.events()) {
      if (e.id() < page_events.begin()->first || e.id() > page_events.rbegin()->first) continue;
      EXPECT_EQ(page_events[e.id()], e.kind() + " " + e.message()) << e.id();
      ++compared;
    }
    EXPECT_GT(compared, 0);
  }

  {
    SCOPED_TRACE("a change reaches the open page without a reload");
    Open(browser, Url(*server, "/service/api-backend"));
    ASSERT_TRUE(browser.WaitFor("document.querySelector('#timeline li[data-event-id]')", absl::Seconds(10)).ok());
    // The page follows the server's events once its stream is open ("live",
    // or "updated ..." once an event came); a change made before that would
    // only show at the next periodic refresh.
    absl::Status live = browser.WaitFor(
        "['live', 'updated'].includes(document.getElementById('live').textContent.split(' ')[0])", absl::Seconds(10));
    ASSERT_TRUE(live.ok()) << live;
    ASSERT_EQ(Number(browser, "window.__marker = 1; return window.__marker;"), 1);
    int64_t newest = Number(browser,
                            "return Math.max(...[...document.querySelectorAll('#timeline li[data-event-id]')]"
                            ".map(li => Number(li.dataset.eventId)));");
    ASSERT_GT(newest, 0);
    // One more worker on replica-1 (SIGTTIN): Gunicorn forks it at once, the
    // agent reports 4 live workers, the server records workers_changed.
    int master = fleet[0]->gunicorn_master();
    ASSERT_GT(master, 0);
    ASSERT_EQ(::kill(master, SIGTTIN), 0);
    ASSERT_TRUE(fleet[0]->WaitForWorkers(4, absl::Seconds(20)));
    absl::Time forked = absl::Now();
    std::string appeared =
        absl::StrCat("[...document.querySelectorAll('#timeline li[data-event-id]')]",
                     ".some(li => Number(li.dataset.eventId) > ", newest, " && li.textContent.includes('replica-1'))");
    absl::Status seen = browser.WaitFor(appeared, absl::Seconds(15));
    EXPECT_TRUE(seen.ok()) << seen << "\n" << TextOf(browser, "#timeline");
    // How long it took, in agent intervals (500ms); the bound the issue sets
    // is two. Printed, not asserted: timing belongs to bench/.
    std::cout << "timeline updated " << absl::FormatDuration(absl::Now() - forked)
              << " after replica-1's fourth worker was forked (agent interval 500ms)\n";
    EXPECT_EQ(Number(browser, "return window.__marker;"), 1) << "the page was reloaded";
    // The new entry is the server's workers_changed event for replica-1.
    auto cli_history = Parse<corral::v1::HistoryResponse>(
        Corral({"history", "--service", "api-backend", "--json"}, server->address()).out);
    bool matched = false;
    for (const auto& e : cli_history.events()) {
      if (e.id() <= newest || e.instance() != "replica-1" || e.kind() != "workers_changed") continue;
      matched |= Number(browser, absl::StrCat("return document.querySelectorAll('#timeline li[data-event-id=\"", e.id(),
                                              "\"]').length;")) == 1;
    }
    EXPECT_TRUE(matched) << cli_history.DebugString();
    EXPECT_EQ(Number(browser, "return window.__xss === undefined;"), 1);
  }
}

TEST(WebPageE2E, WithATokenThePageAsksForItOnce) {
  std::string dir = corral::testing::MakeTempDir("webtoken");
  const std::string token = "page-s3cret";
  corral::testing::WriteFile(dir + "/token", token + "\n");
  auto server = ServerProcess::Start(dir, {"--token-file", dir + "/token"});
  ASSERT_FALSE(server->http_address().empty()) << server->process().Log();
  corral::testing::RunResult set =
      Corral({"expect", "set", "api-backend", "workers=3", "--token-file", dir + "/token"}, server->address());
  ASSERT_EQ(set.exit_code, 0) << set.err;

  {
    SCOPED_TRACE("over plain HTTP");
    auto http = HttpClient(*server);
    // A browser (it accepts HTML) gets the login form; a script a refusal.
    httplib::Result anonymous = http->Get("/", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401);
    EXPECT_TRUE(absl::StrContains(anonymous->body, "<form id=\"login\"")) << anonymous->body;
    EXPECT_FALSE(absl::StrContains(anonymous->body, "api-backend")) << anonymous->body;
    httplib::Result script = http->Get("/");
    ASSERT_TRUE(script);
    EXPECT_EQ(script->status, 401);
    EXPECT_FALSE(absl::StrContains(script->body, "api-backend")) << script->body;
    httplib::Result json = http->Get("/service/api-backend", {{"Accept", "application/json"}});
    ASSERT_TRUE(json);
    EXPECT_EQ(json->status, 401);
    EXPECT_FALSE(absl::StrContains(json->body, "workers")) << json->body;
    httplib::Result wrong = http->Post("/login", "token=guess", "application/x-www-form-urlencoded");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401);
    EXPECT_FALSE(wrong->has_header("Set-Cookie"));
    httplib::Result right = http->Post("/login", "token=" + token, "application/x-www-form-urlencoded");
    ASSERT_TRUE(right);
    EXPECT_EQ(right->status, 303);
    EXPECT_EQ(right->get_header_value("Location"), "/");
    std::string cookie = right->get_header_value("Set-Cookie");
    EXPECT_TRUE(absl::StartsWith(cookie, "corral_token=")) << cookie;
    for (const char* attribute : {"HttpOnly", "SameSite=Strict", "Path=/"}) {
      EXPECT_TRUE(absl::StrContains(cookie, attribute)) << cookie;
    }
    // Prometheus' bearer token keeps working for /metrics.
    httplib::Result metrics = http->Get("/metrics", {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200);
    httplib::Result no_metrics = http->Get("/metrics");
    ASSERT_TRUE(no_metrics);
    EXPECT_EQ(no_metrics->status, 401);
  }

  absl::StatusOr<std::unique_ptr<WebDriver>> started = WebDriver::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  WebDriver& browser = **started;
  Open(browser, Url(*server, "/service/api-backend"));
  EXPECT_EQ(
      Number(browser, "return document.querySelectorAll('form#login[method=\"post\"][action=\"/login\"]').length;"), 1);
  EXPECT_EQ(Number(browser, "return document.querySelectorAll('label[for=\"token\"]').length;"), 1);
  EXPECT_EQ(Text(browser, "return document.getElementById('token').type;"), "password");
  EXPECT_EQ(Number(browser, "return document.querySelectorAll('#expectations, #fleet').length;"), 0);
  SavedScreenshot(browser, "login-desktop.png");

  auto submit = [&](const std::string& value) {
    Number(browser, absl::StrCat("window.__before_submit = 1; document.getElementById('token').value = ",
                                 JsonQuote(value), "; document.getElementById('login').requestSubmit(); return 0;"));
    // A new document has replaced the one the flag was set in.
    ASSERT_TRUE(
        browser.WaitFor("window.__before_submit === undefined && document.readyState === 'complete'", absl::Seconds(10))
            .ok());
  };
  submit("guess");
  EXPECT_EQ(Number(browser, "return document.querySelectorAll('form#login').length;"), 1);
  EXPECT_TRUE(absl::StrContains(TextOf(browser, "#login-error"), "Wrong token"));
  EXPECT_EQ(Number(browser, "return document.querySelectorAll('#fleet').length;"), 0);
  absl::StatusOr<Json> cookies = browser.Cookies();
  ASSERT_TRUE(cookies.ok()) << cookies.status();
  EXPECT_EQ(cookies->items.size(), 0u);

  // The form brings the reader back to the page first asked for.
  submit(token);
  EXPECT_EQ(Text(browser, "return location.pathname;"), "/service/api-backend");
  EXPECT_EQ(Number(browser, "return document.querySelectorAll('section#expectations').length;"), 1);
  EXPECT_EQ(Number(browser, "return document.querySelectorAll('form#login').length;"), 0);
  // The cookie is there, but scripts cannot read it.
  cookies = browser.Cookies();
  ASSERT_TRUE(cookies.ok()) << cookies.status();
  const Json* session = nullptr;
  for (const Json& c : cookies->items) {
    if (const Json* name = c.Find("name"); name != nullptr && name->text == "corral_token") session = &c;
  }
  ASSERT_NE(session, nullptr);
  ASSERT_NE(session->Find("httpOnly"), nullptr);
  EXPECT_TRUE(session->Find("httpOnly")->boolean);
  ASSERT_NE(session->Find("sameSite"), nullptr);
  EXPECT_EQ(session->Find("sameSite")->text, "Strict");
  EXPECT_EQ(Text(browser, "return document.cookie;"), "");
  EXPECT_TRUE(absl::StrContains(TextOf(browser, "#expectations"), "workers"));
  // Once in, every page opens without asking again.
  Open(browser, Url(*server, "/"));
  EXPECT_EQ(Number(browser, "return document.querySelectorAll('form#login').length;"), 0);
  EXPECT_EQ(Number(browser, "return document.querySelectorAll('h1').length;"), 1);
  EXPECT_EQ(Text(browser, "return document.querySelector('h1').textContent;"), "Fleet");
}

}  // namespace
}  // namespace corral
