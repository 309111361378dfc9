#include "server/web/web_routes.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/component_log.h"
#include "common/edit_distance.h"
#include "common/grpc_security.h"
#include "common/json.h"
#include "httplib.h"
#include "server/web/assets.h"
#include "server/web/fleet_page.h"
#include "server/web/html.h"
#include "server/web/page_layout.h"
#include "server/web/service_page.h"
#include "server/web/web_auth.h"

namespace corral::server::web {
namespace {

const ComponentLog Log("web");

constexpr char kHtml[] = "text/html; charset=utf-8";
constexpr char kJson[] = "application/json";
constexpr int kMaxHours = 24 * 30;
constexpr int kHistoryEventsFetched = 5000;

// No inline script or style anywhere, nothing from other origins: a name
// that slipped past escaping still could not run.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

void PageHeaders(httplib::Response& response) {
  response.set_header("Content-Security-Policy", kContentSecurityPolicy);
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cache-Control", "no-store");
}

void SendPage(httplib::Response& response, int status, PageFrame frame) {
  response.status = status;
  PageHeaders(response);
  response.set_content(RenderPage(frame), kHtml);
}

void SendJson(httplib::Response& response, int status, const std::string& json) {
  response.status = status;
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Cache-Control", "no-store");
  response.set_content(json, kJson);
}

// An error as the client asked for it: a page, or {"error": ...}.
void SendError(const httplib::Request& request, httplib::Response& response, int status, const std::string& title,
               const std::string& message_html, const std::string& message_text) {
  if (WantsJson(request.get_header_value("Accept"))) {
    std::string json = "{\"error\": ";
    AppendJsonString(message_text, &json);
    SendJson(response, status, json + "}\n");
    return;
  }
  SendPage(response, status, {title, "", absl::StrCat("<h1>", Escape(title), "</h1>\n<p>", message_html, "</p>\n")});
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnimplemented:
      return 501;
    default:
      return 500;
  }
}

}  // namespace

WebPages::WebPages(FleetQueries* queries, History* history, WebOptions options)
    : queries_(queries), options_(std::move(options)), feed_(history, options_.max_event_streams) {}

