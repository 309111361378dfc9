// The committed settings tables are what scripts/gunicorn-settings-table.py
// generates from each release Corral is tested against: a hand edit, or a
// generator change not rerun, fails here.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/gunicorn_process.h"
#include "tests/support/subprocess.h"

namespace corral::testing {
namespace {

class SettingsTables : public ::testing::TestWithParam<std::string> {};

TEST_P(SettingsTables, MatchTheReleasesOwnConfigPy) {
  absl::StatusOr<std::string> site = GunicornReleaseSite(GetParam());
  ASSERT_TRUE(site.ok()) << site.status();
  std::string dir = site->empty() ? "/usr/lib/python3/dist-packages" : *site;
  RunResult r =
      RunCommand({"/usr/bin/python3", SourceDir() + "/scripts/gunicorn-settings-table.py", dir, "--check"}, {}, "");
  if (r.exit_code == 3) {
    // Debian's sid moved to a release line newer than the tables: a table
    // to add, not a defect of the ones committed.
    GTEST_SKIP() << r.err;
  }
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("matches Gunicorn"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Releases, SettingsTables, ::testing::ValuesIn(TestedReleases()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return ReleaseTestName(info.param); });

}  // namespace
}  // namespace corral::testing
