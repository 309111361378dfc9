#include "server/expectation_book.h"

#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/message_differencer.h"

namespace corral::server {
namespace {

std::map<std::string, corral::v1::Expectation> ByKey(const corral::v1::ServiceExpectations& s) {
  std::map<std::string, corral::v1::Expectation> out;
  for (const corral::v1::Expectation& e : s.expectations()) out[e.key()] = e;
  return out;
}

corral::v1::ServiceExpectations FromMap(const std::string& service,
                                        const std::map<std::string, corral::v1::Expectation>& by_key) {
  corral::v1::ServiceExpectations out;
  out.set_service(service);
  for (const auto& [key, e] : by_key) *out.add_expectations() = e;
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExpectationBook>> ExpectationBook::Open(Store* store) {
  std::unique_ptr<ExpectationBook> book(new ExpectationBook(store));
  absl::MutexLock lock(&book->mu_);
  book->version_ = -1;  // anything but the store's
  absl::StatusOr<bool> loaded = book->RefreshLocked();
  if (!loaded.ok()) return loaded.status();
  return book;
}

absl::StatusOr<bool> ExpectationBook::Refresh() {
  if (!store_->shared()) return false;
  absl::MutexLock lock(&mu_);
  return RefreshLocked();
}

absl::StatusOr<bool> ExpectationBook::RefreshLocked() {
  // The version first: a change made while loading shows on the next call.
  absl::StatusOr<int64_t> version = store_->ExpectationsVersion();
  if (!version.ok()) return version.status();
  if (*version == version_) return false;
  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> loaded = store_->LoadExpectations();
  if (!loaded.ok()) return loaded.status();
  std::map<std::string, std::shared_ptr<const Expectations>> by_service;
  bool changed = false;
  for (corral::v1::ServiceExpectations& s : *loaded) {
    std::string name = s.service();
    auto old = by_service_.find(name);
    if (old != by_service_.end() && google::protobuf::util::MessageDifferencer::Equals(old->second->proto(), s)) {
      by_service[name] = old->second;
      continue;
    }
    changed = true;
    by_service[name] = std::make_shared<const Expectations>(std::move(s));
  }
  changed = changed || by_service.size() != by_service_.size();
  by_service_ = std::move(by_service);
  if (changed) generation_.fetch_add(1, std::memory_order_release);
  version_ = *version;
  return changed;
}

std::shared_ptr<const Expectations> ExpectationBook::For(const std::string& service) const {
  absl::MutexLock lock(&mu_);
  auto it = by_service_.find(service);
  return it == by_service_.end() ? nullptr : it->second;
}

absl::Status ExpectationBook::Commit(const std::vector<corral::v1::ServiceExpectations>& services, absl::Time now,
                                     std::vector<corral::v1::Event>* events) {
  absl::Status written = store_->WriteExpectations(services, /*replace=*/true,
                                                   store_->shared() ? std::optional<int64_t>(version_) : std::nullopt);
  if (!written.ok()) return written;
  for (const corral::v1::ServiceExpectations& s : services) {
    std::map<std::string, corral::v1::Expectation> before;
    auto it = by_service_.find(s.service());
    if (it != by_service_.end()) before = ByKey(it->second->proto());
    std::map<std::string, corral::v1::Expectation> after = ByKey(s);
    std::set<std::string> keys;
    for (const auto& [key, e] : before) keys.insert(key);
    for (const auto& [key, e] : after) keys.insert(key);
    for (const std::string& key : keys) {
      auto b = before.find(key);
      auto a = after.find(key);
      std::string was = b == before.end() ? "" : b->second.value();
      std::string now_value = a == after.end() ? "" : a->second.value();
      if (b != before.end() && a != after.end() && was == now_value) continue;
      corral::v1::Event& e = events->emplace_back();
      e.set_time_unix_ms(absl::ToUnixMillis(now));
      e.set_kind("expectation_changed");
      e.set_service(s.service());
      e.set_setting(key);
      e.set_before(was);
      e.set_after(now_value);
      e.set_message(a == after.end() ? absl::StrCat(s.service(), ": no longer expects ", key, " (was ", was, ")")
                                     : absl::StrCat(s.service(), ": expects ", key, "=", now_value,
                                                    b == before.end() ? "" : absl::StrCat(" (was ", was, ")"),
                                                    ", from ", OriginText(a->second)));
    }
    if (s.expectations().empty()) {
      by_service_.erase(s.service());
    } else {
      by_service_[s.service()] = std::make_shared<const Expectations>(s);
    }
    generation_.fetch_add(1, std::memory_order_release);
  }
  return absl::OkStatus();
}

absl::StatusOr<corral::v1::ExpectationsList> ExpectationBook::Set(corral::v1::SetExpectationsRequest request,
                                                                  absl::Time now,
                                                                  std::vector<corral::v1::Event>* events) {
  if (request.services_size() > kMaxServicesPerRequest) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxServicesPerRequest, " services in one request"));
  }
  std::set<std::string> seen;
  for (corral::v1::ServiceExpectations& s : *request.mutable_services()) {
    if (!seen.insert(s.service()).second) {
      return absl::InvalidArgumentError(absl::StrCat("service ", s.service(), " is listed twice"));
    }
    for (corral::v1::Expectation& e : *s.mutable_expectations()) e.set_updated_at_unix_ms(absl::ToUnixMillis(now));
    absl::Status valid = NormalizeServiceExpectations(&s);
    if (!valid.ok()) return valid;
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> merged = MergeAndCommit(
      [&]() -> absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> {
        std::vector<corral::v1::ServiceExpectations> out;
        for (const corral::v1::ServiceExpectations& s : request.services()) {
          std::map<std::string, corral::v1::Expectation> keys;
          auto it = by_service_.find(s.service());
          if (!request.replace() && it != by_service_.end()) keys = ByKey(it->second->proto());
          for (const corral::v1::Expectation& e : s.expectations()) {
            if (e.key() == "workers") keys.erase("min_workers");
            if (e.key() == "min_workers") keys.erase("workers");
            auto old = keys.find(e.key());
            corral::v1::Expectation updated = e;
            // An unchanged value keeps its time, so `expect show` says when
            // it last changed.
            if (old != keys.end() && old->second.value() == e.value() && old->second.origin() == e.origin()) {
              updated.set_updated_at_unix_ms(old->second.updated_at_unix_ms());
            }
            keys[e.key()] = std::move(updated);
          }
          corral::v1::ServiceExpectations combined = FromMap(s.service(), keys);
          absl::Status valid = NormalizeServiceExpectations(&combined);
          if (!valid.ok()) return valid;
          out.push_back(std::move(combined));
        }
        return out;
      },
      now, events);
  if (!merged.ok()) return merged.status();
  corral::v1::ExpectationsList out;
  for (corral::v1::ServiceExpectations& s : *merged) *out.add_services() = std::move(s);
  return out;
}

absl::StatusOr<corral::v1::ExpectationsList> ExpectationBook::Unset(const corral::v1::UnsetExpectationsRequest& request,
                                                                    absl::Time now,
                                                                    std::vector<corral::v1::Event>* events) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> remaining = MergeAndCommit(
      [&]() -> absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> {
        auto it = by_service_.find(request.service());
        if (it == by_service_.end()) {
          return absl::NotFoundError(absl::StrCat("service '", request.service(), "' has no expectations"));
        }
        std::map<std::string, corral::v1::Expectation> keys = ByKey(it->second->proto());
        std::vector<std::string> missing;
        if (request.keys().empty()) {
          keys.clear();
        } else {
          for (const std::string& key : request.keys()) {
            if (keys.erase(key) == 0) missing.push_back(key);
          }
          if (missing.size() == static_cast<size_t>(request.keys_size())) {
            return absl::NotFoundError(
                absl::StrCat(request.service(), " expects nothing for ", absl::StrJoin(missing, ", ")));
          }
        }
        return std::vector<corral::v1::ServiceExpectations>{FromMap(request.service(), keys)};
      },
      now, events);
  if (!remaining.ok()) return remaining.status();
  corral::v1::ExpectationsList out;
  *out.add_services() = std::move(remaining->front());
  return out;
}

absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> ExpectationBook::MergeAndCommit(
    Merge merge, absl::Time now, std::vector<corral::v1::Event>* events) {
  constexpr int kAttempts = 10;
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1) {
      // The server that won may be writing again: wait a little, a random
      // while growing with the attempts, so that two writers take turns.
      static thread_local std::mt19937 rng(std::random_device{}());
      std::uniform_int_distribution<int> ms(1, 5 * attempt);
      absl::SleepFor(absl::Milliseconds(ms(rng)));
    }
    // Another server may have changed them since the last Refresh.
    if (store_->shared()) {
      absl::StatusOr<bool> refreshed = RefreshLocked();
      if (!refreshed.ok()) return refreshed.status();
    }
    absl::StatusOr<std::vector<corral::v1::ServiceExpectations>> merged = merge();
    if (!merged.ok()) return merged.status();
    absl::Status committed = Commit(*merged, now, events);
    if (committed.ok()) return merged;
    if (!absl::IsAborted(committed) || attempt == kAttempts) return committed;
  }
}

corral::v1::ExpectationsList ExpectationBook::Get(const std::string& service) const {
  corral::v1::ExpectationsList out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, e] : by_service_) {
    if (!service.empty() && name != service) continue;
    *out.add_services() = e->proto();
  }
  return out;
}

}  // namespace corral::server
