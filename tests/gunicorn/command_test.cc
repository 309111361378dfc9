#include "gunicorn/command.h"

#include "gtest/gtest.h"

namespace corral::gunicorn {
namespace {

using Args = std::vector<std::string>;

TEST(RecognizeGunicorn, ScriptForms) {
  auto direct = RecognizeGunicorn({"gunicorn", "-w", "3", "app:app"});
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->launcher, "gunicorn");
  EXPECT_EQ(direct->args, (Args{"-w", "3", "app:app"}));

  auto venv = RecognizeGunicorn({"/app/.venv/bin/gunicorn", "app:app"});
  ASSERT_TRUE(venv);
  EXPECT_EQ(venv->args, Args{"app:app"});

  auto python = RecognizeGunicorn({"/usr/bin/python3", "/usr/bin/gunicorn", "--workers", "1", "app:app"});
  ASSERT_TRUE(python);
  EXPECT_EQ(python->launcher, "python script");
  EXPECT_EQ(python->args, (Args{"--workers", "1", "app:app"}));

  auto with_options = RecognizeGunicorn({"python3.11", "-u", "-W", "ignore", "/usr/local/bin/gunicorn3", "x"});
  ASSERT_TRUE(with_options);
  EXPECT_EQ(with_options->args, Args{"x"});
}

TEST(RecognizeGunicorn, ModuleForms) {
  auto m = RecognizeGunicorn({"python", "-m", "gunicorn", "-w3", "wsgi"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->launcher, "python -m gunicorn");
  EXPECT_EQ(m->args, (Args{"-w3", "wsgi"}));

  auto attached = RecognizeGunicorn({"/usr/bin/python3", "-OO", "-mgunicorn", "app:app"});
  ASSERT_TRUE(attached);
  EXPECT_EQ(attached->args, Args{"app:app"});

  auto wsgiapp = RecognizeGunicorn({"pypy3", "-m", "gunicorn.app.wsgiapp", "app"});
  ASSERT_TRUE(wsgiapp);
  EXPECT_EQ(wsgiapp->args, Args{"app"});
}

TEST(RecognizeGunicorn, Titles) {
  auto master = RecognizeGunicorn({"gunicorn: master [app:app]"});
  ASSERT_TRUE(master);
  EXPECT_TRUE(master->is_title());
  EXPECT_TRUE(master->title_says_master());
  EXPECT_EQ(master->title_name, "app:app");
  EXPECT_FALSE(master->title_truncated);

  auto worker = RecognizeGunicorn({"gunicorn: worker [api]"});
  ASSERT_TRUE(worker);
  EXPECT_TRUE(worker->title_says_worker());

  auto upgraded = RecognizeGunicorn({"gunicorn: master [app:app.2]"});
  ASSERT_TRUE(upgraded);
  EXPECT_EQ(upgraded->title_name, "app:app.2");

  // A small argv area cuts the title short.
  auto cut = RecognizeGunicorn({"gunicorn: mast"});
  ASSERT_TRUE(cut);
  EXPECT_TRUE(cut->title_truncated);
  EXPECT_TRUE(cut->title_says_master());
  auto cut_name = RecognizeGunicorn({"gunicorn: worker [very.long.na"});
  ASSERT_TRUE(cut_name);
  EXPECT_TRUE(cut_name->title_truncated);
  EXPECT_EQ(cut_name->title_name, "very.long.na");
}

TEST(RecognizeGunicorn, RejectsEverythingElse) {
  EXPECT_FALSE(RecognizeGunicorn({}));
  EXPECT_FALSE(RecognizeGunicorn({"/usr/bin/python3", "/usr/bin/unattended-upgrade"}));
  EXPECT_FALSE(RecognizeGunicorn({"python3", "-c", "import gunicorn"}));
  EXPECT_FALSE(RecognizeGunicorn({"python3", "-m", "uvicorn", "app:app"}));
  EXPECT_FALSE(RecognizeGunicorn({"python3"}));
  EXPECT_FALSE(RecognizeGunicorn({"/bin/sh", "-c", "gunicorn app:app"}));
  EXPECT_FALSE(RecognizeGunicorn({"gunicorn-exporter"}));
  EXPECT_FALSE(RecognizeGunicorn({"pythonista"}));
}

TEST(MightBeGunicorn, FiltersOnComm) {
  EXPECT_TRUE(MightBeGunicorn("gunicorn"));
  EXPECT_TRUE(MightBeGunicorn("gunicorn: maste"));
  EXPECT_TRUE(MightBeGunicorn("python3.11"));
  EXPECT_TRUE(MightBeGunicorn("pypy3"));
  EXPECT_FALSE(MightBeGunicorn("nginx"));
  EXPECT_FALSE(MightBeGunicorn("kworker/0:1"));
}

}  // namespace
}  // namespace corral::gunicorn
