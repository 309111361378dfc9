#include "cli/inspect_format.h"

#include "gtest/gtest.h"

namespace corral::cli {
namespace {

corral::v1::Setting S(std::string value, std::string source, std::string note = "") {
  corral::v1::Setting s;
  s.set_value(std::move(value));
  s.set_source(std::move(source));
  s.set_note(std::move(note));
  return s;
}

corral::v1::Snapshot StaleReplica() {
  corral::v1::Snapshot snap;
  corral::v1::GunicornInstance* inst = snap.add_instances();
  inst->set_app_uri("app:app");
  inst->set_launcher("gunicorn");
  corral::v1::ProcessFacts* m = inst->mutable_master();
  m->set_pid(7);
  m->set_age_seconds(192);
  m->set_uid(1000);
  m->set_cwd("/app");
  m->set_rss_bytes(25270272);
  for (const char* a : {"gunicorn", "--workers", "3", "app:app"}) m->add_argv(a);
  corral::v1::ProcessFacts* w = inst->add_workers();
  w->set_pid(9);
  w->set_state("S");
  w->set_age_seconds(5);
  w->set_heartbeat_age_seconds(0.4);
  auto& config = *inst->mutable_config();
  config["workers"] = S("3", "cmdline", "via --workers");
  config["timeout"] = S("120", "config_file");
  config["timeout"].set_file("/app/gunicorn.conf.py");
  config["timeout"].set_line(4);
  config["reload"] = S("false", "default");
  config["keepalive"] = S("", "unknown", "setproctitle erased the command line");
  config["keepalive"].set_default_value("2");
  config["threads"] = S("", "unknown", "setproctitle erased the command line");
  config["pidfile"] = S("/run/g.pid", "cmdline", "via -p");
  config["umask"] = S("0", "default");
  corral::v1::Warning* warning = inst->add_warnings();
  warning->set_code("FEWER_WORKERS_THAN_CONFIGURED");
  warning->set_message("1 worker(s) running, 3 configured (cmdline)");
  return snap;
}

TEST(RenderInspect, OneBlockPerMasterWithCountsSourcesAndWarnings) {
  std::string out = RenderInspect(StaleReplica(), Style(false), 100);
  EXPECT_NE(out.find("Gunicorn master 7  app:app\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  command    gunicorn --workers 3 app:app  [gunicorn]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  master     up 3m12s · uid 1000 · cwd /app · rss 24.1 MiB\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  workers    1 running / 3 configured (cmdline --workers)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("    9    5s   0 B  0.00s  0.4s ago   S      ?\n"), std::string::npos) << out;
  EXPECT_NE(out.find("    timeout    120         config_file /app/gunicorn.conf.py:4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("    keepalive  unknown     unknown (default 2)\n"), std::string::npos) << out;
  // Non-key settings appear only when not at their default.
  EXPECT_NE(out.find("    pidfile    /run/g.pid  cmdline -p\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("umask"), std::string::npos) << out;
  // One reason, listed once for every setting it concerns.
  EXPECT_NE(out.find("    · threads, keepalive: setproctitle erased the command line\n"), std::string::npos) << out;
  EXPECT_NE(out.find("    ! FEWER_WORKERS_THAN_CONFIGURED  1 worker(s) running, 3 configured (cmdline)\n"),
            std::string::npos)
      << out;
}

TEST(RenderInspect, HookValuesAtGunicornsDefaultAreLeftOutLikeDefaults) {
  corral::v1::Snapshot snap = StaleReplica();
  auto& config = *snap.mutable_instances(0)->mutable_config();
  config["umask"] = S("0", "hook");
  config["backlog"] = S("2048", "hook");
  config["max_requests"] = S("1000", "hook");
  std::string out = RenderInspect(snap, Style(false), 100);
  EXPECT_EQ(out.find("umask"), std::string::npos) << out;
  EXPECT_EQ(out.find("backlog"), std::string::npos) << out;
  EXPECT_NE(out.find("    max_requests  1000"), std::string::npos) << out;
}

TEST(RenderInspect, NothingFoundSaysWhereItLooked) {
  corral::v1::Snapshot snap;
  snap.mutable_agent()->set_proc_root("/proc");
  EXPECT_EQ(RenderInspect(snap, Style(false), 312), "No Gunicorn master found in /proc (312 processes scanned).\n");
}

}  // namespace
}  // namespace corral::cli
