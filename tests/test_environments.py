"""A rendered project's own environment holds what its pyproject.toml requires and nothing more."""

from pathlib import Path

import pytest

from .conftest import run
from .environments import make_project_environment, required_distributions

FIND = "import importlib.util, sys; print(*(importlib.util.find_spec(name) is not None for name in sys.argv[1:]))"


def importable(python: Path, *names: str) -> dict[str, bool]:
    result = run(python, "-c", FIND, *names, cwd=python.parent)
    assert result.returncode == 0, result.stderr
    return dict(zip(names, (word == "True" for word in result.stdout.split()), strict=True))


def test_an_environment_holds_the_requirements_and_what_they_require(tmp_path: Path) -> None:
    python = make_project_environment(tmp_path / "venv", ["rich>=13"])
    # rich requires pygments and markdown-it-py; pip comes to install the project; torch and pytest are here only.
    assert importable(python, "rich", "pygments", "markdown_it", "pip", "torch", "pytest") == {
        "rich": True,
        "pygments": True,
        "markdown_it": True,
        "pip": True,
        "torch": False,
        "pytest": False,
    }


def test_the_default_project_environment_lacks_what_it_does_not_declare(installed: Path) -> None:
    # scikit-learn (and with it SciPy) and Optuna are here for other answers; torchmetrics would import the first two.
    # matplotlib is declared: tune draws the learning-rate curve.
    assert importable(installed, "lightning_project", "torchmetrics", "sklearn", "scipy", "optuna", "matplotlib") == {
        "lightning_project": True,
        "torchmetrics": True,
        "sklearn": False,
        "scipy": False,
        "optuna": False,
        "matplotlib": True,
    }
    assert (installed.parent / "pytest").is_file() and (installed.parent / "ruff").exists()


@pytest.mark.parametrize(
    ("requirement", "message"),
    [("no-such-distribution>=1", "not installed here: add it"), ("rich<1", r"not installed here \(found ")],
)
def test_a_requirement_this_environment_cannot_meet_is_named(requirement: str, message: str) -> None:
    with pytest.raises(LookupError, match=message):
        required_distributions([requirement])
