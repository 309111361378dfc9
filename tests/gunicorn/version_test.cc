#include "gunicorn/version.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace corral::gunicorn {
namespace {

// A master's filesystem as literal files; directories are implied by them.
class FakeFiles {
 public:
  FakeFiles& Add(const std::string& path, const std::string& content = "") {
    files_[path] = content;
    return *this;
  }

  MasterFiles View() const {
    MasterFiles view;
    view.is_file = [this](const std::string& p) { return files_.count(p) > 0; };
    view.is_dir = [this](const std::string& p) {
      for (const auto& [path, content] : files_) {
        if (absl::StartsWith(path, p + "/")) return true;
      }
      return false;
    };
    view.list_dir = [this](const std::string& dir) -> absl::StatusOr<std::vector<std::string>> {
      std::set<std::string> names;
      for (const auto& [path, content] : files_) {
        if (!absl::StartsWith(path, dir + "/")) continue;
        std::string rest = path.substr(dir.size() + 1);
        names.insert(rest.substr(0, rest.find('/')));
      }
      if (names.empty()) return absl::NotFoundError(dir);
      return std::vector<std::string>(names.begin(), names.end());
    };
    view.read_file = [this](const std::string& p) -> absl::StatusOr<std::string> {
      auto it = files_.find(p);
      if (it == files_.end()) return absl::NotFoundError(p);
      return it->second;
    };
    return view;
  }

