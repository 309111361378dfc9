#include "cli/diagnosis_format.h"

#include "gtest/gtest.h"

namespace corral::cli {
namespace {

TEST(DiagnosisFormat, HypothesesReadAsAReport) {
  corral::v1::Diagnosis d;
  d.set_service("api");
  d.set_summary("api: confirmed: stale Docker image (r3)");
  d.mutable_expectations()->add_expectations()->set_key("workers");
  corral::v1::Hypothesis* stale = d.add_hypotheses();
  stale->set_title("stale Docker image");
  stale->set_verdict("confirmed");
  stale->add_instances("r3");
  stale->add_evidence("api/r3: runs `gunicorn -w 1 app:app`");
  stale->set_fix("docker compose build --no-cache api && docker compose up -d api");
  corral::v1::Hypothesis* crash = d.add_hypotheses();
  crash->set_title("Gunicorn crashing at start");
  crash->set_verdict("cannot_tell");
  crash->set_what_would_tell("two intervals of watching");
  EXPECT_EQ(RenderDiagnosis(d, Style(false)),
            "Diagnosis of api\n"
            "api: confirmed: stale Docker image (r3)\n"
            "\n"
            "1. stale Docker image  confirmed  (r3)\n"
            "   - api/r3: runs `gunicorn -w 1 app:app`\n"
            "   fix: docker compose build --no-cache api && docker compose up -d api\n"
            "\n"
            "2. Gunicorn crashing at start  cannot_tell\n"
            "   would tell: two intervals of watching\n");
}

TEST(DiagnosisFormat, EventsAndExpectations) {
  corral::v1::Event e;
  e.set_time_unix_ms(1795750867000);
  e.set_kind("finding_opened");
  e.set_severity("critical");
  e.set_message("api/r3: 1 live worker(s), expected 3");
  EXPECT_EQ(RenderEvent(e, absl::UTCTimeZone(), Style(false)),
            "2026-11-27 03:41:07  finding_opened critical  api/r3: 1 live worker(s), expected 3\n");
  corral::v1::HistoryResponse none;
  EXPECT_EQ(RenderHistory(none, absl::UTCTimeZone(), Style(false)), "no events\n");

  // A pod's events read namespace/service/pod.
  corral::v1::Event pod;
  pod.set_time_unix_ms(1795750867000);
  pod.set_kind("instance_online");
  pod.set_service("api");
  pod.set_instance("api-7d9f8b6c5d-x2x9k");
  pod.set_namespace_("prod");
  pod.set_message("api/api-7d9f8b6c5d-x2x9k is online");
  EXPECT_EQ(RenderEvent(pod, absl::UTCTimeZone(), Style(false)),
            "2026-11-27 03:41:07  instance_online  prod/api/api-7d9f8b6c5d-x2x9k is online\n");
  pod.set_message("resolved: api/api-7d9f8b6c5d-x2x9k: 1 live worker(s), expected 3");
  EXPECT_EQ(RenderEvent(pod, absl::UTCTimeZone(), Style(false)),
            "2026-11-27 03:41:07  instance_online  resolved: api/api-7d9f8b6c5d-x2x9k: 1 live worker(s), expected 3 "
            "(namespace prod)\n");
  pod.clear_message();
  pod.set_kind("workers_changed");
  pod.set_before("3");
  pod.set_after("1");
  EXPECT_EQ(RenderEvent(pod, absl::UTCTimeZone(), Style(false)),
            "2026-11-27 03:41:07  workers_changed  prod/api/api-7d9f8b6c5d-x2x9k  3 -> 1\n");

  corral::v1::ExpectationsList list;
  corral::v1::ServiceExpectations* s = list.add_services();
  s->set_service("api");
  corral::v1::Expectation* x = s->add_expectations();
  x->set_key("timeout");
  x->set_value("120");
  x->set_origin("Dockerfile.dev:7");
  x->set_declared_by("dockerfile");
  EXPECT_EQ(RenderExpectations(list, Style(false)),
            "api\n"
            "  KEY      VALUE  DECLARED IN       BY          SINCE\n"
            "  timeout  120    Dockerfile.dev:7  dockerfile  -\n");
}

}  // namespace
}  // namespace corral::cli
