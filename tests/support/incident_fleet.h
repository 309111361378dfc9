// The seed incident as snapshots, for server tests: replicas r1 and r2 run
// `gunicorn --workers 3 --timeout 120 --preload wsgi:application` as the
// Dockerfile declares; r3 runs a stale image's `--workers 1 --reload
// app:app`. Each builder can be extended further by the test.
#ifndef CORRAL_TESTS_SUPPORT_INCIDENT_FLEET_H_
#define CORRAL_TESTS_SUPPORT_INCIDENT_FLEET_H_

#include <string>

#include "corral/v1/fleet.pb.h"
#include "tests/support/snapshot_builder.h"

namespace corral::testing {

// A replica running the declared command, in a 2 GiB container using 200 MiB.
inline SnapshotBuilder IncidentGoodReplica(const std::string& name, int pid) {
  SnapshotBuilder b("api", name);
  b.Master(pid, 3, 3)
      .Set("timeout", "120", "cmdline")
      .Set("preload_app", "true", "cmdline")
      .Argv({"/usr/bin/python3", "/usr/bin/gunicorn", "--workers", "3", "--timeout", "120", "--preload",
             "wsgi:application"})
      .Cgroup(200 << 20, int64_t{2} << 30);
  return b;
}

// r3 (master pid 30), running the stale image's command, using 100 MiB.
inline SnapshotBuilder IncidentStaleReplica() {
  SnapshotBuilder b("api", "r3");
  b.Master(30, 1, 1)
      .Set("reload", "true", "cmdline")
      .Set("app_uri", "app:app", "cmdline")
      .Set("preload_app", "false", "default")
      .Argv({"/usr/bin/python3", "/usr/bin/gunicorn", "--workers", "1", "--reload", "app:app"})
      .Cgroup(100 << 20, int64_t{2} << 30);
  return b;
}

// What the repository declares for service "api": the Dockerfile's CMD
// (services/api/Dockerfile.dev:7) and 3 replicas (docker-compose.yml:9), as
// `corral expect import` stores it.
inline corral::v1::ServiceExpectations IncidentDeclaration() {
  corral::v1::ServiceExpectations s;
  s.set_service("api");
  auto add = [&](const char* key, const char* value, const char* origin, const char* by) {
    corral::v1::Expectation* e = s.add_expectations();
    e->set_key(key);
    e->set_value(value);
    e->set_origin(origin);
    e->set_declared_by(by);
  };
  const char* dockerfile = "services/api/Dockerfile.dev:7";
  add("workers", "3", dockerfile, "dockerfile");
  add("timeout", "120", dockerfile, "dockerfile");
  add("preload_app", "true", dockerfile, "dockerfile");
  add("app_uri", "wsgi:application", dockerfile, "dockerfile");
  add("command", "gunicorn --workers 3 --timeout 120 --preload wsgi:application", dockerfile, "dockerfile");
  add("replicas", "3", "docker-compose.yml:9", "compose");
  return s;
}

}  // namespace corral::testing

#endif  // CORRAL_TESTS_SUPPORT_INCIDENT_FLEET_H_
