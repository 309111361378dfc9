// The browser pages on corral-server's HTTP port, next to /metrics and
// /healthz:
//
//   GET  /                the fleet (?q= filters by name)
//   GET  /service/NAME    one service (?hours= of history, default 6)
//   GET  /events          server-sent events (?service=NAME) the pages follow
//   GET  /login, POST /login, POST /logout   when the server has a token
//   GET  /assets/...      the stylesheet and script, compiled in
//
// `/` and `/service/NAME` answer JSON with `Accept: application/json`, the
// same messages as the CLI's --json. Every page is complete HTML without
// JavaScript; the script only keeps it current. Pages are sent with a
// Content-Security-Policy that allows no inline script or style.
#ifndef CORRAL_SERVER_WEB_WEB_ROUTES_H_
#define CORRAL_SERVER_WEB_WEB_ROUTES_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "server/fleet_queries.h"
#include "server/web/event_feed.h"

namespace httplib {
class Server;
}

namespace corral::server::web {

struct WebOptions {
  // Login required when set.
  std::optional<std::string> token;
  bool https = false;
  // History shown on a service page unless ?hours= says otherwise.
  absl::Duration default_window = absl::Hours(6);
  // Pages following live events at once; each holds one HTTP thread.
  int max_event_streams = 24;
};

class WebPages {
 public:
  // `queries` outlives the pages; `history` (may be null) feeds /events.
  WebPages(FleetQueries* queries, History* history, WebOptions options);

  // Adds the routes to `server` (before it listens).
  void Install(httplib::Server& server);
  // Ends the event streams, so the HTTP port can stop.
  void Shutdown() { feed_.Shutdown(); }

  const WebOptions& options() const { return options_; }

 private:
  FleetQueries* queries_;
  WebOptions options_;
  EventFeed feed_;
};

}  // namespace corral::server::web

#endif  // CORRAL_SERVER_WEB_WEB_ROUTES_H_
