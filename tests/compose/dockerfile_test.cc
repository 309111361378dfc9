#include "compose/dockerfile.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corral::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

DockerfileSource Source(const std::string& content) {
  DockerfileSource source;
  source.path = "Dockerfile";
  source.content = content;
  return source;
}

TEST(DockerfileEvaluator, LastStageInheritsEnvAndTakesExecFormCmd) {
  const DockerfileSource source = Source(
      "FROM python:3.12-slim AS base\n"
      "ENV APP_HOME=/app\n"
      "\n"
      "FROM base\n"
      "CMD [\"gunicorn\", \"app:app\"]\n");
  std::vector<std::string> warnings;

  std::optional<ImageFacts> facts = DockerfileEvaluator("api", source, &warnings).Run();

  ASSERT_TRUE(facts.has_value());
  EXPECT_EQ(facts->base_image, "python:3.12-slim");
  EXPECT_FALSE(facts->entrypoint.has_value());
  ASSERT_TRUE(facts->cmd.has_value());
  EXPECT_THAT(facts->cmd->argv, ElementsAre("gunicorn", "app:app"));
  EXPECT_EQ(facts->cmd->origin, "Dockerfile:5");
  EXPECT_EQ(facts->cmd->declared_by, "dockerfile");
  ASSERT_EQ(facts->env.count("APP_HOME"), 1u);
  EXPECT_EQ(facts->env.at("APP_HOME").value, "/app");
  EXPECT_EQ(facts->env.at("APP_HOME").origin, "Dockerfile:2");
  EXPECT_EQ(facts->env.at("APP_HOME").declared_by, "dockerfile");
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(DockerfileEvaluator, ShellFormCmdRunsThroughTheDeclaredShell) {
  const DockerfileSource source = Source(
      "FROM python:3.12\n"
      "SHELL [\"/bin/bash\", \"-c\"]\n"
      "CMD gunicorn --workers 4 app:app\n");
  std::vector<std::string> warnings;

  std::optional<ImageFacts> facts = DockerfileEvaluator("api", source, &warnings).Run();

  ASSERT_TRUE(facts.has_value() && facts->cmd.has_value());
  EXPECT_THAT(facts->cmd->argv, ElementsAre("/bin/bash", "-c", "gunicorn --workers 4 app:app"));
}

TEST(DockerfileEvaluator, EntrypointResetsCmdInheritedFromParentStage) {
  const DockerfileSource source = Source(
      "FROM python:3.12 AS base\n"
      "CMD [\"gunicorn\", \"app:app\"]\n"
      "FROM base\n"
      "ENTRYPOINT [\"tini\", \"--\"]\n");
  std::vector<std::string> warnings;

  std::optional<ImageFacts> facts = DockerfileEvaluator("api", source, &warnings).Run();

  ASSERT_TRUE(facts.has_value() && facts->entrypoint.has_value() && facts->cmd.has_value());
  EXPECT_THAT(facts->entrypoint->argv, ElementsAre("tini", "--"));
  EXPECT_THAT(facts->cmd->argv, IsEmpty());
  EXPECT_EQ(facts->cmd->origin, "Dockerfile:4");
}

TEST(DockerfileEvaluator, TargetSelectsStageRegardlessOfCase) {
  DockerfileSource source = Source(
      "FROM python:3.12 AS dev\n"
      "CMD [\"flask\", \"run\"]\n"
      "FROM python:3.12 AS prod\n"
      "CMD [\"gunicorn\", \"app:app\"]\n");
  source.target = "DEV";
  std::vector<std::string> warnings;

  std::optional<ImageFacts> facts = DockerfileEvaluator("api", source, &warnings).Run();

  ASSERT_TRUE(facts.has_value() && facts->cmd.has_value());
  EXPECT_THAT(facts->cmd->argv, ElementsAre("flask", "run"));
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(DockerfileEvaluator, BuildArgWinsOverArgDefaultInEnv) {
  const std::string content =
      "ARG PORT=8000\n"
      "FROM scratch\n"
      "ARG PORT\n"
      "ENV BIND=0.0.0.0:${PORT}\n";
  const DockerfileSource by_default = Source(content);
  DockerfileSource by_build_arg = Source(content);
  by_build_arg.build_args["PORT"] = "9000";
  std::vector<std::string> warnings;

  std::optional<ImageFacts> defaulted = DockerfileEvaluator("api", by_default, &warnings).Run();
  std::optional<ImageFacts> overridden = DockerfileEvaluator("api", by_build_arg, &warnings).Run();

  ASSERT_TRUE(defaulted.has_value() && overridden.has_value());
  EXPECT_EQ(defaulted->env.at("BIND").value, "0.0.0.0:8000");
  EXPECT_EQ(overridden->env.at("BIND").value, "0.0.0.0:9000");
}

TEST(DockerfileEvaluator, HeredocBodiesAndContinuationsAreNotInstructions) {
  DockerfileSource source = Source(
      "FROM python:3.12\n"
      "RUN <<EOF\n"
      "CMD [\"not\", \"an\", \"instruction\"]\n"
      "EOF\n"
      "CMD [\"gunicorn\", \\\n"
      "     \"app:app\"]\n");
  source.path = "compose.yaml";
  source.line_offset = 10;
  std::vector<std::string> warnings;

  std::optional<ImageFacts> facts = DockerfileEvaluator("api", source, &warnings).Run();

  ASSERT_TRUE(facts.has_value() && facts->cmd.has_value());
  EXPECT_THAT(facts->cmd->argv, ElementsAre("gunicorn", "app:app"));
  EXPECT_EQ(facts->cmd->origin, "compose.yaml:15");
}

TEST(DockerfileEvaluator, EnvWithUnknownVariableIsLeftOutWithWarning) {
  const DockerfileSource source = Source(
      "FROM python:3.12\n"
      "ENV WORKERS=4\n"
      "ENV WORKERS=${CPU_COUNT}\n");
  std::vector<std::string> warnings;

  std::optional<ImageFacts> facts = DockerfileEvaluator("api", source, &warnings).Run();

  ASSERT_TRUE(facts.has_value());
  EXPECT_EQ(facts->env.count("WORKERS"), 0u);
  EXPECT_THAT(warnings, ElementsAre("Dockerfile:3: api: ENV WORKERS: variable CPU_COUNT is not set and has no default "
                                    "in this Dockerfile (a base image may set it); not imported"));
}

TEST(DockerfileEvaluator, NoFromIsNotInterpreted) {
  const DockerfileSource source = Source("# only a comment\nCMD [\"gunicorn\"]\n");
  std::vector<std::string> warnings;

  std::optional<ImageFacts> facts = DockerfileEvaluator("api", source, &warnings).Run();

  EXPECT_FALSE(facts.has_value());
  EXPECT_THAT(warnings, ElementsAre("Dockerfile:1: api: no FROM instruction; the Dockerfile is not interpreted"));
}

}  // namespace
}  // namespace corral::compose
