// Writing HTML safely: every name, value and message that reaches a page
// goes through Escape (text and attribute values alike) or PathSegment
// (a name inside a URL), so a service called `<script>` is shown, never run.
#ifndef CORRAL_SERVER_WEB_HTML_H_
#define CORRAL_SERVER_WEB_HTML_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace corral::server::web {

// `text` with & < > " ' replaced by their character references; bytes
// that are not UTF-8 become U+FFFD, control characters other than tab and
// newline are dropped. Safe in element content and in quoted attributes.
std::string Escape(absl::string_view text);

// `name` percent-encoded for one path segment or query value: everything
// but ASCII letters, digits and -._~ is written %XX.
std::string PathSegment(absl::string_view name);

// A time as `<time datetime="2026-12-03T14:02:05Z">14:02:05</time>` (UTC;
// the page's script shows it in the reader's zone). With the date when
// `with_date`.
std::string TimeElement(int64_t unix_ms, bool with_date = false);

// "4s ago", "3m ago", "2h ago", "5d ago".
std::string AgoText(double seconds);

// Whether `text` contains `part`, ASCII case ignored (the fleet filter,
// Accept headers).
bool ContainsIgnoringCase(absl::string_view text, absl::string_view part);

}  // namespace corral::server::web

#endif  // CORRAL_SERVER_WEB_HTML_H_
