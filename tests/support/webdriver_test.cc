// The browser harness itself, against a tiny page served by httplib in the
// test: headless Chromium loads it, reads its text, runs scripts, waits for
// a late change, resizes, takes a PNG screenshot, and leaves no process
// behind.
#include "tests/support/webdriver.h"

#include <signal.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/subprocess.h"

namespace corral::testing {
namespace {

constexpr char kPage[] = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>harness</title></head>
<body>
<h1 id="greeting">Hello &lt;web&gt;</h1>
<p id="hidden" style="display:none">not shown</p>
<ul id="list"><li>one</li><li>two</li></ul>
<div style="height:1500px">tall</div>
<script>
  document.getElementById('greeting').dataset.ran = 'yes';
  setTimeout(() => {
    const p = document.createElement('p');
    p.id = 'late';
    p.textContent = 'arrived';
    document.body.appendChild(p);
  }, 300);
</script>
</body></html>
)";

// httplib serving kPage at / on a free loopback port, stopped by the
// destructor.
class TinySite {
 public:
  TinySite() {
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kPage, "text/html"); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    WaitFor([&] { return server_.is_running(); }, absl::Seconds(5));
  }
  ~TinySite() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/"); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

bool Alive(int pid) {
  std::string stat = ReadLog(absl::StrCat("/proc/", pid, "/stat"));
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

TEST(WebDriver, DrivesHeadlessChromiumThroughAPage) {
  TinySite site;
  absl::StatusOr<std::unique_ptr<WebDriver>> started = WebDriver::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  WebDriver& browser = **started;

  ASSERT_TRUE(browser.Navigate(site.url()).ok());
  absl::StatusOr<std::string> url = browser.CurrentUrl();
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url, site.url());

  // Text as a person reads it: entities decoded, hidden elements empty.
  absl::StatusOr<std::string> greeting = browser.FindText("#greeting");
  ASSERT_TRUE(greeting.ok()) << greeting.status();
  EXPECT_EQ(*greeting, "Hello <web>");
  absl::StatusOr<std::string> hidden = browser.FindText("#hidden");
  ASSERT_TRUE(hidden.ok()) << hidden.status();
  EXPECT_EQ(*hidden, "");
  absl::StatusOr<std::string> missing = browser.FindText("#nothing-here");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("#nothing-here"), std::string::npos) << missing.status();

  // Scripts: the page's own script ran; values come back typed.
  absl::StatusOr<std::string> ran =
      browser.ExecuteScriptString("return document.getElementById('greeting').dataset.ran;");
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_EQ(*ran, "yes");
  absl::StatusOr<Json> sum = browser.ExecuteScript("return 40 + 2;");
  ASSERT_TRUE(sum.ok()) << sum.status();
  ASSERT_TRUE(sum->integer.has_value());
  EXPECT_EQ(*sum->integer, 42);
  absl::StatusOr<Json> items = browser.ExecuteScript(
      "return {n: document.querySelectorAll('#list li').length, title: document.title, "
      "none: undefined, quote: '\"\\\\'};");
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_NE(items->Find("n"), nullptr);
  EXPECT_EQ(items->Find("n")->integer.value_or(-1), 2);
  EXPECT_EQ(items->Find("title")->text, "harness");
  EXPECT_EQ(items->Find("quote")->text, "\"\\");
  absl::StatusOr<std::string> not_string = browser.ExecuteScriptString("return 7;");
  EXPECT_FALSE(not_string.ok());
  EXPECT_NE(not_string.status().message().find("number"), std::string::npos) << not_string.status();
  absl::StatusOr<Json> thrown = browser.ExecuteScript("throw new Error('boom from the page');");
  EXPECT_TRUE(absl::IsInvalidArgument(thrown.status())) << thrown.status();
  EXPECT_NE(thrown.status().message().find("boom from the page"), std::string::npos) << thrown.status();

  // A change that comes later is waited for; one that never comes times out
  // and says what was awaited.
  absl::Status late = browser.WaitFor("document.getElementById('late')", absl::Seconds(10));
  ASSERT_TRUE(late.ok()) << late;
  EXPECT_EQ(*browser.FindText("#late"), "arrived");
  absl::Status never = browser.WaitFor("window.neverSet === 1", absl::Milliseconds(300));
  EXPECT_TRUE(absl::IsDeadlineExceeded(never)) << never;
  EXPECT_NE(never.message().find("window.neverSet === 1"), std::string::npos) << never;

  // The window is the size asked for, at start and after a resize.
  absl::StatusOr<Json> viewport = browser.ExecuteScript("return [window.innerWidth, window.innerHeight];");
  ASSERT_TRUE(viewport.ok()) << viewport.status();
  ASSERT_EQ(viewport->items.size(), 2u);
  EXPECT_EQ(viewport->items[0].integer.value_or(0), 1280);
  EXPECT_EQ(viewport->items[1].integer.value_or(0), 900);
  ASSERT_TRUE(browser.SetViewportSize(390, 844).ok());
  viewport = browser.ExecuteScript("return [window.innerWidth, window.innerHeight];");
  ASSERT_TRUE(viewport.ok()) << viewport.status();
  ASSERT_EQ(viewport->items.size(), 2u);
  EXPECT_EQ(viewport->items[0].integer.value_or(0), 390);
  EXPECT_EQ(viewport->items[1].integer.value_or(0), 844);

