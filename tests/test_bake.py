"""Baking the template: the files, the answers, the rendering and the project's own lint."""

import json
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException

from .conftest import TEMPLATE_DIR, jinja_leftovers, ruff

TEMPLATE_KEYS = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
EXPECTED_FILES = [
    "README.md",
    "LICENSE",
    "pyproject.toml",
    "Makefile",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".github/workflows/tests.yml",
    "configs/config.yaml",
    "configs/debug/fast_dev_run.yaml",
    "configs/debug/overfit.yaml",
    "configs/debug/limit_batches.yaml",
    "configs/debug/profiler.yaml",
    "configs/trainer/cpu.yaml",
    "configs/trainer/gpu.yaml",
    "configs/trainer/ddp.yaml",
    "configs/trainer/ddp_cpu.yaml",
    "src/lightning_project/__init__.py",
    "src/lightning_project/__main__.py",
    "src/lightning_project/cli.py",
    "src/lightning_project/net.py",
    "src/lightning_project/model.py",
    "src/lightning_project/data.py",
    "src/lightning_project/callbacks.py",
    "src/lightning_project/errors.py",
    "src/lightning_project/memory.py",
    "src/lightning_project/atomic.py",
    "tests/conftest.py",
    "tests/test_training.py",
    "tests/test_cli.py",
    "tests/test_checkpoints.py",
    "tests/test_bad_input.py",
    "tests/test_memory.py",
    "tests/test_atomic.py",
    "tests/test_tensorboard.py",
]
# Files that belong to options the default answers do not choose.
NOT_IN_DEFAULT = [
    "tests/test_csv_logger.py",
    "tests/test_plateau.py",
    "tests/test_compile.py",
    "tests/test_weight_histograms.py",
    "tests/test_figures.py",
    "src/lightning_project/weight_histograms.py",
    "src/lightning_project/figures.py",
    "licenses",
    "src/lightning_project/variants",
]


def test_default_bake_holds_the_expected_files(default_project):
    assert default_project.name == "lightning-project"
    missing = [name for name in EXPECTED_FILES if not (default_project / name).is_file()]
    assert not missing
    assert not [name for name in NOT_IN_DEFAULT if (default_project / name).exists()]


def test_every_answer_key_reaches_the_context(cookies):
    result = cookies.bake(extra_context={"project_name": "Digit Reader", "license": "none"})
    assert result.exit_code == 0, result.exception
    prompted = {key for key in TEMPLATE_KEYS if not key.startswith("_")}
    assert prompted <= set(result.context)
    assert (result.context["project_slug"], result.context["package_name"]) == ("digit-reader", "digit_reader")
    assert result.project_path.name == "digit-reader"
    assert (result.project_path / "src" / "digit_reader" / "cli.py").is_file()


def test_every_prompted_key_has_a_question():
    prompted = {key for key in TEMPLATE_KEYS if not key.startswith("_")}
    assert prompted == set(TEMPLATE_KEYS["__prompts__"])


def test_no_jinja_is_left_in_any_file(default_project):
    assert jinja_leftovers(default_project) == []


def test_rendered_project_is_ruff_clean(default_project):
    check = ruff("check", ".", project=default_project)
    assert check.returncode == 0, check.stdout
    fmt = ruff("format", "--check", ".", project=default_project)
    assert fmt.returncode == 0, fmt.stdout


def test_pyproject_declares_what_the_project_needs(default_project):
    pyproject = tomllib.loads((default_project / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert project["name"] == "lightning-project"
    assert project["requires-python"] == ">=3.10"
    dependencies = " ".join(project["dependencies"])
    for requirement in (
        "torch>=2.1",
        "pytorch-lightning>=2.6.6",
        "torchmetrics",
        "tensorboard",
        "jsonargparse[signatures]",
    ):
        assert requirement in dependencies
    assert {"pytest", "ruff"} <= {dep.split(">")[0] for dep in project["optional-dependencies"]["dev"]}
    assert project["scripts"] == {"lightning-project": "lightning_project.cli:main"}


@pytest.mark.parametrize(
    ("license_name", "first_line"),
    [("MIT", "MIT License"), ("Apache-2.0", "Apache License"), ("BSD-3-Clause", "BSD 3-Clause License")],
)
def test_license_file_matches_the_choice(cookies, license_name, first_line):
    result = cookies.bake(extra_context={"license": license_name, "author_name": "Ada Lovelace"})
    assert result.exit_code == 0, result.exception
    text = (result.project_path / "LICENSE").read_text()
    assert text.strip().splitlines()[0].strip() == first_line
    assert "Ada Lovelace" in text
    assert tomllib.loads((result.project_path / "pyproject.toml").read_text())["project"]["license"] == license_name
    assert not (result.project_path / "licenses").exists()


def test_no_license_leaves_no_license_behind(cookies):
    result = cookies.bake(extra_context={"license": "none"})
    assert result.exit_code == 0, result.exception
    assert not (result.project_path / "LICENSE").exists()
    assert "license" not in tomllib.loads((result.project_path / "pyproject.toml").read_text())["project"]
    assert "## License" not in (result.project_path / "README.md").read_text()


@pytest.mark.parametrize("python_version", TEMPLATE_KEYS["python_version"])
def test_python_version_sets_requires_python_and_ruff_target(cookies, python_version):
    result = cookies.bake(extra_context={"python_version": python_version})
    assert result.exit_code == 0, result.exception
    pyproject = tomllib.loads((result.project_path / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={python_version}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + python_version.replace(".", "")
    assert f'python-version: "{python_version}"' in (result.project_path / ".github/workflows/tests.yml").read_text()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"package_name": "class"}, "is a Python keyword"),
        ({"package_name": "torch"}, "would shadow a module"),
        ({"package_name": "tests"}, "is the name of one of the project's own folders"),
        ({"package_name": "2fast"}, "is not an importable name"),
        ({"project_slug": "My Project", "package_name": "my_project"}, "is not a valid folder and distribution name"),
        ({"author_email": "nobody"}, "is not a plain e-mail address"),
    ],
    ids=["keyword", "shadows-torch", "shadows-tests", "leading-digit", "slug-with-space", "bad-email"],
)
def test_bad_answers_are_refused_with_one_clear_line(cookies, tmpdir, capfd, answers, message):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code != 0
    assert isinstance(result.exception, FailedHookException)
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1
    assert message in errors[0]
    # pytest-cookies bakes into tmpdir/cookies/bakeNN: nothing may be left there.
    assert [path for path in Path(tmpdir, "cookies").rglob("*") if path.is_file()] == []


def test_ci_workflow_parses_and_runs_the_readme_commands(default_project):
    workflow = yaml.safe_load((default_project / ".github/workflows/tests.yml").read_text())
    commands = "\n".join(step.get("run", "") for step in workflow["jobs"]["test"]["steps"])
    readme = (default_project / "README.md").read_text()
    for command in ('pip install -e ".[dev]"', "pytest", "ruff check .", "ruff format --check ."):
        assert command in commands
    assert 'pip install -e ".[dev]"' in readme
    assert "--index-url https://download.pytorch.org/whl/cpu" in commands


def test_makefile_and_pre_commit_use_the_project_environment(default_project):
    makefile = (default_project / "Makefile").read_text()
    for target in ("install:", "test:", "lint:", "train:"):
        assert target in makefile
    hooks = yaml.safe_load((default_project / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in hooks["repos"]] == ["local"]
    assert {hook["entry"].split()[0] for hook in hooks["repos"][0]["hooks"]} == {"ruff"}
