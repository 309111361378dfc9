#include "cli/global_flags.h"

#include "gtest/gtest.h"

namespace corral::cli {
namespace {

using Args = std::vector<std::string>;

TEST(SplitCommandLine, GlobalFlagsBeforeTheCommandMoveAfterIt) {
  absl::StatusOr<CommandLine> line =
      SplitCommandLine({"--server", "host:7400", "--json", "--timeout=2s", "service", "api", "--fail-on", "warning"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->command, "service");
  EXPECT_EQ(line->args, (Args{"api", "--fail-on", "warning", "--server", "host:7400", "--json", "--timeout=2s"}));
}

TEST(SplitCommandLine, NothingToMoveLeavesTheArgumentsAlone) {
  absl::StatusOr<CommandLine> line = SplitCommandLine({"status", "--json"});
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->command, "status");
  EXPECT_EQ(line->args, Args{"--json"});
  EXPECT_EQ(SplitCommandLine({"--help"})->command, "--help");
  EXPECT_EQ(SplitCommandLine({"--json", "--version"})->command, "--version");
  EXPECT_EQ(SplitCommandLine({})->command, "");
}

TEST(SplitCommandLine, UnknownOrIncompleteGlobalFlagsAreRefused) {
  EXPECT_EQ(SplitCommandLine({"--fail-on", "warning", "check"}).status().message(),
            "unknown flag '--fail-on' before the command (global flags: --server, --token-file, --tls-ca, --tls-cert, "
            "--tls-key, --timeout, --json)");
  EXPECT_EQ(SplitCommandLine({"--server"}).status().message(), "flag --server needs a value");
}

}  // namespace
}  // namespace corral::cli
