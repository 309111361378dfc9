#include "common/edit_distance.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"

namespace corral {

int EditDistance(const std::string& a, const std::string& b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

NearestName::NearestName(std::string word, Options options)
    : word_(std::move(word)),
      lower_(absl::AsciiStrToLower(word_)),
      options_(options),
      best_(options.fewer_edits_than) {}

void NearestName::Offer(const std::string& name) {
  int d = lower_ == absl::AsciiStrToLower(name) ? 0 : EditDistance(word_, name);
  if (d < best_ && (d == 0 || word_.size() >= options_.fuzzy_from_length)) {
    best_ = d;
    nearest_ = name;
  }
}

}  // namespace corral
