#include "server/web/html.h"

#include "gtest/gtest.h"

namespace corral::server::web {
namespace {

TEST(Escape, MakesMarkupText) {
  EXPECT_EQ(Escape("<script>alert(\"x\")</script>"), "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  EXPECT_EQ(Escape("a & b's"), "a &amp; b&#39;s");
  EXPECT_EQ(Escape("plain-name_1.2"), "plain-name_1.2");
}

TEST(Escape, KeepsUtf8AndReplacesWhatIsNot) {
  EXPECT_EQ(Escape("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(Escape("a\xFF"
                   "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(Escape("\xE0\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
}

TEST(Escape, DropsControlCharacters) {
  EXPECT_EQ(Escape(std::string("a\0b\x1b[31mc\x7f", 11)), "ab[31mc");
  EXPECT_EQ(Escape("line\nnext\ttab"), "line\nnext\ttab");
}

TEST(PathSegment, EncodesEverythingButUnreservedCharacters) {
  EXPECT_EQ(PathSegment("api-backend_2.x~"), "api-backend_2.x~");
  EXPECT_EQ(PathSegment("<script>"), "%3Cscript%3E");
  EXPECT_EQ(PathSegment("team/api?x=1#y"), "team%2Fapi%3Fx%3D1%23y");
  EXPECT_EQ(PathSegment("\"'"), "%22%27");
}

TEST(TimeElement, WritesUtcWithAMachineReadableStamp) {
  // 2026-12-03 14:02:05 UTC.
  EXPECT_EQ(TimeElement(1796306525000), "<time datetime=\"2026-12-03T14:02:05Z\">14:02:05</time>");
  EXPECT_EQ(TimeElement(1796306525000, true), "<time datetime=\"2026-12-03T14:02:05Z\">2026-12-03 14:02:05 UTC</time>");
}

TEST(AgoText, PicksAUnit) {
  EXPECT_EQ(AgoText(4.2), "4s ago");
  EXPECT_EQ(AgoText(180), "3m ago");
  EXPECT_EQ(AgoText(7200), "2h ago");
  EXPECT_EQ(AgoText(5 * 86400), "5d ago");
  EXPECT_EQ(AgoText(-3), "0s ago");
}

}  // namespace
}  // namespace corral::server::web
