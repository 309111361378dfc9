#include "server/expectations.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace corral::server {
namespace {

corral::v1::Expectation E(const std::string& key, const std::string& value) {
  corral::v1::Expectation e;
  e.set_key(key);
  e.set_value(value);
  return e;
}

std::string Normalized(const std::string& key, const std::string& value) {
  absl::StatusOr<corral::v1::Expectation> e = NormalizeExpectation(E(key, value));
  return e.ok() ? e->value() : "error: " + std::string(e.status().message());
}

TEST(Expectations, ValuesAreNormalisedAsGunicornStoresThem) {
  EXPECT_EQ(Normalized("workers", " 3"), "3");
  EXPECT_EQ(Normalized("timeout", "120"), "120");
  EXPECT_EQ(Normalized("preload_app", "True"), "true");
  EXPECT_EQ(Normalized("bind", "0.0.0.0:8000, [::]:8000"), "0.0.0.0:8000,[::]:8000");
  EXPECT_EQ(Normalized("worker_class", "gthread"), "gthread");
  EXPECT_EQ(Normalized("app_uri", "wsgi:application"), "wsgi:application");
  EXPECT_EQ(Normalized("replicas", "0"), "0");
  EXPECT_EQ(Normalized("max_latency", "1500ms"), "1.5s");
  EXPECT_EQ(Normalized("max_error_rate", "0.05"), "5%");
  EXPECT_EQ(Normalized("max_error_rate", "2.5%"), "2.5%");
  EXPECT_EQ(Normalized("max_error_rate", "150%"),
            "error: expectation max_error_rate=150%: must be above 0% and at most 100%");
  EXPECT_EQ(Normalized("command", "gunicorn --workers 3 'wsgi:application'"),
            "gunicorn --workers 3 'wsgi:application'");
  absl::StatusOr<corral::v1::Expectation> manual = NormalizeExpectation(E("timeout", "60"));
  ASSERT_TRUE(manual.ok());
  EXPECT_EQ(manual->declared_by(), "manual");
}

TEST(Expectations, BadValuesAreRefusedSayingWhy) {
  EXPECT_EQ(Normalized("workers", "three"), "error: expectation workers=three: not a whole number");
  EXPECT_EQ(Normalized("workers", "0"), "error: expectation workers=0: must be at least 1");
  EXPECT_EQ(Normalized("timeout", "-5"),
            "error: expectation timeout=-5: invalid value for timeout: '-5' (must be positive)");
  EXPECT_EQ(Normalized("preload_app", "yes"),
            "error: expectation preload_app=yes: invalid value for preload_app: 'yes' (not true or false)");
  EXPECT_EQ(Normalized("command", "gunicorn 'unterminated"),
            "error: expectation command=gunicorn 'unterminated: No closing quotation");
  EXPECT_EQ(Normalized("build_revision", "a b"),
            "error: expectation build_revision=a b: a revision is 1 to 128 characters without spaces");
  EXPECT_EQ(Normalized("timeout", "12\n0"), "error: expectation timeout=12\n0: contains control characters");
}

TEST(Expectations, UnknownKeysAreRefusedWithASuggestion) {
  EXPECT_EQ(Normalized("worker", "3"),
            "error: unknown expectation 'worker' (did you mean 'workers'?); keys are workers, min_workers, replicas, "
            "build_revision, command, app_uri, max_latency, max_error_rate, gunicorn_version and Gunicorn settings");
  EXPECT_EQ(Normalized("on_starting", "x"),
            "error: expectation on_starting: the agent does not observe Gunicorn's 'on_starting' setting");
}

TEST(Expectations, AGunicornVersionIsAReleaseLineOrARelease) {
  EXPECT_EQ(Normalized("gunicorn_version", "23.0"), "23.0");
  EXPECT_EQ(Normalized("gunicorn_version", " 26.2.2 "), "26.2.2");
  EXPECT_EQ(Normalized("gunicorn_version", "020.01"), "20.1");
  for (const char* bad : {"23", "23.0.1rc1", "latest", "23.x", "23.0.1.2", "v23.0", "23..0", ""}) {
    EXPECT_EQ(Normalized("gunicorn_version", bad),
              absl::StrCat("error: expectation gunicorn_version=", bad,
                           ": not a Gunicorn release such as 23.0 (any 23.0.x) or 23.0.1"));
  }
}

TEST(Expectations, AReleaseLineMatchesItsReleasesAndAReleaseOnlyItself) {
  EXPECT_EQ(ReleaseMatches("23.0", "23.0.0"), true);
  EXPECT_EQ(ReleaseMatches("23.0", "23.0.1"), true);
  EXPECT_EQ(ReleaseMatches("23.0", "23.1.0"), false);
  EXPECT_EQ(ReleaseMatches("23.0", "22.0.0"), false);
  EXPECT_EQ(ReleaseMatches("23.0.1", "23.0.1"), true);
  EXPECT_EQ(ReleaseMatches("23.0.1", "23.0.0"), false);
  EXPECT_EQ(ReleaseMatches("20.1.0", "20.1"), true);
  // Nobody can tell what an unknown release is.
  EXPECT_EQ(ReleaseMatches("23.0", ""), std::nullopt);
  EXPECT_EQ(ReleaseMatches("23.0", "unknown"), std::nullopt);
}

TEST(Expectations, AServiceIsCheckedAsAWhole) {
  corral::v1::ServiceExpectations s;
  s.set_service("api");
  *s.add_expectations() = E("workers", "3");
  *s.add_expectations() = E("min_workers", "2");
  EXPECT_EQ(NormalizeServiceExpectations(&s).message(),
            "api: expect either workers (exact) or min_workers (a minimum), not both");

  corral::v1::ServiceExpectations twice;
  twice.set_service("api");
  *twice.add_expectations() = E("timeout", "3");
  *twice.add_expectations() = E("timeout", "4");
  EXPECT_EQ(NormalizeServiceExpectations(&twice).message(), "api: timeout is given twice");

  corral::v1::ServiceExpectations bad_name;
  bad_name.set_service("has space");
  EXPECT_FALSE(NormalizeServiceExpectations(&bad_name).ok());
}

TEST(Expectations, TypedAccess) {
  corral::v1::ServiceExpectations s;
  s.set_service("api");
  *s.add_expectations() = E("workers", "3");
  *s.add_expectations() = E("timeout", "120");
  *s.add_expectations() = E("replicas", "2");
  *s.add_expectations() = E("app_uri", "wsgi:application");
  *s.add_expectations() = E("gunicorn_version", "23.0");
  Expectations e(s);
  EXPECT_EQ(e.Int("workers"), 3);
  EXPECT_EQ(e.Int("replicas"), 2);
  EXPECT_EQ(e.Int("min_workers"), std::nullopt);
  std::vector<std::string> settings;
  for (const corral::v1::Expectation* x : e.Settings()) settings.push_back(x->key());
  // The release is not a Gunicorn setting.
  EXPECT_EQ(settings, (std::vector<std::string>{"app_uri", "timeout"}));
  EXPECT_TRUE(IsWorkloadKey("gunicorn_version"));
}

}  // namespace
}  // namespace corral::server
