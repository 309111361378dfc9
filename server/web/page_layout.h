// The frame every page shares: the document head (stylesheet, script,
// viewport for phones), the top bar, and <main>, which the script replaces
// when the page refreshes itself.
#ifndef CORRAL_SERVER_WEB_PAGE_LAYOUT_H_
#define CORRAL_SERVER_WEB_PAGE_LAYOUT_H_

#include <string>

namespace corral::server::web {

struct PageFrame {
  // Plain text; escaped here.
  std::string title;
  // The server-sent events the page follows ("/events?service=api"); empty
  // for a page that does not follow any (the login page).
  std::string events_path;
  // Already HTML: what goes inside <main>.
  std::string main_html;
};

std::string RenderPage(const PageFrame& frame);

}  // namespace corral::server::web

#endif  // CORRAL_SERVER_WEB_PAGE_LAYOUT_H_
