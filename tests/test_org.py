"""An organisation's use of the template: pinned releases, its own defaults, replayed answers, cruft updates.

Also the rendered project's own tooling that such an organisation relies on: the CI choice, the
Dockerfile and the offline pre-commit hooks. Everything runs the tools' command lines, as a user would.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import TEMPLATE_DIR, run

BIN = Path(sys.executable).parent
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.org",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.org",
}
# What the rendered README and Makefile tell a developer to run; CI must run the same.
INSTALL = ["pip install torch --index-url https://download.pytorch.org/whl/cpu", 'pip install -e ".[dev]"']
CHECKS = ["ruff check .", "ruff format --check .", "pytest"]


def template_version() -> str:
    return json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["_template_version"]


def render(config: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    """`cookiecutter --config-file CONFIG [ARGS] TEMPLATE -o OUT [key=value...]`, as a user types it."""
    options = [arg for arg in args if arg.startswith("--")]
    answers = [arg for arg in args if not arg.startswith("--")]
    command = [sys.executable, "-m", "cookiecutter", "--config-file", config, *options, TEMPLATE_DIR, "-o", out]
    return run(*command, *answers, cwd=out.parent)


def pyproject(project: Path) -> dict:
    return tomllib.loads((project / "pyproject.toml").read_text())


def test_the_release_is_recorded_in_the_project_and_the_changelog(default_project: Path) -> None:
    version = template_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert pyproject(default_project)["tool"]["lightning-template"]["version"] == version
    assert version in (default_project / "README.md").read_text()
    # Release headings are `## X.Y.Z`, or `## X.Y.Z - YYYY-MM-DD` from `make release`; Unreleased is not one.
    heading = r"^## (\d+\.\d+\.\d+)(?: - \d{4}-\d{2}-\d{2})?$"
    releases = re.findall(heading, (TEMPLATE_DIR / "CHANGELOG.md").read_text(), flags=re.MULTILINE)
    assert releases[0] == version, "the newest CHANGELOG section must be the version in cookiecutter.json"


@pytest.fixture
def org_config(tmp_path: Path) -> Path:
    """An organisation's cookiecutter user config: its defaults, and a replay folder of its own."""
    config = {
        "default_context": {
            "author_name": "Vision Team",
            "author_email": "vision@example.org",
            "license": "Apache-2.0",
            "logger_csv": True,
            "callback_lr_monitor": True,
            "ci": "gitlab",
        },
        "replay_dir": str(tmp_path / "replay"),
    }
    path = tmp_path / "org-cookiecutterrc.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_organisation_defaults_apply_and_the_command_line_wins(org_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = render(org_config, out, "--no-input")
    assert result.returncode == 0, result.stderr
    project = out / "lightning-project"
    assert pyproject(project)["project"]["authors"] == [{"name": "Vision Team", "email": "vision@example.org"}]
    assert "Apache License" in (project / "LICENSE").read_text()
    config = (project / "configs" / "config.yaml").read_text()
    assert "CSVLogger" in config and "LearningRateMonitor" in config
    assert (project / ".gitlab-ci.yml").is_file() and not (project / ".github").exists()

    answers = ["license=BSD-3-Clause", "author_name=Robotics Team", "project_name=Arm Control"]
    result = render(org_config, out, "--no-input", *answers)
    assert result.returncode == 0, result.stderr
    project = out / "arm-control"
    assert pyproject(project)["project"]["authors"] == [{"name": "Robotics Team", "email": "vision@example.org"}]
    assert "BSD 3-Clause" in (project / "LICENSE").read_text()


