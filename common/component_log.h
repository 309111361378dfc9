// One logger per component ("probe", "uplink", "collector", "store"), so
// every line says which part of Corral wrote it. A file declares its logger
// once, `const ComponentLog Log("probe");`, and writes `Log()->info(...)`.
#ifndef CORRAL_COMMON_COMPONENT_LOG_H_
#define CORRAL_COMMON_COMPONENT_LOG_H_

#include <memory>
#include <mutex>

#include "spdlog/spdlog.h"

namespace corral {

class ComponentLog {
 public:
  explicit ComponentLog(const char* name) : name_(name) {}
  ComponentLog(const ComponentLog&) = delete;
  ComponentLog& operator=(const ComponentLog&) = delete;

  // The component's logger: the one registered under its name, else a clone
  // of the default logger made on first use, so it writes to the sinks and
  // at the level SetUpLogging (common/daemon.h) chose at start-up.
  spdlog::logger* operator()() const;

 private:
  const char* name_;
  mutable std::once_flag once_;
  mutable std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace corral

#endif  // CORRAL_COMMON_COMPONENT_LOG_H_
