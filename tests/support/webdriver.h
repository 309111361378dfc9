// A small W3C WebDriver client for browser tests: starts Debian's
// chromedriver on a free port, opens one session with headless Chromium and
// drives it over HTTP (cpp-httplib). Enough for tests that look at a page
// the way a person would: navigate, read text, run a script, wait for a
// condition, take a screenshot.
//
// The destructor ends the session, stops chromedriver and every process
// it started (Chromium's whole process group), also when a test fails
// half-way (hold the WebDriver in a local or a fixture member), and removes
// Chromium's profile; chromedriver's log stays in the directory.
#ifndef CORRAL_TESTS_SUPPORT_WEBDRIVER_H_
#define CORRAL_TESTS_SUPPORT_WEBDRIVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/json_reader.h"
#include "tests/support/subprocess.h"

namespace httplib {
class Client;
}

namespace corral::testing {

struct BrowserOptions {
  std::string chromedriver = "/usr/bin/chromedriver";
  std::string chromium = "/usr/bin/chromium";
  // Initial viewport size (window.innerWidth x innerHeight), CSS pixels.
  int width = 1280;
  int height = 900;
  // Where chromedriver's log and Chromium's profile go ("": a fresh temp
  // directory).
  std::string dir;
  // False: the page's own scripts do not run (what a reader with
  // JavaScript turned off sees); the WebDriver's scripts still do.
  bool javascript = true;
  // How long chromedriver may take to answer and Chromium to start.
  absl::Duration startup_timeout = absl::Seconds(30);
};

class WebDriver {
 public:
  // Starts chromedriver and a headless Chromium session. Fails with a
  // message naming the binary (and chromedriver's log) when either is
  // missing or does not start.
  static absl::StatusOr<std::unique_ptr<WebDriver>> Start(const BrowserOptions& options = {});
  ~WebDriver();

  WebDriver(const WebDriver&) = delete;
  WebDriver& operator=(const WebDriver&) = delete;

  // Loads `url` and waits for its load event.
  absl::Status Navigate(const std::string& url);
  // The URL of the current document.
  absl::StatusOr<std::string> CurrentUrl();

  // Runs `js` as the body of a function in the page (so `return X;` gives
  // X) and returns its value as JSON: undefined and null as null, DOM
  // nodes as WebDriver element references. An exception thrown by the
  // script is an error with its message.
  absl::StatusOr<Json> ExecuteScript(const std::string& js);
  // As ExecuteScript, for scripts that return a string; other values are an
  // error naming their type.
  absl::StatusOr<std::string> ExecuteScriptString(const std::string& js);

  // The rendered text (innerText, as a person reads it) of the first element
  // matching the CSS selector `css`; NotFound when none does.
  absl::StatusOr<std::string> FindText(const std::string& css);

  // Polls the JavaScript expression `predicate` every 100 ms until it is
  // truthy. A script error (e.g. while the document is being replaced)
  // counts as false. DeadlineExceeded after `timeout`, naming the
  // expression and the last error.
  absl::Status WaitFor(const std::string& predicate, absl::Duration timeout);

  // Writes a PNG of the viewport to `path` (creating its directory).
  absl::Status Screenshot(const std::string& path);

  // As Screenshot, of the whole document: the window is made as tall as
  // the page (at most 16384 px) for the shot, then given its size back.
  absl::Status FullPageScreenshot(const std::string& path);

  // Resizes the window's outer size; the viewport follows (headless
  // Chromium keeps room for a toolbar: the viewport is less tall).
  absl::Status SetWindowSize(int width, int height);
  // Resizes the window so that the viewport (window.innerWidth x
  // innerHeight, what the page lays out in) is `width` x `height`: a
  // phone's 390 x 844, say.
  absl::Status SetViewportSize(int width, int height);

  // The cookies the browser holds for the current document, as WebDriver's
  // cookie objects (name, value, path, httpOnly, sameSite, ...), HttpOnly
  // ones included.
  absl::StatusOr<Json> Cookies();

  // chromedriver's log so far, for failure messages.
  std::string Log() const;
  // Pids of chromedriver and of the Chromium it launched (0 before).
  int chromedriver_pid() const { return chromedriver_ ? chromedriver_->pid() : 0; }
  int chromium_pid() const { return chromium_pid_; }

 private:
  WebDriver() = default;
  // One WebDriver command on the session ("" path: the session itself).
  // Returns the response's "value", or the WebDriver error as a status.
  absl::StatusOr<Json> Command(const char* method, const std::string& path, const std::string& body = "");
  absl::StatusOr<Json> Call(const char* method, const std::string& path, const std::string& body,
                            absl::Duration timeout);

  std::unique_ptr<Process> chromedriver_;
  std::unique_ptr<httplib::Client> client_;
  std::string dir_;
  std::string session_;
  int port_ = 0;
  int chromium_pid_ = 0;
};

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_WEBDRIVER_H_