def test_replay_renders_the_last_answers_again(org_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    answers = ["project_name=Shelf Scanner", "task=tabular_classification", "data_source=digits"]
    first = render(org_config, out, "--no-input", *answers)
    assert first.returncode == 0, first.stderr
    rendered = {path.relative_to(out): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}
    shutil.rmtree(out)

    again = render(org_config, out, "--replay")
    assert again.returncode == 0, again.stderr
    assert {path.relative_to(out): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()} == rendered
    assert (out / "shelf-scanner" / "src" / "shelf_scanner" / "data.py").read_text().count("DigitsDataModule") > 0


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = run("git", *args, cwd=cwd, env={**os.environ, **GIT_IDENTITY})
    assert result.returncode == 0, result.stderr
    return result


def template_repository(path: Path) -> Path:
    """This template as an organisation's git repository, at one commit."""
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", "results")
    shutil.copytree(TEMPLATE_DIR, path, ignore=ignore)
    git("init", "-q", cwd=path)
    git("add", "-A", cwd=path)
    git("commit", "-qm", "release 1", cwd=path)
    return path


def test_checkout_renders_a_tagged_release(org_config: Path, tmp_path: Path) -> None:
    template = template_repository(tmp_path / "template")
    git("tag", "v1.0.0", cwd=template)
    config = template / "cookiecutter.json"
    config.write_text(config.read_text().replace(f'"{template_version()}"', '"2.0.0"'))
    git("commit", "-qam", "release 2", cwd=template)
    cache = yaml.safe_load(org_config.read_text()) | {"cookiecutters_dir": str(tmp_path / "cache")}
    org_config.write_text(yaml.safe_dump(cache))

    url = f"git+file://{template}"  # the git+ prefix tells cookiecutter to clone, as for gh:ORG/REPO
    for checkout, version in (("v1.0.0", template_version()), ("HEAD", "2.0.0")):
        out = tmp_path / checkout
        command = [sys.executable, "-m", "cookiecutter", "--config-file", org_config, "--no-input"]
        result = run(*command, url, "--checkout", checkout, "-o", out, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert pyproject(out / "lightning-project")["tool"]["lightning-template"]["version"] == version


def test_cruft_update_brings_template_changes_and_keeps_the_projects_own(tmp_path: Path) -> None:
    # The template as an organisation's repository: one commit, from which a project is created.
    template = template_repository(tmp_path / "template")
    cruft = BIN / "cruft"
    created = run(cruft, "create", "--no-input", template, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "lightning-project"
    assert json.loads((project / ".cruft.json").read_text())["template"] == str(template)

    # The team commits the project and edits it.
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "rendered", cwd=project)
    with (project / "README.md").open("a") as readme:
        readme.write("\nOur own notes.\n")
    git("commit", "-qam", "own notes", cwd=project)
    assert run(cruft, "check", cwd=project).returncode == 0

    # The template moves on: a new Makefile target and a new release number.
    with (template / "{{cookiecutter.project_slug}}" / "Makefile").open("a") as makefile:
        makefile.write("\ncheck:  ## Lint, then test\n\truff check .\n\tpytest\n")
    config = template / "cookiecutter.json"
    config.write_text(config.read_text().replace(f'"{template_version()}"', '"99.0.0"'))
    git("commit", "-qam", "release 2", cwd=template)

    check = run(cruft, "check", cwd=project)
    assert check.returncode != 0 and "out of date" in check.stdout
    updated = run(cruft, "update", "--skip-apply-ask", cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "check:  ## Lint, then test" in (project / "Makefile").read_text()
    assert (project / "README.md").read_text().endswith("Our own notes.\n")
    assert pyproject(project)["tool"]["lightning-template"]["version"] == "99.0.0"
    assert run(cruft, "check", cwd=project).returncode == 0


@pytest.mark.parametrize("ci", ["github", "gitlab", "none"])
def test_ci_runs_the_commands_the_readme_gives(cookies, ci: str) -> None:
    result = cookies.bake(extra_context={"ci": ci})
    assert result.exit_code == 0, result.exception
    project = result.project_path
    workflow, gitlab = project / ".github" / "workflows" / "tests.yml", project / ".gitlab-ci.yml"
    assert (workflow.is_file(), gitlab.is_file()) == (ci == "github", ci == "gitlab")
    if ci == "none":
        assert not (project / ".github").exists()
        return
    if ci == "github":
        steps = yaml.safe_load(workflow.read_text())["jobs"]["test"]["steps"]
        commands = [line.strip() for step in steps if "run" in step for line in step["run"].splitlines()]
    else:
        commands = yaml.safe_load(gitlab.read_text())["test"]["script"]
    assert commands == [*INSTALL, *CHECKS]
    readme, makefile = (project / "README.md").read_text(), (project / "Makefile").read_text()
    assert all(command in readme for command in INSTALL)
    assert all(f"\t{command}\n" in makefile for command in CHECKS)


@pytest.mark.parametrize("license_name", ["MIT", "none"])
def test_dockerfile_installs_the_project_as_the_readme_does(cookies, license_name: str) -> None:
    assert not (cookies.bake().project_path / "Dockerfile").exists()
    result = cookies.bake(extra_context={"dockerfile": True, "license": license_name, "python_version": "3.12"})
    assert result.exit_code == 0, result.exception
    project = result.project_path
    dockerfile = (project / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.12-slim\nFROM ${BASE_IMAGE}" in dockerfile
    assert "--build-arg BASE_IMAGE=pytorch/pytorch:" in dockerfile  # the CUDA base, as a build argument
    runs = re.findall(r"^RUN (.+)$", dockerfile, flags=re.MULTILINE)
    assert runs == ['pip install torch --index-url "${TORCH_INDEX}"', INSTALL[1]]
    for sources in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.MULTILINE):
        assert all((project / source).exists() for source in sources.split()), sources
    assert (project / ".dockerignore").is_file()
    assert "docker build" in (project / "README.md").read_text()


def test_pre_commit_runs_offline_on_a_rendered_project(default_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(default_project, project, ignore=shutil.ignore_patterns("logs", "data", "predictions"))
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",  # the ruff that `pip install -e ".[dev]"` brings
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }
    result = run(sys.executable, "-m", "pre_commit", "run", "--all-files", cwd=project, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"ruff check\.+Passed", result.stdout) and re.search(r"ruff format\.+Passed", result.stdout)
