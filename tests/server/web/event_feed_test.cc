#include "server/web/event_feed.h"

#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace corral::server::web {
namespace {

corral::v1::Event MakeEvent(int64_t id, const std::string& service, const std::string& message) {
  corral::v1::Event e;
  e.set_id(id);
  e.set_kind("workers_changed");
  e.set_service(service);
  e.set_message(message);
  return e;
}

TEST(ServerSentEvent, IsOneEventWithItsIdAndOneLineOfJson) {
  std::string text = ServerSentEvent(MakeEvent(7, "api", "two\nlines"));
  EXPECT_TRUE(absl::StartsWith(text, "id: 7\nevent: change\ndata: {")) << text;
  EXPECT_TRUE(absl::EndsWith(text, "}\n\n"));
  EXPECT_TRUE(absl::StrContains(text, "\"message\":\"two\\nlines\""));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
}

TEST(EventFeed, AStreamGetsItsServicesEventsAndServerWideOnes) {
  EventFeed feed(nullptr, 4, absl::Milliseconds(10));
  std::shared_ptr<EventFeed::Stream> api = feed.Open("api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->Next(), "retry: 3000\n: corral events\n\n");
  feed.Publish(MakeEvent(1, "api", "a"));
  feed.Publish(MakeEvent(2, "billing", "b"));
  feed.Publish(MakeEvent(3, "", "server started"));
  std::optional<std::string> next = api->Next();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(absl::StrContains(*next, "id: 1\n"));
  EXPECT_FALSE(absl::StrContains(*next, "id: 2\n"));
  EXPECT_TRUE(absl::StrContains(*next, "id: 3\n"));
  // Nothing more: a keepalive comment after the wait.
  EXPECT_EQ(api->Next(), ": keepalive\n\n");
}

TEST(EventFeed, WakesAWaitingStream) {
  EventFeed feed(nullptr, 4, absl::Seconds(30));
  std::shared_ptr<EventFeed::Stream> all = feed.Open("");
  all->Next();  // the greeting
  std::optional<std::string> got;
  std::thread reader([&] { got = all->Next(); });
  feed.Publish(MakeEvent(9, "api", "x"));
  reader.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(absl::StartsWith(*got, "id: 9\n")) << *got;
}

TEST(EventFeed, RefusesStreamsPastTheLimitAndFreesTheirSlots) {
  EventFeed feed(nullptr, 2, absl::Milliseconds(10));
  std::shared_ptr<EventFeed::Stream> a = feed.Open("a");
  std::shared_ptr<EventFeed::Stream> b = feed.Open("b");
  EXPECT_EQ(feed.open_streams(), 2);
  EXPECT_EQ(feed.Open("c"), nullptr);
  a.reset();
  EXPECT_EQ(feed.open_streams(), 1);
  EXPECT_NE(feed.Open("c"), nullptr);
}

TEST(EventFeed, AStreamThatFallsBehindIsToldToReloadAndEnds) {
  EventFeed feed(nullptr, 2, absl::Milliseconds(10));
  std::shared_ptr<EventFeed::Stream> s = feed.Open("api");
  s->Next();
  for (size_t i = 0; i <= EventFeed::kMaxQueued; ++i) feed.Publish(MakeEvent(i + 1, "api", "x"));
  EXPECT_EQ(s->Next(), "event: reload\ndata: {}\n\n");
  EXPECT_EQ(s->Next(), std::nullopt);
}

TEST(EventFeed, ShutdownEndsWaitingStreamsAndRefusesNewOnes) {
  EventFeed feed(nullptr, 2, absl::Hours(1));
  std::shared_ptr<EventFeed::Stream> s = feed.Open("api");
  s->Next();
  std::optional<std::string> got = "unset";
  std::thread reader([&] { got = s->Next(); });
  feed.Shutdown();
  reader.join();
  EXPECT_EQ(got, std::nullopt);
  EXPECT_EQ(feed.Open("api"), nullptr);
}

}  // namespace
}  // namespace corral::server::web
