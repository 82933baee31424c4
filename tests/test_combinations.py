"""Every supported answer set renders a clean project; every unsupported one is refused; a covering subset runs."""

import ast
import itertools
import re
import sys
import tomllib
from pathlib import Path

import pytest

from .combinations import (
    COMMAND_TESTS,
    FILES,
    INSTALLED,
    INSTALLED_COMMAND_TESTS,
    INVALID_VALUES,
    KEYS,
    SUPPORTED,
    TEMPLATE,
    adapted,
    answer_set_id,
    default,
    kept,
    options,
    refused,
)
from .conftest import jinja_leftovers, ruff, run
from .environments import install_project

# Distribution name -> the module it installs, for the "imports only what it declares" check.
IMPORT_NAMES = {
    "torch": "torch",
    "pytorch-lightning": "pytorch_lightning",
    "torchmetrics": "torchmetrics",
    "tensorboard": "tensorboard",
    "jsonargparse": "jsonargparse",
    "rich": "rich",
    "pytest": "pytest",
    "pyyaml": "yaml",
    "scikit-learn": "sklearn",
    "pillow": "PIL",
    "pandas": "pandas",
    "numpy": "numpy",
    "wandb": "wandb",
    "mlflow-skinny": "mlflow",
    "matplotlib": "matplotlib",
    "optuna": "optuna",
    "onnxruntime": "onnxruntime",
}


def misplaced_option_files(project: Path, answers: dict, package: str) -> list[str]:
    """Files of cookiecutter.json's `_files` (and the figures variant) that are missing although chosen, or
    present although not."""
    expected = [(name, kept(answers, entry)) for entry in FILES for name in entry["files"]]
    expected.append(("src/{package}/figures.py", answers["callback_figures"]))
    return [
        name
        for name, present in ((name.format(package=package), present) for name, present in expected)
        if (project / name).is_file() != present
    ]


def declared_modules(project: Path) -> set[str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    requirements = pyproject["dependencies"] + [
        dep for deps in pyproject["optional-dependencies"].values() for dep in deps
    ]
    names = {re.match(r"[A-Za-z0-9_.-]+", requirement).group().lower() for requirement in requirements}
    return {IMPORT_NAMES[name] for name in names if name in IMPORT_NAMES}


def imported_modules(project: Path) -> set[str]:
    modules = set()
    for path in [*project.glob("src/**/*.py"), *project.glob("tests/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules


def test_supported_sets_cover_every_value_and_every_pair_that_can_meet():
    ml_keys = [key for key in TEMPLATE if key in KEYS]
    assert ml_keys == list(KEYS), "a new prompt must be added to tests/combinations.py"
    assert SUPPORTED[0] == {key: default(key) for key in KEYS}, "the first set is the default"
    missing = []
    for key_a, key_b in itertools.combinations(KEYS, 2):
        for value_a, value_b in itertools.product(options(key_a), options(key_b)):
            pair = {key_a: value_a, key_b: value_b}
            if refused(pair) or adapted(pair):
                continue
            if not any(answers[key_a] == value_a and answers[key_b] == value_b for answers in SUPPORTED):
                missing.append(pair)
    assert missing == []
    assert not [answers for answers in SUPPORTED if refused(answers) or adapted(answers)]
    assert len({answer_set_id(answers) for answers in SUPPORTED}) == len(SUPPORTED)


def test_installed_sets_and_the_default_exercise_every_value():
    installed = [SUPPORTED[0], *INSTALLED]  # test_rendered_project.py installs the default project
    for key in KEYS:
        assert {answers[key] for answers in installed} == set(options(key)), key


@pytest.mark.parametrize("answers", SUPPORTED, ids=answer_set_id)
def test_supported_set_renders_a_clean_project(cookies, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    assert {key: result.context[key] for key in answers} == answers
    project = result.project_path
    assert misplaced_option_files(project, result.context, result.context["package_name"]) == []
    assert not (project / "src" / result.context["package_name"] / "variants").exists()
    assert jinja_leftovers(project) == []
    check = ruff("check", ".", project=project)
    assert check.returncode == 0, check.stdout
    fmt = ruff("format", "--check", ".", project=project)
    assert fmt.returncode == 0, fmt.stdout
    first_party = {result.context["package_name"], "tests"}
    undeclared = imported_modules(project) - declared_modules(project) - first_party - sys.stdlib_module_names
    assert undeclared == set()


@pytest.mark.parametrize(
    ("answers", "message"), INVALID_VALUES, ids=lambda value: value if isinstance(value, str) else ""
)
def test_values_outside_the_choices_are_refused(cookies, tmpdir, answers, message):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code != 0
    assert isinstance(result.exception, ValueError)
    assert message in str(result.exception)
    assert [path for path in Path(tmpdir, "cookies").rglob("*") if path.is_file()] == []


@pytest.mark.parametrize(
    ("answers", "command_tests"),
    list(zip(INSTALLED, INSTALLED_COMMAND_TESTS, strict=True)),
    ids=[answer_set_id(answers) for answers in INSTALLED],
)
def test_installed_set_passes_its_own_tests(cookies, tmp_path, answers, command_tests):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    python = install_project(result.project_path, tmp_path / "venv")
    left_out = [name for name in COMMAND_TESTS if name not in command_tests and (result.project_path / name).is_file()]
    deselect = [option for name in left_out for option in ("--deselect", name)]
    pytest_args = ("-m", "pytest", "-q", "-p", "no:cacheprovider", *deselect)
    outcome = run(python, *pytest_args, cwd=result.project_path, timeout=900)
    assert outcome.returncode == 0, outcome.stdout[-5000:] + outcome.stderr[-2000:]
    assert " passed" in outcome.stdout
