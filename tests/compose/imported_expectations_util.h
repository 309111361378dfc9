// Reading an import's result in the compose and Kubernetes import tests.
#ifndef CORRAL_TESTS_COMPOSE_IMPORTED_EXPECTATIONS_UTIL_H_
#define CORRAL_TESTS_COMPOSE_IMPORTED_EXPECTATIONS_UTIL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "compose/declared_expectations.h"
#include "gtest/gtest.h"

namespace corral::compose::testing {

// key -> value of every expectation.
inline std::map<std::string, std::string> Values(const ImportedExpectations& imported) {
  std::map<std::string, std::string> out;
  for (const corral::v1::Expectation& e : imported.expectations.expectations()) out[e.key()] = e.value();
  return out;
}

inline corral::v1::Expectation ExpectationFor(const ImportedExpectations& imported, const std::string& key) {
  for (const corral::v1::Expectation& e : imported.expectations.expectations()) {
    if (e.key() == key) return e;
  }
  ADD_FAILURE() << "no expectation " << key;
  return {};
}

inline std::vector<std::string> WarningsContaining(const std::vector<std::string>& warnings, const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& w : warnings) {
    if (absl::StrContains(w, text)) out.push_back(w);
  }
  return out;
}

}  // namespace corral::compose::testing

#endif  // CORRAL_TESTS_COMPOSE_IMPORTED_EXPECTATIONS_UTIL_H_