 private:
  std::map<std::string, std::string> files_;
};

std::string InitPy(const std::string& tuple) {
  return absl::StrCat("# comment\n\nversion_info = (", tuple,
                      ")\n__version__ = \".\".join([str(v) for v in version_info])\n");
}

InterpreterFacts DebianScript() {
  InterpreterFacts facts;
  facts.argv = {"/usr/bin/python3", "/usr/bin/gunicorn", "-w", "3", "app:app"};
  facts.launcher = "python script";
  facts.exe = "/usr/bin/python3.11";
  facts.environ = Environ{{"PATH", "/usr/bin"}, {"HOME", "/root"}};
  facts.start_dir = "/srv/app";
  return facts;
}

TEST(DetectRelease, DebianPackageFromItsInitPy) {
  FakeFiles files;
  files.Add("/usr/lib/python3/dist-packages/gunicorn/__init__.py", InitPy("20, 1, 0"));
  DetectedRelease found = DetectRelease(DebianScript(), files.View());
  ASSERT_TRUE(found.release.has_value());
  EXPECT_EQ(*found.release, (Release{20, 1, 0}));
  EXPECT_EQ(found.text, "20.1.0");
  EXPECT_EQ(found.evidence, "/usr/lib/python3/dist-packages/gunicorn/__init__.py");
  EXPECT_EQ(found.note, "");
}

TEST(DetectRelease, PythonpathComesBeforeSitePackages) {
  FakeFiles files;
  files.Add("/usr/lib/python3/dist-packages/gunicorn/__init__.py", InitPy("20, 1, 0"))
      .Add("/opt/g26/gunicorn/__init__.py", InitPy("26, 2, 2"));
  InterpreterFacts facts = DebianScript();
  facts.environ->push_back({"PYTHONPATH", "/nowhere:/opt/g26/"});
  DetectedRelease found = DetectRelease(facts, files.View());
  EXPECT_EQ(found.text, "26.2.2");
  EXPECT_EQ(found.evidence, "/opt/g26/gunicorn/__init__.py");
}

TEST(DetectRelease, PythonDashMSearchesTheWorkingDirectoryFirst) {
  FakeFiles files;
  files.Add("/usr/local/lib/python3.12/site-packages/gunicorn/__init__.py", InitPy("23, 0, 0"))
      .Add("/srv/app/gunicorn/__init__.py", InitPy("25, 1, 0"));
  InterpreterFacts facts;
  facts.argv = {"python3", "-m", "gunicorn", "app:app"};
  facts.launcher = "python -m gunicorn";
  facts.exe = "/usr/local/bin/python3.12";
  facts.environ = Environ{};
  facts.start_dir = "/srv/app";
  EXPECT_EQ(DetectRelease(facts, files.View()).text, "25.1.0");
}

TEST(DetectRelease, OfficialPythonImageSitePackages) {
  FakeFiles files;
  files.Add("/usr/local/lib/python3.12/site-packages/gunicorn/__init__.py", InitPy("23, 0, 0"));
  InterpreterFacts facts;
  facts.argv = {"/usr/local/bin/python3.12", "/usr/local/bin/gunicorn", "app:app"};
  facts.launcher = "python script";
  facts.exe = "/usr/local/bin/python3.12";
  facts.environ = Environ{};
  EXPECT_EQ(DetectRelease(facts, files.View()).text, "23.0.0");
}

TEST(DetectRelease, VirtualenvNamedByArgvBeatsTheSystem) {
  FakeFiles files;
  files.Add("/usr/lib/python3/dist-packages/gunicorn/__init__.py", InitPy("20, 1, 0"))
      .Add("/opt/venv/pyvenv.cfg", "home = /usr/bin\n")
      .Add("/opt/venv/lib/python3.11/site-packages/gunicorn/__init__.py", InitPy("24, 1, 1"));
  InterpreterFacts facts;
  facts.argv = {"/opt/venv/bin/python3", "/opt/venv/bin/gunicorn", "app:app"};
  facts.launcher = "python script";
  facts.exe = "/usr/bin/python3.11";  // /proc/PID/exe resolves the venv's symlink
  facts.environ = Environ{};
  EXPECT_EQ(DetectRelease(facts, files.View()).text, "24.1.1");
}

TEST(DetectRelease, ErasedArgvFindsTheVirtualenvThroughMappedExtensions) {
  FakeFiles files;
  files.Add("/usr/lib/python3/dist-packages/gunicorn/__init__.py", InitPy("20, 1, 0"))
      .Add("/opt/venv/lib/python3.11/site-packages/gunicorn/__init__.py", InitPy("26, 2, 2"));
  InterpreterFacts facts;
  facts.launcher = "title";
  facts.exe = "/usr/bin/python3.11";
  facts.environ_unknown_reason = "setproctitle erased the environment";
  facts.mapped_files = {"/usr/bin/python3.11",
                        "/opt/venv/lib/python3.11/site-packages/_setproctitle.cpython-311-x86_64-linux-gnu.so"};
  DetectedRelease found = DetectRelease(facts, files.View());
  EXPECT_EQ(found.text, "26.2.2");
  // The environment is gone: a PYTHONPATH there could have chosen another.
  EXPECT_NE(found.note.find("setproctitle erased the environment"), std::string::npos);
  EXPECT_NE(found.note.find("PYTHONPATH"), std::string::npos);
}

TEST(DetectRelease, DistInfoWhenInitPyNamesNoRelease) {
  FakeFiles files;
  files.Add("/usr/lib/python3/dist-packages/gunicorn/__init__.py", "from .v import *\n")
      .Add("/usr/lib/python3/dist-packages/gunicorn-23.0.0.dist-info/METADATA",
           "Metadata-Version: 2.1\nName: gunicorn\nVersion: 23.0.0\n\nVersion: 1.0 in the body\n");
  DetectedRelease found = DetectRelease(DebianScript(), files.View());
  EXPECT_EQ(found.text, "23.0.0");
  EXPECT_EQ(found.evidence, "/usr/lib/python3/dist-packages/gunicorn-23.0.0.dist-info/METADATA");
}

TEST(DetectRelease, NothingFoundIsUnknownAndSaysWhereItLooked) {
  FakeFiles files;
  DetectedRelease found = DetectRelease(DebianScript(), files.View());
  EXPECT_FALSE(found.release.has_value());
  EXPECT_EQ(found.text, "");
  EXPECT_NE(found.note.find("no gunicorn package in /usr/bin, /usr/local/lib/python3.11/dist-packages"),
            std::string::npos);
}

TEST(DetectRelease, UnknownInterpreterIsUnknown) {
  InterpreterFacts facts;
  facts.launcher = "title";
  DetectedRelease found = DetectRelease(facts, FakeFiles().View());
  EXPECT_FALSE(found.release.has_value());
  EXPECT_EQ(found.note, "the interpreter and its search path are unknown");
}

TEST(ReleaseFromInitPy, ReadsTupleAndStringForms) {
  std::string text;
  EXPECT_EQ(ReleaseFromInitPy("version_info = (26, 2, 2)\n", &text), (Release{26, 2, 2}));
  EXPECT_EQ(text, "26.2.2");
  EXPECT_EQ(ReleaseFromInitPy("__version__ = '21.2.0'\n", &text), (Release{21, 2, 0}));
  EXPECT_EQ(text, "21.2.0");
  EXPECT_EQ(ReleaseFromInitPy("version_info = (x, 1)\n", &text), std::nullopt);
  EXPECT_EQ(ReleaseFromInitPy("", &text), std::nullopt);
}

TEST(ReleaseFromMetadata, OnlyTheHeaderCounts) {
  std::string text;
  EXPECT_EQ(ReleaseFromMetadata("Name: gunicorn\nVersion: 22.0.0\n", &text), (Release{22, 0, 0}));
  EXPECT_EQ(ReleaseFromMetadata("Name: gunicorn\n\nVersion: 22.0.0\n", &text), std::nullopt);
}

}  // namespace
}  // namespace corral::gunicorn
