#include "common/json.h"

#include <cmath>

#include "corral/v1/fleet.pb.h"
#include "corral/v1/snapshot.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace corral {
namespace {

TEST(ToJson, ExactCompactForm) {
  corral::v1::ProcessFacts p;
  p.set_pid(7);
  p.set_rss_bytes(4096);
  p.set_age_seconds(1.5);
  p.set_state("S");
  p.add_argv("gunicorn");
  p.add_argv("say \"hi\"\n");
  EXPECT_EQ(ToJson(p, /*pretty=*/false),
            "{\"pid\":7,\"ppid\":0,\"start_time_unix_ms\":\"0\",\"age_seconds\":1.5,\"rss_bytes\":\"4096\","
            "\"cpu_seconds\":0,\"state\":\"S\",\"threads\":0,\"comm\":\"\",\"argv\":[\"gunicorn\",\"say "
            "\\\"hi\\\"\\n\"],\"cwd\":\"\",\"read_errors\":[]}");
  p.set_uid(1000);  // optional: printed only when set
  p.set_heartbeat_age_seconds(0.25);
  std::string with = ToJson(p, false);
  EXPECT_NE(with.find("\"uid\":1000"), std::string::npos);
  EXPECT_NE(with.find("\"heartbeat_age_seconds\":0.25"), std::string::npos);
}

TEST(ToJson, PrettyFormIndentsAndSortsMapKeys) {
  corral::v1::GunicornInstance inst;
  (*inst.mutable_config())["workers"].set_value("3");
  (*inst.mutable_config())["bind"].set_value("x");
  std::string out = ToJson(inst);
  EXPECT_NE(out.find("\"config\": {\n    \"bind\": {\n      \"value\": \"x\""), std::string::npos) << out;
  EXPECT_LT(out.find("\"bind\": {"), out.find("\"workers\": {"));
  EXPECT_EQ(out.find("\"master\""), std::string::npos);  // unset sub-message left out
  EXPECT_NE(out.find("\"workers\": []"), std::string::npos);
}

TEST(ToJson, InvalidUtf8BecomesReplacementCharacters) {
  corral::v1::ProcessFacts p;
  p.add_argv(
      std::string("a\xff"
                  "b\xc3",
                  4));
  p.add_argv("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8e");
  std::string out = ToJson(p, false);
  EXPECT_NE(out.find("\"a\xEF\xBF\xBD"
                     "b\xEF\xBF\xBD\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8e"), std::string::npos);
}

TEST(ToJson, ControlCharactersAndSpecialNumbers) {
  corral::v1::ProcessFacts p;
  p.set_comm(std::string("x\x01y", 3));
  p.set_cpu_seconds(std::nan(""));
  std::string out = ToJson(p, false);
  EXPECT_NE(out.find("\"comm\":\"x\\u0001y\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"cpu_seconds\":\"NaN\""), std::string::npos) << out;
}

TEST(ToJson, ProtobufsOwnParserReadsItBackIdentically) {
  corral::v1::FleetStatus status;
  status.set_generated_at_unix_ms(1800000000123);
  for (int i = 0; i < 3; ++i) {
    corral::v1::ServiceSummary* s = status.add_services();
    s->set_service("svc-" + std::to_string(i));
    s->set_replicas_online(2);
    s->add_live_workers(3);
    s->add_live_workers(-1);
    s->set_status("critical");
    s->mutable_top_finding()->set_rule("REPLICAS_DISAGREE");
    corral::v1::SettingComparison* c = s->mutable_top_finding()->add_differences();
    c->set_setting("workers");
    c->add_values()->set_value("1");
  }
  for (bool pretty : {true, false}) {
    corral::v1::FleetStatus back;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ToJson(status, pretty), &back).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(status, back));
  }
  corral::v1::Snapshot snapshot;
  snapshot.mutable_agent()->set_service("api");
  corral::v1::GunicornInstance* inst = snapshot.add_instances();
  inst->mutable_master()->set_pid(1);
  inst->mutable_master()->set_uid(0);
  (*inst->mutable_config())["timeout"].set_line(4);
  (*inst->mutable_inputs()->mutable_loader_environment())["PORT"] = "8000";
  inst->mutable_resources()->set_memory_limit_bytes(1 << 30);
  snapshot.set_scan_kind(corral::v1::STEADY_STATE);
  corral::v1::Snapshot back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ToJson(snapshot), &back).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(snapshot, back));
  EXPECT_NE(ToJson(snapshot).find("\"scan_kind\": \"STEADY_STATE\""), std::string::npos);
}

TEST(JsonQuote, EscapesWhatJsonMust) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
  EXPECT_EQ(JsonQuote("<script>é</script>"), "\"<script>é</script>\"");
}

}  // namespace
}  // namespace corral
