// Levenshtein distance, and the nearest-name search behind every "did you
// mean 'workers'?" message.
#ifndef CORRAL_COMMON_EDIT_DISTANCE_H_
#define CORRAL_COMMON_EDIT_DISTANCE_H_

#include <string>

namespace corral {

// Insertions, deletions and substitutions that turn `a` into `b`.
int EditDistance(const std::string& a, const std::string& b);

// Finds, among names offered one at a time, the one nearest to a word that
// named nothing. The first of equally near names wins.
class NearestName {
 public:
  struct Options {
    // Only names fewer edits away than this are suggested.
    int fewer_edits_than = 3;
    // Words shorter than this are matched only when equal ignoring case:
    // for short words a few edits reach too many names.
    size_t fuzzy_from_length = 0;
  };

  explicit NearestName(std::string word) : NearestName(std::move(word), Options()) {}
  NearestName(std::string word, Options options);

  void Offer(const std::string& name);

  // The nearest name offered, or empty when none was near enough.
  const std::string& name() const { return nearest_; }

 private:
  std::string word_;
  std::string lower_;
  Options options_;
  int best_;
  std::string nearest_;
};

}  // namespace corral

#endif  // CORRAL_COMMON_EDIT_DISTANCE_H_
