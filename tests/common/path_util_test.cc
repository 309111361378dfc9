#include "common/path_util.h"

#include "gtest/gtest.h"

namespace corral {
namespace {

TEST(JoinPath, RelativeToADirectoryAbsoluteAsIs) {
  EXPECT_EQ(JoinPath("/srv", "gunicorn.conf.py"), "/srv/gunicorn.conf.py");
  EXPECT_EQ(JoinPath("/srv/", "conf/prod.py"), "/srv/conf/prod.py");
  EXPECT_EQ(JoinPath("/srv", "/etc/g.py"), "/etc/g.py");
  EXPECT_EQ(JoinPath("", "/etc/g.py"), "/etc/g.py");
  EXPECT_EQ(JoinPath("", "g.py"), "");  // the base is unknown
}

TEST(NormalizePath, AsPythonsNormpathForAbsolutePaths) {
  EXPECT_EQ(NormalizePath("/srv/./conf/../g.py"), "/srv/g.py");
  EXPECT_EQ(NormalizePath("//srv//g.py"), "/srv/g.py");
  EXPECT_EQ(NormalizePath("/../.."), "/");
  EXPECT_EQ(NormalizePath("/"), "/");
}

TEST(DirnameAndBasename, SplitAtTheLastSlash) {
  EXPECT_EQ(Dirname("/a/b/c"), "/a/b");
  EXPECT_EQ(Dirname("/a"), "/");
  EXPECT_EQ(Dirname("c"), "");
  EXPECT_EQ(Basename("/a/b/c"), "c");
  EXPECT_EQ(Basename("c"), "c");
  EXPECT_EQ(Basename("/a/"), "");
}

}  // namespace
}  // namespace corral
