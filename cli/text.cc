#include "cli/text.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace corral::cli {

Style Style::ForFd(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  bool color = ::isatty(fd) == 1 && (no_color == nullptr || no_color[0] == '\0') &&
               !(term != nullptr && std::strcmp(term, "dumb") == 0);
  return Style(color);
}

std::string Style::Wrap(const char* code, const std::string& s) const {
  if (!color_ || s.empty()) return s;
  return absl::StrCat("\033[", code, "m", s, "\033[0m");
}

size_t VisibleWidth(const std::string& s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b) {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string Table::Render(int indent, const Style* header_style) const {
  std::vector<size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], VisibleWidth(row[i]));
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  std::string out;
  auto render_row = [&](const std::vector<std::string>& row, bool header) {
    std::string line(static_cast<size_t>(indent), ' ');
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      std::string cell = header && header_style ? header_style->Bold(row[i]) : row[i];
      line += cell;
      if (i + 1 < row.size()) line += std::string(widths[i] - VisibleWidth(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  };
  render_row(header_, true);
  for (const auto& row : rows_) render_row(row, false);
  return out;
}

}  // namespace corral::cli
