#include "server/raw_messages.h"

#include "corral/v1/collector.pb.h"
#include "gtest/gtest.h"
#include "tests/support/simulated_agents.h"

namespace corral::server {
namespace {

// What a parsed report holds in memory, for the fixture's replica: its
// arena, against the bytes that came over the wire.
size_t ArenaBytes(const grpc::ByteBuffer& wire) {
  std::shared_ptr<const corral::v1::AgentMessage> parsed = ParseRawInArena<corral::v1::AgentMessage>(wire);
  EXPECT_NE(parsed, nullptr);
  return parsed == nullptr ? 0 : static_cast<size_t>(parsed->GetArena()->SpaceAllocated());
}

TEST(ParseRawInArena, AFirstMessageHoldsLittleMoreThanItNeeds) {
  grpc::ByteBuffer wire =
      corral::testing::AgentMessageBytes(corral::testing::FixtureSnapshot(3), "api", "r1", /*steady_state=*/false);
  ASSERT_GT(wire.Length(), 2000u);
  // About 5 KiB per KiB on the wire is parsed content; fixed 4, 8 and 16
  // KiB blocks held 13 times the wire size.
  EXPECT_LE(ArenaBytes(wire), 7.5 * wire.Length());
}

TEST(ParseRawInArena, AsteadyStateReportFitsItsFirstBlock) {
  for (int workers : {1, 3, 17, 65}) {
    grpc::ByteBuffer wire = corral::testing::AgentMessageBytes(corral::testing::FixtureSnapshot(workers), "api", "r1",
                                                               /*steady_state=*/true);
    EXPECT_EQ(ArenaBytes(wire), ArenaOptionsFor(wire.Length()).start_block_size) << workers << " workers";
  }
}

TEST(ParseRawInArena, BytesThatAreNotTheMessageGiveNull) {
  grpc::Slice slice(std::string("\xff\xff\xff\xff", 4));
  grpc::ByteBuffer garbage(&slice, 1);
  EXPECT_EQ(ParseRawInArena<corral::v1::AgentMessage>(garbage), nullptr);
}

}  // namespace
}  // namespace corral::server