  // A screenshot is a PNG of the viewport.
  std::string png_path = MakeTempDir("shot") + "/page.png";
  absl::Status shot = browser.Screenshot(png_path);
  ASSERT_TRUE(shot.ok()) << shot;
  std::string png = ReadLog(png_path);
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // IHDR's width, big-endian at byte 16.
  uint32_t png_width = (static_cast<unsigned char>(png[16]) << 24) | (static_cast<unsigned char>(png[17]) << 16) |
                       (static_cast<unsigned char>(png[18]) << 8) | static_cast<unsigned char>(png[19]);
  EXPECT_EQ(png_width, 390u);
  uint32_t shot_height = (static_cast<unsigned char>(png[20]) << 24) | (static_cast<unsigned char>(png[21]) << 16) |
                         (static_cast<unsigned char>(png[22]) << 8) | static_cast<unsigned char>(png[23]);
  EXPECT_EQ(shot_height, 844u);

  // The whole document, taller than the window; the window keeps its size.
  std::string full_path = png_path + ".full.png";
  absl::Status full = browser.FullPageScreenshot(full_path);
  ASSERT_TRUE(full.ok()) << full;
  std::string full_png = ReadLog(full_path);
  ASSERT_GT(full_png.size(), 24u);
  uint32_t png_height = (static_cast<unsigned char>(full_png[20]) << 24) |
                        (static_cast<unsigned char>(full_png[21]) << 16) |
                        (static_cast<unsigned char>(full_png[22]) << 8) | static_cast<unsigned char>(full_png[23]);
  int64_t document_height = browser.ExecuteScript("return document.documentElement.scrollHeight;")->integer.value_or(0);
  EXPECT_GT(document_height, 1500);
  EXPECT_EQ(png_height, static_cast<uint32_t>(document_height));
  EXPECT_EQ(browser.ExecuteScript("return window.innerHeight;")->integer.value_or(0), 844);
}

TEST(WebDriver, WithJavaScriptOffThePageScriptsDoNotRun) {
  TinySite site;
  BrowserOptions options;
  options.javascript = false;
  absl::StatusOr<std::unique_ptr<WebDriver>> started = WebDriver::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  WebDriver& browser = **started;
  ASSERT_TRUE(browser.Navigate(site.url()).ok());
  EXPECT_EQ(*browser.FindText("#greeting"), "Hello <web>");
  absl::StatusOr<Json> ran = browser.ExecuteScript("return document.getElementById('greeting').dataset.ran;");
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_TRUE(ran->is_null());
}

TEST(WebDriver, StopsChromedriverAndChromiumWhenDestroyed) {
  int chromedriver = 0;
  int chromium = 0;
  BrowserOptions options;
  options.dir = MakeTempDir("webdriver-stop");
  {
    absl::StatusOr<std::unique_ptr<WebDriver>> started = WebDriver::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    chromedriver = (*started)->chromedriver_pid();
    chromium = (*started)->chromium_pid();
    ASSERT_GT(chromedriver, 0);
    ASSERT_GT(chromium, 0);
    EXPECT_TRUE(Alive(chromedriver));
    EXPECT_TRUE(Alive(chromium));
  }
  EXPECT_TRUE(WaitFor([&] { return !Alive(chromedriver) && !Alive(chromium); }, absl::Seconds(5)))
      << "chromedriver " << chromedriver << " or chromium " << chromium << " outlived the WebDriver";
  EXPECT_FALSE(std::filesystem::exists(options.dir + "/profile"));
  EXPECT_NE(ReadLog(options.dir + "/chromedriver.log").find("ChromeDriver"), std::string::npos);
}

// Set inside the failing test below (EXPECT_FATAL_FAILURE's statement
// cannot use locals).
int failed_chromedriver = 0;
int failed_chromium = 0;

TEST(WebDriver, StopsEverythingWhenATestFailsHalfWay) {
  EXPECT_FATAL_FAILURE(
      {
        absl::StatusOr<std::unique_ptr<WebDriver>> started = WebDriver::Start();
        ASSERT_TRUE(started.ok()) << started.status();
        failed_chromedriver = (*started)->chromedriver_pid();
        failed_chromium = (*started)->chromium_pid();
        ASSERT_EQ(1, 2) << "a test failing with the browser open";
      },
      "a test failing with the browser open");
  ASSERT_GT(failed_chromedriver, 0);
  ASSERT_GT(failed_chromium, 0);
  EXPECT_TRUE(WaitFor([] { return !Alive(failed_chromedriver) && !Alive(failed_chromium); }, absl::Seconds(5)));
}

TEST(WebDriver, AMissingBinaryIsAClearError) {
  BrowserOptions options;
  options.chromedriver = "/nonexistent/chromedriver";
  absl::StatusOr<std::unique_ptr<WebDriver>> started = WebDriver::Start(options);
  ASSERT_FALSE(started.ok());
  EXPECT_TRUE(absl::IsNotFound(started.status())) << started.status();
  EXPECT_NE(started.status().message().find("/nonexistent/chromedriver"), std::string::npos) << started.status();
  EXPECT_NE(started.status().message().find("install-deps.sh browser"), std::string::npos) << started.status();
}

}  // namespace
}  // namespace corral::testing
