// Levenshtein distance, for "did you mean 'workers'?" messages.
#ifndef CORRAL_COMMON_EDIT_DISTANCE_H_
#define CORRAL_COMMON_EDIT_DISTANCE_H_

#include <string>

namespace corral {

// Insertions, deletions and substitutions that turn `a` into `b`.
int EditDistance(const std::string& a, const std::string& b);

}  // namespace corral

#endif  // CORRAL_COMMON_EDIT_DISTANCE_H_
