#include "common/json_reader.h"

#include <string>

#include "gtest/gtest.h"

namespace corral {
namespace {

TEST(ParseJson, ObjectsArraysAndScalars) {
  absl::StatusOr<Json> j = ParseJson(R"({"workers": 3, "timeout": 30.5, "reload": false, "bind": ["0.0.0.0:8000"],
                                         "pidfile": null, "name": "api"})");
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_EQ(j->type, Json::Type::kObject);
  EXPECT_EQ(j->keys, (std::vector<std::string>{"workers", "timeout", "reload", "bind", "pidfile", "name"}));
  EXPECT_EQ(j->Find("workers")->integer, 3);
  EXPECT_FALSE(j->Find("timeout")->integer.has_value());
  EXPECT_DOUBLE_EQ(j->Find("timeout")->number, 30.5);
  EXPECT_EQ(j->Find("reload")->type, Json::Type::kBool);
  EXPECT_FALSE(j->Find("reload")->boolean);
  ASSERT_EQ(j->Find("bind")->items.size(), 1u);
  EXPECT_EQ(j->Find("bind")->items[0].text, "0.0.0.0:8000");
  EXPECT_TRUE(j->Find("pidfile")->is_null());
  EXPECT_EQ(j->Find("missing"), nullptr);
}

TEST(ParseJson, ALaterDuplicateWins) {
  absl::StatusOr<Json> j = ParseJson(R"({"workers": 1, "workers": 4})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->Find("workers")->integer, 4);
}

TEST(ParseJson, EscapesAndSurrogates) {
  absl::StatusOr<Json> j = ParseJson(R"(["a\"b\\c\/d\n\t", "\u00e9", "\ud83d\ude00", "\udc80x", "\ud800"])");
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_EQ(j->items.size(), 5u);
  EXPECT_EQ(j->items[0].text, "a\"b\\c/d\n\t");
  EXPECT_EQ(j->items[1].text, "\xc3\xa9");
  EXPECT_EQ(j->items[2].text, "\xf0\x9f\x98\x80");
  // Lone surrogates, as Python writes undecodable bytes, stay printable.
  EXPECT_EQ(j->items[3].text, "\xef\xbf\xbdx");
  EXPECT_EQ(j->items[4].text, "\xef\xbf\xbd");
}

TEST(ParseJson, RefusesWhatIsNotOneStrictDocument) {
  for (const char* bad :
       {"", "{", "[1,]", "{\"a\" 1}", "01", "-01", "'x'", "[1] 2", "\"\\x41\"", "nul", "{\"a\":1,}"}) {
    EXPECT_FALSE(ParseJson(bad).ok()) << bad;
  }
  for (const char* good : {"0", "-0.5", "[0, 10, 1e3]"}) EXPECT_TRUE(ParseJson(good).ok()) << good;
}

TEST(ParseJson, DepthAndMemberNamesAreBounded) {
  // The top-level array is level 0.
  EXPECT_TRUE(ParseJson(std::string(17, '[') + std::string(17, ']')).ok());
  EXPECT_FALSE(ParseJson(std::string(18, '[') + std::string(18, ']')).ok());
  EXPECT_TRUE(ParseJson(std::string(4, '[') + std::string(4, ']'), 3).ok());
  EXPECT_FALSE(ParseJson(std::string(5, '[') + std::string(5, ']'), 3).ok());
  EXPECT_TRUE(ParseJson("{\"" + std::string(256, 'k') + "\": 1}").ok());
  EXPECT_FALSE(ParseJson("{\"" + std::string(257, 'k') + "\": 1}").ok());
}

}  // namespace
}  // namespace corral
