#include "common/component_log.h"

namespace corral {

spdlog::logger* ComponentLog::operator()() const {
  std::call_once(once_, [this] {
    logger_ = spdlog::get(name_);
    if (logger_ == nullptr) logger_ = spdlog::default_logger()->clone(name_);
  });
  return logger_.get();
}

}  // namespace corral