void WebPages::Install(httplib::Server& server) {
  server.Get("/", [this](const httplib::Request& request, httplib::Response& response) {
    corral::v1::FleetStatus status = queries_->Status();
    if (WantsJson(request.get_header_value("Accept"))) {
      SendJson(response, 200, ToJson(status) + "\n");
      return;
    }
    corral::v1::ExpectationsList expectations = queries_->Expectations({}).value_or(corral::v1::ExpectationsList());
    SendPage(response, 200, {"Fleet", "/events", RenderFleetMain(status, expectations, request.get_param_value("q"))});
  });

  server.Get(R"(/service/(.+))", [this](const httplib::Request& request, httplib::Response& response) {
    ServicePageData page;
    page.service = request.matches[1];
    int hours = static_cast<int>(absl::ToInt64Hours(options_.default_window));
    if (request.has_param("hours")) {
      if (!absl::SimpleAtoi(request.get_param_value("hours"), &hours) || hours < 1 || hours > kMaxHours) {
        SendError(request, response, 400, "Bad request",
                  absl::StrCat("hours must be a whole number from 1 to ", kMaxHours, "."),
                  absl::StrCat("hours must be a whole number from 1 to ", kMaxHours));
        return;
      }
    }
    corral::v1::ServiceRequest service_request;
    service_request.set_service(page.service);
    absl::StatusOr<corral::v1::ServiceDetail> detail = queries_->Service(service_request);
    if (detail.ok()) {
      page.detail = *std::move(detail);
    } else if (detail.status().code() != absl::StatusCode::kNotFound) {
      std::string message(detail.status().message());
      SendError(request, response, HttpStatusOf(detail.status()), "Bad request", Escape(message), message);
      return;
    }
    corral::v1::DiagnoseRequest diagnose_request;
    diagnose_request.set_service(page.service);
    absl::StatusOr<corral::v1::Diagnosis> diagnosis = queries_->Diagnose(diagnose_request);
    if (diagnosis.ok()) page.diagnosis = *std::move(diagnosis);
    if (!page.detail && !page.diagnosis) {
      // Nobody reported it and nothing is expected of it: perhaps a typo.
      NearestName nearest(page.service);
      corral::v1::FleetStatus status = queries_->Status();
      for (const corral::v1::ServiceSummary& s : status.services()) nearest.Offer(s.service());
      std::string message =
          absl::StrCat("No service '", page.service, "': no agent reported it and nothing is ", "expected of it.");
      std::string html = Escape(message);
      if (!nearest.name().empty()) {
        absl::StrAppend(&html, " Did you mean <a href=\"/service/", PathSegment(nearest.name()), "\">",
                        Escape(nearest.name()), "</a>?");
      }
      SendError(request, response, 404, "No such service", html, message);
      return;
    }
    corral::v1::ExpectationsRequest expectations_request;
    expectations_request.set_service(page.service);
    page.expectations = queries_->Expectations(expectations_request).value_or(corral::v1::ExpectationsList());
    absl::Time now = absl::Now();
    page.to_unix_ms = absl::ToUnixMillis(now);
    page.from_unix_ms = absl::ToUnixMillis(now - absl::Hours(hours));
    corral::v1::HistoryRequest history_request;
    history_request.set_service(page.service);
    history_request.set_since_unix_ms(page.from_unix_ms);
    history_request.set_limit(kHistoryEventsFetched);
    page.history = queries_->History(history_request).value_or(corral::v1::HistoryResponse());
    if (WantsJson(request.get_header_value("Accept"))) {
      SendJson(response, 200, ServicePageJson(page));
      return;
    }
    SendPage(response, 200,
             {page.service, absl::StrCat("/events?service=", PathSegment(page.service)), RenderServiceMain(page)});
  });

  server.Get("/events", [this](const httplib::Request& request, httplib::Response& response) {
    std::shared_ptr<EventFeed::Stream> stream = feed_.Open(request.get_param_value("service"));
    if (stream == nullptr) {
      // The page falls back to refreshing on a timer.
      response.status = 503;
      response.set_header("Retry-After", "30");
      response.set_content("too many pages follow this server's events; try again later\n", "text/plain");
      return;
    }
    response.set_header("Cache-Control", "no-store");
    response.set_header("X-Accel-Buffering", "no");
    response.set_chunked_content_provider(
        "text/event-stream",
        [stream](size_t, httplib::DataSink& sink) {
          std::optional<std::string> next = stream->Next();
          if (!next) {
            sink.done();
            return true;
          }
          // False when the page is gone: httplib then ends the response.
          return sink.write(next->data(), next->size());
        },
        [stream](bool) { stream->Close(); });
  });

  server.Get("/login", [this](const httplib::Request& request, httplib::Response& response) {
    SendPage(response, 200, {"Log in", "", RenderLoginMain(false, request.get_param_value("next"))});
  });

  server.Post("/login", [this](const httplib::Request& request, httplib::Response& response) {
    std::string next = SafeNext(request.get_param_value("next"));
    if (!options_.token) {
      response.set_redirect(next, 303);
      return;
    }
    std::string presented = request.get_param_value("token");
    if (presented.empty() || !ConstantTimeEquals(SessionValue(presented), SessionValue(*options_.token))) {
      Log()->warn("refused a login to the pages from {}: wrong token", request.remote_addr);
      SendPage(response, 401, {"Log in", "", RenderLoginMain(true, next)});
      return;
    }
    response.set_header("Set-Cookie", LoginSetCookie(*options_.token, options_.https));
    response.set_redirect(next, 303);
  });

  server.Post("/logout", [this](const httplib::Request&, httplib::Response& response) {
    response.set_header("Set-Cookie", LogoutSetCookie(options_.https));
    response.set_redirect("/login", 303);
  });

  server.Get(R"(/assets/.+)", [](const httplib::Request& request, httplib::Response& response) {
    const Asset* asset = FindAsset(request.path);
    if (asset == nullptr) {
      response.status = 404;
      response.set_content("no such asset\n", "text/plain");
      return;
    }
    response.set_header("X-Content-Type-Options", "nosniff");
    // The pages link them with a hash of their content.
    response.set_header("Cache-Control", "public, max-age=86400, immutable");
    response.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type).c_str());
  });
}

}  // namespace corral::server::web
