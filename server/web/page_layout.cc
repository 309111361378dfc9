#include "server/web/page_layout.h"

#include "absl/strings/str_cat.h"
#include "server/web/assets.h"
#include "server/web/html.h"

namespace corral::server::web {

std::string RenderPage(const PageFrame& frame) {
  std::string out;
  out.reserve(frame.main_html.size() + 1024);
  absl::StrAppend(&out,
                  "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<meta name=\"color-scheme\" content=\"light dark\">"
                  "<title>",
                  Escape(frame.title), " - Corral</title>", "<link rel=\"stylesheet\" href=\"", kStylesheetPath, "\">");
  if (!frame.events_path.empty()) {
    // Without the script the page still refreshes, just less promptly.
    absl::StrAppend(&out, "<noscript><meta http-equiv=\"refresh\" content=\"30\"></noscript><script src=\"",
                    kScriptPath, "\" defer></script>");
  }
  absl::StrAppend(&out, "</head>\n<body");
  if (!frame.events_path.empty()) absl::StrAppend(&out, " data-events=\"", Escape(frame.events_path), "\"");
  absl::StrAppend(&out,
                  ">\n<header class=\"top\"><a class=\"brand\" href=\"/\">Corral</a>"
                  "<a href=\"/\">Fleet</a><span class=\"live\" id=\"live\" aria-live=\"polite\"></span></header>\n"
                  "<main id=\"main\">\n",
                  frame.main_html, "</main>\n</body></html>\n");
  return out;
}

}  // namespace corral::server::web
