#include "cli/text.h"

#include "gtest/gtest.h"

namespace corral::cli {
namespace {

TEST(Table, AlignsOnVisibleWidth) {
  Style color(true);
  Table table({"NAME", "N"});
  table.AddRow({color.Red("api"), "3"});
  table.AddRow({"worker-long", "10"});
  std::string out = Style(false).Bold("x") + table.Render(2);
  EXPECT_EQ(out, "x  NAME         N\n  \033[31mapi\033[0m          3\n  worker-long  10\n");
}

TEST(Style, NoColorMeansPlainText) {
  EXPECT_EQ(Style(false).Red("x"), "x");
  EXPECT_EQ(Style(true).Red("x"), "\033[31mx\033[0m");
}

TEST(Style, NotATerminalMeansNoColor) {
  // Tests run with stdout redirected by ctest.
  EXPECT_FALSE(Style::ForFd(-1).color());
}

TEST(VisibleWidth, SkipsEscapesAndCountsCodePoints) {
  EXPECT_EQ(VisibleWidth("\033[1mab\033[0m"), 2u);
  EXPECT_EQ(VisibleWidth("·x"), 2u);
}

TEST(FormatBytes, PicksBinaryUnits) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(25270272), "24.1 MiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 30), "3.0 GiB");
}

}  // namespace
}  // namespace corral::cli

#include <pty.h>
#include <unistd.h>

#include <cstdlib>

namespace corral::cli {
namespace {

// Colour on a terminal, and never with NO_COLOR set or TERM=dumb.
TEST(Style, ColourOnATerminalUnlessNoColor) {
  int master = -1;
  int slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  const char* old_term = std::getenv("TERM");
  std::string saved_term = old_term ? old_term : "";
  ::unsetenv("NO_COLOR");
  ::setenv("TERM", "xterm", 1);
  EXPECT_TRUE(Style::ForFd(slave).color());
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(Style::ForFd(slave).color());
  ::unsetenv("NO_COLOR");
  ::setenv("TERM", "dumb", 1);
  EXPECT_FALSE(Style::ForFd(slave).color());
  if (old_term) {
    ::setenv("TERM", saved_term.c_str(), 1);
  } else {
    ::unsetenv("TERM");
  }
  ::close(master);
  ::close(slave);
}

}  // namespace
}  // namespace corral::cli
