// Text output helpers for the CLI: aligned tables, byte sizes, and colour
// that is used only on a terminal and never when NO_COLOR is set.
#ifndef CORRAL_CLI_TEXT_H_
#define CORRAL_CLI_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/units.h"

namespace corral::cli {

// ANSI styling, or none.
class Style {
 public:
  explicit Style(bool color) : color_(color) {}
  // Colour when `fd` is a terminal, NO_COLOR is unset and TERM is not dumb.
  static Style ForFd(int fd);

  std::string Bold(const std::string& s) const { return Wrap("1", s); }
  std::string Dim(const std::string& s) const { return Wrap("2", s); }
  std::string Red(const std::string& s) const { return Wrap("31", s); }
  std::string Yellow(const std::string& s) const { return Wrap("33", s); }
  std::string Green(const std::string& s) const { return Wrap("32", s); }
  bool color() const { return color_; }

 private:
  std::string Wrap(const char* code, const std::string& s) const;
  bool color_;
};

// A table whose columns are aligned on the visible width of each cell
// (ANSI escapes do not count).
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Renders with `indent` spaces before each line and two spaces between
  // columns; the header is rendered through `header_style` if given.
  std::string Render(int indent = 0, const Style* header_style = nullptr) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Visible width of `s`: ANSI escapes skipped, UTF-8 counted per code point.
size_t VisibleWidth(const std::string& s);

using ::corral::FormatBytes;

}  // namespace corral::cli

#endif  // CORRAL_CLI_TEXT_H_
