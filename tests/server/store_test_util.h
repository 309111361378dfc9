// What the store's tests share: building expectations and events, asking
// for events, and opening a store as the server does. Used by the SQLite
// tests (store_test.cc) and the contract both engines pass
// (store_engines_test.cc).
#ifndef CORRAL_TESTS_SERVER_STORE_TEST_UTIL_H_
#define CORRAL_TESTS_SERVER_STORE_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/store.h"

namespace corral::server {

MATCHER_P(EqualsProto, expected, expected.ShortDebugString()) {
  return google::protobuf::util::MessageDifferencer::Equals(arg, expected);
}

inline corral::v1::Expectation Expect(const std::string& key, const std::string& value, int64_t at = 1000) {
  corral::v1::Expectation e;
  e.set_key(key);
  e.set_value(value);
  e.set_origin("docker-compose.yml:12");
  e.set_declared_by("compose");
  e.set_updated_at_unix_ms(at);
  return e;
}

inline corral::v1::ServiceExpectations ServiceWith(const std::string& service,
                                                   std::vector<corral::v1::Expectation> expectations) {
  corral::v1::ServiceExpectations s;
  s.set_service(service);
  for (auto& e : expectations) *s.add_expectations() = std::move(e);
  return s;
}

inline corral::v1::Event MakeEvent(int64_t time, const std::string& service, const std::string& message = "") {
  corral::v1::Event e;
  e.set_time_unix_ms(time);
  e.set_kind("workers_changed");
  e.set_service(service);
  e.set_instance(service + "-1");
  e.set_before("3");
  e.set_after("1");
  e.set_message(message.empty() ? absl::StrCat(service, " at ", time) : message);
  return e;
}

inline std::vector<int64_t> Ids(const std::vector<corral::v1::Event>& events) {
  std::vector<int64_t> ids;
  for (const auto& e : events) ids.push_back(e.id());
  return ids;
}

inline std::vector<int64_t> Times(const std::vector<corral::v1::Event>& events) {
  std::vector<int64_t> times;
  for (const auto& e : events) times.push_back(e.time_unix_ms());
  return times;
}

inline std::vector<std::string> Keys(const corral::v1::ServiceExpectations& s) {
  std::vector<std::string> keys;
  for (const auto& e : s.expectations()) keys.push_back(e.key());
  return keys;
}

inline EventQuery Matching(const std::string& service = "", int64_t since_unix_ms = 0, int64_t after_id = 0,
                           int limit = 1000) {
  EventQuery query;
  query.service = service;
  query.since_unix_ms = since_unix_ms;
  query.after_id = after_id;
  query.limit = limit;
  return query;
}

inline std::vector<corral::v1::Event> Query(Store& store, const EventQuery& query, bool* truncated = nullptr) {
  bool ignored;
  absl::StatusOr<std::vector<corral::v1::Event>> events = store.Events(query, truncated ? truncated : &ignored);
  if (!events.ok()) {
    ADD_FAILURE() << events.status();
    return {};
  }
  return *events;
}

// Opens the store as the server does: and holds the history lease, which
// writing baselines needs on a shared store.
inline std::unique_ptr<Store> MustOpen(const std::string& location) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(location);
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return nullptr;
  }
  absl::StatusOr<bool> lease = (*store)->HoldHistoryLease();
  if (!lease.ok() || !*lease) ADD_FAILURE() << "no history lease on " << location;
  return std::move(store).value();
}

// Events at times 100, 200, ... for services alternating a, b, c.
inline std::unique_ptr<Store> StoreWithEvents(const std::string& location, int n) {
  std::unique_ptr<Store> store = MustOpen(location);
  if (store == nullptr) return nullptr;
  std::vector<corral::v1::Event> events;
  const char* services[] = {"a", "b", "c"};
  for (int i = 0; i < n; ++i) events.push_back(MakeEvent(100 * (i + 1), services[i % 3]));
  absl::Status appended = store->Append(&events);
  if (!appended.ok()) ADD_FAILURE() << appended;
  return store;
}

}  // namespace corral::server

#endif  // CORRAL_TESTS_SERVER_STORE_TEST_UTIL_H_
