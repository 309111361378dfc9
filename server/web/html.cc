#include "server/web/html.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/utf8.h"

namespace corral::server::web {

std::string Escape(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (length > 1) {
      out.append(text.data() + i, length);
      i += length;
      continue;
    }
    char c = text[i++];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
        if (c == 0x7f) break;
        out += c;
    }
  }
  return out;
}

std::string PathSegment(absl::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (unsigned char c : name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                 c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string TimeElement(int64_t unix_ms, bool with_date) {
  absl::Time t = absl::FromUnixMillis(unix_ms);
  return absl::StrCat("<time datetime=\"", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()), "\">",
                      absl::FormatTime(with_date ? "%Y-%m-%d %H:%M:%S UTC" : "%H:%M:%S", t, absl::UTCTimeZone()),
                      "</time>");
}

std::string AgoText(double seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 90) return absl::StrFormat("%.0fs ago", seconds);
  if (seconds < 90 * 60) return absl::StrFormat("%.0fm ago", seconds / 60);
  if (seconds < 36 * 3600) return absl::StrFormat("%.0fh ago", seconds / 3600);
  return absl::StrFormat("%.0fd ago", seconds / 86400);
}

bool ContainsIgnoringCase(absl::string_view text, absl::string_view part) {
  return absl::StrContains(absl::AsciiStrToLower(text), absl::AsciiStrToLower(part));
}

}  // namespace corral::server::web
