import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Keep test output short; everything else is the configuration a user gets.
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def make_workdir(path: Path) -> Path:
    """A folder that looks like the project root: `configs/` and nothing else."""
    shutil.copytree(PROJECT_ROOT / "configs", path / "configs")
    return path


@pytest.fixture(autouse=True)
def plain_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI runs in-process with explicit args; pytest's own argv must not look like CLI arguments."""
    monkeypatch.setattr(sys, "argv", ["{{ cookiecutter.package_name }}"])


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a fresh copy of the project root, so logs, data and predictions land in tmp_path."""
    monkeypatch.chdir(make_workdir(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One short real `fit` with the default configuration, shared by the tests of a module."""
    from {{ cookiecutter.package_name }}.cli import run_cli

    path = make_workdir(tmp_path_factory.mktemp("trained"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(path)
        monkeypatch.setattr(sys, "argv", ["{{ cookiecutter.package_name }}"])
        run_cli(["fit", "--trainer.max_epochs=3", *QUIET])
        yield path
