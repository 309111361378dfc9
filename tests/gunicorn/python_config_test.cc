// Whole config files through EvaluatePythonConfig: statements, imports,
// the environment and CPU count of the context, and the limits on one file.
// Operators, expressions and builtins have their own tests beside this one.
#include "gunicorn/python_config.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/gunicorn/python_test_util.h"

namespace corral::gunicorn {
namespace {

using python_test::Context;
using python_test::Eval;
using python_test::Repr;

TEST(EvaluatePythonConfig, LiteralsAndArithmetic) {
  PythonConfigResult r = Eval(
      "workers = 3\n"
      "timeout = 60 * 2\n"
      "graceful = 7 // 2 + -7 // 2 + 7 % -3\n"
      "ratio = 3 / 2\n"
      "big = 2 ** 10\n"
      "name = 'api' \"-\" 'v1'\n"
      "flags = [True, False, None]\n"
      "pair = (1,)\n"
      "d = {'a': 1}\n"
      "hexa = 0x1F + 0o17 + 0b11 + 1_000\n"
      "neg = -2 ** 2\n");
  EXPECT_EQ(Repr(r, "workers"), "3");
  EXPECT_EQ(Repr(r, "timeout"), "120");
  EXPECT_EQ(Repr(r, "graceful"), "-3");  // 3 + -4 + -2 (Python floors)
  EXPECT_EQ(Repr(r, "ratio"), "1.5");
  EXPECT_EQ(Repr(r, "big"), "1024");
  EXPECT_EQ(Repr(r, "name"), "'api-v1'");
  EXPECT_EQ(Repr(r, "flags"), "[True, False, None]");
  EXPECT_EQ(Repr(r, "pair"), "(1,)");
  EXPECT_EQ(Repr(r, "d"), "{'a': 1}");
  EXPECT_EQ(Repr(r, "hexa"), "1049");
  EXPECT_EQ(Repr(r, "neg"), "-4");
  EXPECT_EQ(r.names.at("timeout").line, 2);
  EXPECT_EQ(r.names.at("timeout").expression, "60 * 2");
}

TEST(EvaluatePythonConfig, CpuCountFromBothModules) {
  PythonConfigResult r = Eval(
      "import multiprocessing\n"
      "import os\n"
      "from multiprocessing import cpu_count as cpus\n"
      "workers = multiprocessing.cpu_count() * 2 + 1\n"
      "threads = os.cpu_count()\n"
      "other = cpus() - 1\n",
      Context({}, 8));
  EXPECT_EQ(Repr(r, "workers"), "17");
  EXPECT_EQ(Repr(r, "threads"), "8");
  EXPECT_EQ(Repr(r, "other"), "7");
  EXPECT_TRUE(r.used_cpu_count);
}

TEST(EvaluatePythonConfig, EnvironmentLookups) {
  PythonConfigResult r = Eval(
      "import os\n"
      "from os import environ, getenv\n"
      "bind = '0.0.0.0:' + os.environ.get('PORT', '8000')\n"
      "workers = int(os.getenv('WEB_CONCURRENCY', 2))\n"
      "loglevel = environ['LOG_LEVEL'].lower()\n"
      "missing = os.environ.get('NOPE')\n"
      "fallback = getenv('NOPE', 'x') or 'y'\n"
      "flag = 'DEBUG' in os.environ\n",
      Context({{"PORT", "9000"}, {"LOG_LEVEL", "DEBUG"}}));
  EXPECT_EQ(Repr(r, "bind"), "'0.0.0.0:9000'");
  EXPECT_EQ(Repr(r, "workers"), "2");
  EXPECT_EQ(Repr(r, "loglevel"), "'debug'");
  EXPECT_EQ(Repr(r, "missing"), "None");
  EXPECT_EQ(Repr(r, "fallback"), "'x'");
  EXPECT_EQ(Repr(r, "flag"), "False");
}

TEST(EvaluatePythonConfig, UnknownEnvironmentMakesLookupsUnknown) {
  PythonConfigContext context = Context();
  context.environ.reset();
  context.environ_unknown_reason = "setproctitle erased the environment";
  PythonConfigResult r =
      Eval("import os\nworkers = int(os.environ.get('WEB_CONCURRENCY', '3'))\ntimeout = 5\n", context);
  EXPECT_EQ(Repr(r, "workers"), "<unknown: $WEB_CONCURRENCY is unknown: setproctitle erased the environment>");
  EXPECT_EQ(Repr(r, "timeout"), "5");
}

TEST(EvaluatePythonConfig, IfBlocksFollowTheConditionWhenKnown) {
  PythonConfigResult r = Eval(
      "import os\n"
      "if os.environ.get('ENV') == 'prod':\n"
      "    workers = 8\n"
      "    reload = False\n"
      "elif os.environ.get('ENV') == 'dev':\n"
      "    workers = 1\n"
      "    reload = True\n"
      "else:\n"
      "    workers = 2\n"
      "if True: timeout = 99\n",
      Context({{"ENV", "dev"}}));
  EXPECT_EQ(Repr(r, "workers"), "1");
  EXPECT_EQ(Repr(r, "reload"), "True");
  EXPECT_EQ(Repr(r, "timeout"), "99");
  EXPECT_EQ(r.names.at("workers").line, 6);
}

TEST(EvaluatePythonConfig, UnknownConditionMakesEveryBranchAssignmentUnknown) {
  PythonConfigResult r = Eval(
      "import socket\n"
      "if socket.gethostname().startswith('web'):\n"
      "    workers = 8\n"
      "else:\n"
      "    threads = 2\n"
      "timeout = 10\n");
  EXPECT_NE(Repr(r, "workers").find("depends on `socket.gethostname().startswith('web')` (line 2)"), std::string::npos);
  EXPECT_NE(Repr(r, "threads").find("<unknown: depends on"), std::string::npos);
  EXPECT_EQ(Repr(r, "timeout"), "10");
}

TEST(EvaluatePythonConfig, LoopsTryAndFunctionsAreNotExecuted) {
  PythonConfigResult r = Eval(
      "try:\n"
      "    import gevent\n"
      "    worker_class = 'gevent'\n"
      "except ImportError:\n"
      "    worker_class = 'sync'\n"
      "for i in range(3):\n"
      "    workers = i\n"
      "def compute():\n"
      "    return 5\n"
      "max_requests = compute()\n"
      "def post_fork(server, worker):\n"
      "    server.log.info('forked')\n"
      "keepalive = lambda: 3\n");
  EXPECT_NE(Repr(r, "worker_class").find("<unknown: assigned inside a `"), std::string::npos);
  EXPECT_NE(Repr(r, "workers").find("<unknown: assigned inside a `for` block at line 6"), std::string::npos);
  EXPECT_EQ(Repr(r, "max_requests"), "<unknown: calls compute(), defined in the file; it is not executed>");
  EXPECT_EQ(r.names.at("post_fork").value.kind, PyValue::Kind::kFunction);
  EXPECT_NE(Repr(r, "keepalive").find("lambda"), std::string::npos);
  EXPECT_EQ(r.names.at("max_requests").expression, "compute()");
}

TEST(EvaluatePythonConfig, AssignmentForms) {
  PythonConfigResult r = Eval(
      "a = b = 4\n"
      "c, d = 1, 2\n"
      "timeout: int = 50\n"
      "workers = 2\n"
      "workers += 1\n"
      "workers *= 2\n"
      "bind = []\n"
      "bind.append('127.0.0.1:1')\n"
      "bind.extend(['unix:/s'])\n"
      "x = 1; y = 2\n"
      "raw_env = ['A=1']\n"
      "raw_env[0] = 'B=2'\n"
      "gone = 1\n"
      "del gone\n"
      "total = (1 +\n"
      "         2)\n"
      "cont = 1 + \\\n"
      "    2\n");
  EXPECT_EQ(Repr(r, "a"), "4");
  EXPECT_EQ(Repr(r, "b"), "4");
  EXPECT_EQ(Repr(r, "c"), "1");
  EXPECT_EQ(Repr(r, "d"), "2");
  EXPECT_EQ(Repr(r, "timeout"), "50");
  EXPECT_EQ(Repr(r, "workers"), "6");
  EXPECT_EQ(r.names.at("workers").line, 6);
  EXPECT_EQ(Repr(r, "bind"), "['127.0.0.1:1', 'unix:/s']");
  EXPECT_EQ(r.names.at("bind").line, 9);
  EXPECT_EQ(Repr(r, "y"), "2");
  EXPECT_EQ(Repr(r, "raw_env"), "<unknown: modified in place at line 12>");
  EXPECT_EQ(Repr(r, "gone"), "<absent>");
  EXPECT_EQ(Repr(r, "total"), "3");
  EXPECT_EQ(r.names.at("total").expression, "(1 + 2)");
  EXPECT_EQ(Repr(r, "cont"), "3");
}

TEST(EvaluatePythonConfig, EnvironAssignmentAffectsLaterLookups) {
  PythonConfigResult r = Eval(
      "import os\n"
      "os.environ['PORT'] = '7000'\n"
      "bind = '0.0.0.0:' + os.environ['PORT']\n");
  EXPECT_EQ(Repr(r, "bind"), "'0.0.0.0:7000'");
}

TEST(EvaluatePythonConfig, NameAndFileAreThoseGunicornSets) {
  PythonConfigResult r = Eval("if __name__ == '__config__':\n    workers = 5\nhere = __file__\n");
  EXPECT_EQ(Repr(r, "workers"), "5");
  EXPECT_EQ(Repr(r, "here"), "'/app/gunicorn.conf.py'");
  EXPECT_EQ(Repr(r, "__name__"), "<absent>");
}

TEST(EvaluatePythonConfig, ErrorsBecomeUnknownWithTheReason) {
  PythonConfigResult r = Eval(
      "a = 1 / 0\n"
      "b = undefined_name + 1\n"
      "c = 'x' + 1\n"
      "d = [i for i in range(3)]\n"
      "e = 99999999999999999999999\n"
      "f = 9223372036854775807 + 1\n"
      "g = int('abc')\n"
      "h = {1, 2}\n");
  EXPECT_EQ(Repr(r, "a"), "<unknown: ZeroDivisionError: division by zero>");
  EXPECT_EQ(Repr(r, "b"), "<unknown: name 'undefined_name' is not defined in the file>");
  EXPECT_EQ(Repr(r, "c"), "<unknown: TypeError: unsupported operand types for +: 'str' and 'int'>");
  EXPECT_NE(Repr(r, "d").find("comprehensions are not evaluated"), std::string::npos);
  EXPECT_NE(Repr(r, "e").find("is not evaluated"), std::string::npos);
  EXPECT_EQ(Repr(r, "f"), "<unknown: integer overflow>");
  EXPECT_NE(Repr(r, "g").find("ValueError"), std::string::npos);
  EXPECT_EQ(Repr(r, "h"), "<unknown: sets are not evaluated>");
}

TEST(EvaluatePythonConfig, DynamicNamespaceUseIsNoted) {
  PythonConfigResult r = Eval("globals().update({'workers': 9})\nfrom os import *\n");
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_NE(r.notes[0].find("line 1 calls globals()"), std::string::npos);
  EXPECT_NE(r.notes[1].find("from os import *"), std::string::npos);
}

TEST(EvaluatePythonConfig, StringsAndComments) {
  PythonConfigResult r = Eval(
      "# comment with 'quote\n"
      "a = 'it''s'  # trailing\n"
      "b = \"tab\\there\\n\"\n"
      "c = r'raw\\n'\n"
      "d = '''multi\n"
      "line'''\n"
      "e = b'bytes'\n"
      "f = '\\x41\\u00e9'\n");
  EXPECT_EQ(Repr(r, "a"), "'its'");
  EXPECT_EQ(r.names.at("b").value.text, "tab\there\n");
  EXPECT_EQ(r.names.at("c").value.text, "raw\\n");
  EXPECT_EQ(r.names.at("d").value.text, "multi\nline");
  EXPECT_EQ(Repr(r, "e"), "b'bytes'");
  EXPECT_EQ(r.names.at("f").value.text, "A\xc3\xa9");
}

TEST(EvaluatePythonConfig, SyntaxErrorsFailTheWholeFile) {
  EXPECT_FALSE(EvaluatePythonConfig("a = 'unterminated\n", Context()).ok());
  EXPECT_FALSE(EvaluatePythonConfig("a = (1,\n", Context()).ok());
  EXPECT_FALSE(EvaluatePythonConfig("a = 1)\n", Context()).ok());
  EXPECT_FALSE(EvaluatePythonConfig("a = $\n", Context()).ok());
}

TEST(EvaluatePythonConfig, HostileInputDoesNotBlowUp) {
  // Deep nesting, huge repetition and long lines are answered, not crashed on.
  std::string deep = "a = " + std::string(150, '(') + "1" + std::string(150, ')') + "\n";
  EXPECT_EQ(Repr(Eval(deep), "a"), "1");
  EXPECT_NE(Repr(Eval("a = 'x' * 100000000\n"), "a").find("too large"), std::string::npos);
  EXPECT_EQ(Repr(Eval("a = 2 ** 100\n"), "a"), "<unknown: integer overflow>");
  std::string long_line = "a = '" + std::string(1 << 20, 'x') + "'\n";
  EXPECT_EQ(Eval(long_line).names.at("a").value.text.size(), size_t{1} << 20);
}

TEST(EvaluatePythonConfig, ValuesThatDoubleLineAfterLineStopAtOneMebibyte) {
  // Each of these would ask for terabytes within a few lines.
  std::string repeat = "a = 'xxxx' * 4096\nb = a * 4096\n";
  PythonConfigResult r = Eval(repeat);
  EXPECT_EQ(r.names.at("a").value.text.size(), 16384u);
  EXPECT_NE(Repr(r, "b").find("larger than 1 MiB"), std::string::npos) << Repr(r, "b");
  for (const char* doubling :
       {"a += a\n", "a = a + a\n", "a = f'{a}{a}'\n", "a = '%s%s' % (a, a)\n", "a = '{}{}'.format(a, a)\n"}) {
    std::string source = "a = 'x' * 4096\n";
    for (int i = 0; i < 40; ++i) source += doubling;
    EXPECT_NE(Repr(Eval(source), "a").find("larger than 1 MiB"), std::string::npos) << doubling;
  }
  // A list of 2**14 values is half a MiB as the evaluator counts (32 per
  // value); the 15th doubling would pass 1 MiB.
  std::string extend = "a = [1]\n";
  for (int i = 0; i < 14; ++i) extend += "a.extend(a)\n";
  EXPECT_EQ(Eval(extend).names.at("a").value.items.size(), 16384u);
  extend += "a.extend(a)\n";
  EXPECT_NE(Repr(Eval(extend), "a").find("larger than 1 MiB"), std::string::npos);
}

TEST(EvaluatePythonConfig, CopyingLargeValuesOverAndOverStopsBeingEvaluated) {
  // b is just under 1 MiB; copying it eight times reaches the 8 MiB the
  // evaluator spends on one file.
  std::string source = "a = 'x' * 4096\nb = a * 250\n";
  for (int i = 1; i <= 9; ++i) source += absl::StrCat("c", i, " = b\n");
  PythonConfigResult r = Eval(source);
  EXPECT_EQ(r.names.at("c1").value.text.size(), 4096u * 250);
  EXPECT_EQ(r.names.at("c7").value.text.size(), 4096u * 250);
  EXPECT_NE(Repr(r, "c9").find("more than 8 MiB of values"), std::string::npos) << Repr(r, "c9");
}

}  // namespace
}  // namespace corral::gunicorn
