"""Every supported answer set renders a clean project; every unsupported one is refused; a covering subset runs."""

import ast
import itertools
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from .combinations import INSTALLED, INVALID_VALUES, KEYS, SUPPORTED, UNSUPPORTED, answer_set_id
from .conftest import TEMPLATE_DIR, hook_constant, jinja_leftovers, ruff, run
from .environments import install_project

TEMPLATE = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())


RULES = hook_constant("RULES")


def options(key: str) -> list:
    values = TEMPLATE[key]
    return [True, False] if isinstance(values, bool) else values


def default(key: str):
    values = TEMPLATE[key]
    return values if isinstance(values, bool) else values[0]


def refused(answers: dict) -> bool:
    return any(all(answers.get(key) == value for key, value in rule["when"].items()) for rule in RULES)


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
}


# Files that belong to one answer: present exactly when the answer has this value (the post-generation hook's job).
OPTION_FILES = [
    ("torch_compile", True, ["tests/test_compile.py"]),
    ("callback_weight_histograms", True, ["src/{package}/weight_histograms.py", "tests/test_weight_histograms.py"]),
    ("callback_figures", True, ["src/{package}/figures.py", "tests/test_figures.py"]),
    ("callback_checkpoint", True, ["tests/test_checkpoints.py"]),
    ("logger_tensorboard", True, ["tests/test_tensorboard.py"]),
    ("logger_csv", True, ["tests/test_csv_logger.py"]),
    ("logger_wandb", True, ["tests/test_wandb.py"]),
    ("logger_mlflow", True, ["tests/test_mlflow.py"]),
    ("scheduler", "plateau", ["tests/test_plateau.py"]),
    ("data_source", "mnist", ["tests/test_mnist_download.py"]),
    ("data_source", "csv", ["src/{package}/preprocessing.py", "tests/test_csv_data.py"]),
    ("data_source", "image_folder", ["tests/test_image_folder_data.py"]),
]
# (question, answer, files that must be absent for that answer and present for every other).
UNSUPPORTED_FILES = [("task", "gan", ["configs/trainer/fsdp.yaml"])]


def misplaced_option_files(project: Path, answers: dict, package: str) -> list[str]:
    """Option files that are missing although chosen, or present although not chosen."""
    chosen = [(key, value, names, True) for key, value, names in OPTION_FILES]
    refused = [(key, value, names, False) for key, value, names in UNSUPPORTED_FILES]
    return [
        name
        for key, value, names, present_when_chosen in chosen + refused
        for name in (template.format(package=package) for template in names)
        if (project / name).is_file() != ((answers[key] == value) == present_when_chosen)
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
            if refused(pair):
                continue
            if not any(answers[key_a] == value_a and answers[key_b] == value_b for answers in SUPPORTED):
                missing.append(pair)
    assert missing == []
    assert not [answers for answers in SUPPORTED if refused(answers)]
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
    assert misplaced_option_files(project, answers, result.context["package_name"]) == []
    assert not (project / "src" / result.context["package_name"] / "variants").exists()
    assert jinja_leftovers(project) == []
    check = ruff("check", ".", project=project)
    assert check.returncode == 0, check.stdout
    fmt = ruff("format", "--check", ".", project=project)
    assert fmt.returncode == 0, fmt.stdout
    first_party = {result.context["package_name"], "tests"}
    undeclared = imported_modules(project) - declared_modules(project) - first_party - sys.stdlib_module_names
    assert undeclared == set()


@pytest.mark.parametrize(("answers", "message"), UNSUPPORTED, ids=lambda value: value if isinstance(value, str) else "")
def test_unsupported_set_is_refused(cookies, tmpdir, capfd, answers, message):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code != 0
    assert isinstance(result.exception, FailedHookException)
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1
    assert message in errors[0]
    assert [path for path in Path(tmpdir, "cookies").rglob("*") if path.is_file()] == []


@pytest.mark.parametrize(
    ("answers", "message"), INVALID_VALUES, ids=lambda value: value if isinstance(value, str) else ""
)
def test_values_outside_the_choices_are_refused(cookies, tmpdir, answers, message):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code != 0
    assert isinstance(result.exception, ValueError)
    assert message in str(result.exception)
    assert [path for path in Path(tmpdir, "cookies").rglob("*") if path.is_file()] == []


@pytest.mark.parametrize("answers", INSTALLED, ids=answer_set_id)
def test_installed_set_passes_its_own_tests(cookies, tmp_path, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    python = install_project(result.project_path, tmp_path / "venv")
    outcome = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=result.project_path, timeout=900)
    assert outcome.returncode == 0, outcome.stdout[-5000:] + outcome.stderr[-2000:]
    assert " passed" in outcome.stdout
