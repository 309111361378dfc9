#include "tests/support/webdriver.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "httplib.h"

namespace corral::testing {
namespace {

// The W3C key of an element reference in a WebDriver JSON value.
constexpr char kElementKey[] = "element-6066-11e4-a52e-4f735466cecf";
constexpr absl::Duration kCommandTimeout = absl::Seconds(60);
constexpr absl::Duration kQuitTimeout = absl::Seconds(10);

// WebDriver's error codes (W3C, "Errors") as absl codes, so a test can tell
// "no such element" from a broken session.
absl::StatusCode CodeOf(const std::string& error) {
  if (error == "no such element" || error == "no such window" || error == "no such cookie") {
    return absl::StatusCode::kNotFound;
  }
  if (error == "timeout" || error == "script timeout") return absl::StatusCode::kDeadlineExceeded;
  if (error == "javascript error" || error == "invalid argument" || error == "invalid selector") {
    return absl::StatusCode::kInvalidArgument;
  }
  if (error == "invalid session id" || error == "session not created") return absl::StatusCode::kFailedPrecondition;
  return absl::StatusCode::kInternal;
}

std::string TypeName(Json::Type type) {
  switch (type) {
    case Json::Type::kNull:
      return "null";
    case Json::Type::kBool:
      return "boolean";
    case Json::Type::kNumber:
      return "number";
    case Json::Type::kString:
      return "string";
    case Json::Type::kArray:
      return "array";
    case Json::Type::kObject:
      return "object";
  }
  return "?";
}

// chromedriver's messages end with "\n  (Session info: ...)" and a stack
// trace; the first line says what went wrong.
std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

bool Alive(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  // A zombie is gone for our purposes: its parent just has not reaped it.
  std::string stat = ReadLog(absl::StrCat("/proc/", pid, "/stat"));
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebDriver>> WebDriver::Start(const BrowserOptions& options) {
  for (const std::string* binary : {&options.chromedriver, &options.chromium}) {
    if (::access(binary->c_str(), X_OK) != 0) {
      return absl::NotFoundError(
          absl::StrCat(*binary,
                       " is not installed (scripts/install-deps.sh browser installs chromium and "
                       "chromium-driver)"));
    }
  }
  auto d = std::unique_ptr<WebDriver>(new WebDriver());
  d->dir_ = options.dir.empty() ? MakeTempDir("webdriver") : options.dir;
  std::filesystem::create_directories(d->dir_);
  std::string log = d->dir_ + "/chromedriver.log";

  // FreePort can race with another test taking the port: then chromedriver
  // exits at once and another port is tried.
  bool ready = false;
  for (int attempt = 0; attempt < 3 && !ready; ++attempt) {
    d->port_ = FreePort();
    d->chromedriver_ =
        Process::Start({options.chromedriver, absl::StrCat("--port=", d->port_), "--allowed-ips=127.0.0.1"}, {}, log);
    d->client_ = std::make_unique<httplib::Client>("127.0.0.1", d->port_);
    d->client_->set_connection_timeout(1);
    absl::Time deadline = absl::Now() + options.startup_timeout;
    while (absl::Now() < deadline) {
      absl::StatusOr<Json> status = d->Call("GET", "/status", "", absl::Seconds(2));
      if (status.ok()) {
        const Json* r = status->Find("ready");
        if (r != nullptr && r->boolean) {
          ready = true;
          break;
        }
      }
      if (d->chromedriver_->Wait(absl::ZeroDuration()) != -1) break;  // exited
      absl::SleepFor(absl::Milliseconds(50));
    }
    if (!ready) d->chromedriver_.reset();
  }
  if (!ready) {
    return absl::UnavailableError(absl::StrCat(options.chromedriver, " did not become ready on 127.0.0.1:", d->port_,
                                               "; its log (", log, "):\n", ReadLog(log)));
  }

  // root needs --no-sandbox; /dev/shm is small in containers.
  std::vector<std::string> args = {"--headless=new",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",
                                   absl::StrCat("--window-size=", options.width, ",", options.height),
                                   "--user-data-dir=" + d->dir_ + "/profile",
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-extensions",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--hide-scrollbars",
                                   "--lang=en-US"};
  if (!options.javascript) args.push_back("--blink-settings=scriptEnabled=false");
  std::vector<std::string> quoted;
  for (const std::string& a : args) quoted.push_back(JsonQuote(a));
  std::string capabilities = absl::StrCat(
      R"({"capabilities":{"alwaysMatch":{"browserName":"chrome","pageLoadStrategy":"normal",)",
      R"("timeouts":{"pageLoad":30000,"script":30000,"implicit":0},)", R"("goog:chromeOptions":{"binary":)",
      JsonQuote(options.chromium), R"(,"args":[)", absl::StrJoin(quoted, ","), "]}}}}");
  absl::StatusOr<Json> session = d->Call("POST", "/session", capabilities, options.startup_timeout);
  if (!session.ok()) {
    return absl::Status(session.status().code(), absl::StrCat("starting headless ", options.chromium, ": ",
                                                              session.status().message(), "\n", d->Log()));
  }
  const Json* id = session->Find("sessionId");
  if (id == nullptr || id->type != Json::Type::kString || id->text.empty()) {
    return absl::InternalError("chromedriver's new session has no sessionId");
  }
  d->session_ = id->text;
  if (const Json* caps = session->Find("capabilities")) {
    if (const Json* pid = caps->Find("goog:processID"); pid != nullptr && pid->integer) {
      d->chromium_pid_ = static_cast<int>(*pid->integer);
    }
  }
  // --window-size is the outer size; the options name the viewport.
  absl::Status sized = d->SetViewportSize(options.width, options.height);
  if (!sized.ok()) return sized;
  return d;
}

WebDriver::~WebDriver() {
  if (!session_.empty() && chromedriver_ != nullptr) {
    // Ends Chromium cleanly (its crash handlers leave with it).
    (void)Call("DELETE", "/session/" + session_, "", kQuitTimeout);
  }
  // Kills chromedriver's process group, Chromium's processes included.
  chromedriver_.reset();
  if (Alive(chromium_pid_)) ::kill(chromium_pid_, SIGKILL);
  // Chromium's profile is a few MB per session; chromedriver's log stays
  // for whoever reads a failure.
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_ + "/profile", ignored);
}

absl::StatusOr<Json> WebDriver::Call(const char* method, const std::string& path, const std::string& body,
                                     absl::Duration timeout) {
  client_->set_read_timeout(std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  client_->set_write_timeout(std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  std::string m = method;
  httplib::Result r = m == "GET"      ? client_->Get(path.c_str())
                      : m == "DELETE" ? client_->Delete(path.c_str())
                                      : client_->Post(path.c_str(), body.empty() ? "{}" : body, "application/json");
  std::string what = absl::StrCat("WebDriver ", method, " ", path, " (chromedriver on 127.0.0.1:", port_, ")");
  if (!r) return absl::UnavailableError(absl::StrCat(what, ": ", httplib::to_string(r.error())));
  absl::StatusOr<Json> parsed = ParseJson(r->body, 64);
  if (!parsed.ok()) {
    return absl::InternalError(absl::StrCat(what, ": HTTP ", r->status, ", not JSON (", parsed.status().message(),
                                            "): ", r->body.substr(0, 200)));
  }
  const Json* value = parsed->Find("value");
  if (value == nullptr) return absl::InternalError(absl::StrCat(what, ": HTTP ", r->status, ", no \"value\""));
  if (r->status != 200) {
    const Json* error = value->Find("error");
    const Json* message = value->Find("message");
    std::string code = error != nullptr ? error->text : absl::StrCat("HTTP ", r->status);
    return absl::Status(CodeOf(code),
                        absl::StrCat(what, ": ", code, ": ", message != nullptr ? FirstLine(message->text) : ""));
  }
  return *value;
}

absl::StatusOr<Json> WebDriver::Command(const char* method, const std::string& path, const std::string& body) {
  return Call(method, "/session/" + session_ + path, body, kCommandTimeout);
}

absl::Status WebDriver::Navigate(const std::string& url) {
  return Command("POST", "/url", absl::StrCat(R"({"url":)", JsonQuote(url), "}")).status();
}

absl::StatusOr<std::string> WebDriver::CurrentUrl() {
  absl::StatusOr<Json> v = Command("GET", "/url");
  if (!v.ok()) return v.status();
  return v->text;
}

absl::StatusOr<Json> WebDriver::ExecuteScript(const std::string& js) {
  return Command("POST", "/execute/sync", absl::StrCat(R"({"script":)", JsonQuote(js), R"(,"args":[]})"));
}

absl::StatusOr<std::string> WebDriver::ExecuteScriptString(const std::string& js) {
  absl::StatusOr<Json> v = ExecuteScript(js);
  if (!v.ok()) return v.status();
  if (v->type != Json::Type::kString) {
    return absl::InvalidArgumentError(absl::StrCat("script returned a ", TypeName(v->type), ", not a string: ", js));
  }
  return v->text;
}

absl::StatusOr<std::string> WebDriver::FindText(const std::string& css) {
  absl::StatusOr<Json> found =
      Command("POST", "/element", absl::StrCat(R"({"using":"css selector","value":)", JsonQuote(css), "}"));
  if (!found.ok()) {
    if (absl::IsNotFound(found.status())) return absl::NotFoundError(absl::StrCat("no element matches ", css));
    return found.status();
  }
  const Json* element = found->Find(kElementKey);
  if (element == nullptr) return absl::InternalError(absl::StrCat("no element reference for ", css));
  absl::StatusOr<Json> text = Command("GET", "/element/" + element->text + "/text");
  if (!text.ok()) return text.status();
  return text->text;
}

absl::Status WebDriver::WaitFor(const std::string& predicate, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::string last = "it stayed falsy";
  while (true) {
    absl::StatusOr<Json> v = ExecuteScript(absl::StrCat("return !!(", predicate, ");"));
    if (v.ok() && v->boolean) return absl::OkStatus();
    if (!v.ok()) {
      // The session itself is gone: waiting longer will not help.
      if (absl::IsFailedPrecondition(v.status()) || absl::IsUnavailable(v.status())) return v.status();
      last = std::string(v.status().message());
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "after ", absl::FormatDuration(timeout), " the page still does not satisfy `", predicate, "` (", last, ")"));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status WebDriver::Screenshot(const std::string& path) {
  absl::StatusOr<Json> v = Command("GET", "/screenshot");
  if (!v.ok()) return v.status();
  std::string png;
  if (!absl::Base64Unescape(v->text, &png) || png.empty()) {
    return absl::InternalError("the screenshot chromedriver sent is not base64");
  }
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(png.data(), static_cast<std::streamsize>(png.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write screenshot ", path));
  return absl::OkStatus();
}

absl::Status WebDriver::FullPageScreenshot(const std::string& path) {
  absl::StatusOr<Json> rect = Command("GET", "/window/rect");
  if (!rect.ok()) return rect.status();
  const Json* width = rect->Find("width");
  const Json* height = rect->Find("height");
  if (width == nullptr || height == nullptr || !width->integer || !height->integer) {
    return absl::InternalError("chromedriver's window rect has no width or height");
  }
  absl::StatusOr<Json> page =
      ExecuteScript("return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;");
  if (!page.ok()) return page.status();
  int tall = static_cast<int>(std::min<int64_t>(page->integer.value_or(*height->integer), 16384));
  absl::Status s = SetWindowSize(static_cast<int>(*width->integer), tall);
  if (s.ok()) s = Screenshot(path);
  absl::Status restored = SetWindowSize(static_cast<int>(*width->integer), static_cast<int>(*height->integer));
  return s.ok() ? restored : s;
}

absl::Status WebDriver::SetWindowSize(int width, int height) {
  return Command("POST", "/window/rect", absl::StrCat(R"({"width":)", width, R"(,"height":)", height, "}")).status();
}

absl::Status WebDriver::SetViewportSize(int width, int height) {
  absl::StatusOr<Json> frame =
      ExecuteScript("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];");
  if (!frame.ok()) return frame.status();
  if (frame->items.size() != 2) return absl::InternalError("the window's frame size did not come back");
  return SetWindowSize(width + static_cast<int>(frame->items[0].integer.value_or(0)),
                       height + static_cast<int>(frame->items[1].integer.value_or(0)));
}

absl::StatusOr<Json> WebDriver::Cookies() { return Command("GET", "/cookie"); }

std::string WebDriver::Log() const { return ReadLog(dir_ + "/chromedriver.log"); }

}  // namespace corral::testing
