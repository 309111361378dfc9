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
