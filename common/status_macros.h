// Early-return helpers for absl::Status and absl::StatusOr, which Abseil
// 20220623 does not ship.
#ifndef CORRAL_COMMON_STATUS_MACROS_H_
#define CORRAL_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function when `expr` is not OK.
#define CORRAL_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status corral_status_ = (expr);          \
    if (!corral_status_.ok()) return corral_status_; \
  } while (false)

#define CORRAL_CONCAT_INNER_(a, b) a##b
#define CORRAL_CONCAT_(a, b) CORRAL_CONCAT_INNER_(a, b)

// Declares `lhs` from a StatusOr expression, returning its status on error:
//   CORRAL_ASSIGN_OR_RETURN(std::string content, ReadFile(path));
#define CORRAL_ASSIGN_OR_RETURN(lhs, expr) \
  CORRAL_ASSIGN_OR_RETURN_IMPL_(CORRAL_CONCAT_(corral_statusor_, __LINE__), lhs, expr)

#define CORRAL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return statusor.status();            \
  lhs = std::move(statusor).value()

#endif  // CORRAL_COMMON_STATUS_MACROS_H_
