#include "common/message_utf8.h"

#include "common/utf8.h"
#include "corral/v1/snapshot.pb.h"
#include "gtest/gtest.h"

namespace corral {
namespace {

TEST(MakeStringsUtf8, ReplacesWhatIsNotUtf8InEveryKindOfStringField) {
  corral::v1::Snapshot snapshot;
  corral::v1::GunicornInstance* inst = snapshot.add_instances();
  inst->mutable_master()->set_cwd("/srv/d\xe9p\xc3\xb4t");  // Latin-1 é, then a valid ô
  inst->mutable_master()->add_argv("gunicorn");
  inst->mutable_master()->add_argv("--name=\xff");
  (*inst->mutable_config())["workers"].set_value("3");
  (*inst->mutable_config())["proc_name"].set_value("api\xc3");  // cut mid-character
  (*inst->mutable_inputs()->mutable_loader_environment())["LANG\x80"] = "C";

  EXPECT_EQ(MakeStringsUtf8(&snapshot), 4);
  EXPECT_EQ(inst->master().cwd(), "/srv/d\uFFFDp\u00F4t");
  EXPECT_EQ(inst->master().argv(0), "gunicorn");
  EXPECT_EQ(inst->master().argv(1), "--name=\uFFFD");
  EXPECT_EQ(inst->config().at("workers").value(), "3");
  EXPECT_EQ(inst->config().at("proc_name").value(), "api\uFFFD");
  EXPECT_EQ(inst->inputs().loader_environment().at("LANG\uFFFD"), "C");
  // What protobuf refused to parse before now round-trips.
  corral::v1::Snapshot parsed;
  ASSERT_TRUE(parsed.ParseFromString(snapshot.SerializeAsString()));
  EXPECT_EQ(parsed.instances(0).master().cwd(), "/srv/d\uFFFDp\u00F4t");
}

TEST(MakeStringsUtf8, LeavesAValidMessageAlone) {
  corral::v1::Snapshot snapshot;
  corral::v1::GunicornInstance* inst = snapshot.add_instances();
  inst->mutable_master()->set_cwd("/srv/d\u00E9p\u00F4t \U0001F40E");
  (*inst->mutable_config())["workers"].set_value("3");
  std::string before = snapshot.SerializeAsString();
  EXPECT_EQ(MakeStringsUtf8(&snapshot), 0);
  EXPECT_EQ(snapshot.SerializeAsString(), before);
}

TEST(ToValidUtf8, OverlongFormsSurrogatesAndStrayBytesEachBecomeOneReplacement) {
  EXPECT_EQ(ToValidUtf8("a\xc0\xafz"), "a\uFFFD\uFFFDz");        // overlong '/'
  EXPECT_EQ(ToValidUtf8("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate
  EXPECT_EQ(ToValidUtf8("\x80ok"), "\uFFFDok");
  EXPECT_TRUE(IsValidUtf8("caf\u00E9"));
  EXPECT_FALSE(IsValidUtf8("caf\xe9"));
}

}  // namespace
}  // namespace corral
