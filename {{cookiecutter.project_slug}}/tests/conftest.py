{%- set logged = cookiecutter.logger_tensorboard or cookiecutter.logger_csv -%}
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
{%- if cookiecutter.callback_checkpoint %}
from pytorch_lightning import Callback, LightningModule, Trainer
{%- endif %}

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Where a run writes its configuration{{ ", logs" if logged }}{{ " and checkpoints" if cookiecutter.callback_checkpoint }}.
RUN_DIR = Path("{{ "logs/default/version_0" if logged else "runs" }}")
{%- if cookiecutter.callback_checkpoint %}
CHECKPOINT_DIR = RUN_DIR / "checkpoints"
STEPS_PER_EPOCH = 8  # 2048 training samples in batches of 256
{%- endif %}
# Keep test output short; everything else is the configuration a user gets.
QUIET = ["--trainer.enable_model_summary=false"]


class TrainedRun(NamedTuple):
    path: Path
    metrics: dict[str, float]


def make_workdir(path: Path) -> Path:
    """A folder that looks like the project root: `configs/` and nothing else."""
    shutil.copytree(PROJECT_ROOT / "configs", path / "configs")
    return path
{%- if cookiecutter.callback_checkpoint %}


class StopAfterOneEpoch(Callback):
    """Interrupt a run after its first epoch, as a crash or a time limit would."""

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        trainer.should_stop = True
{%- endif %}


@pytest.fixture(autouse=True)
def plain_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI runs in-process with explicit args; pytest's own argv must not look like CLI arguments."""
    monkeypatch.setattr(sys, "argv", ["{{ cookiecutter.package_name }}"])


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a fresh copy of the project root, so everything a run writes lands in tmp_path."""
    monkeypatch.chdir(make_workdir(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedRun]:
    """One short real `fit` (then `test`) with the default configuration, shared by the tests of a module."""
    from {{ cookiecutter.package_name }}.cli import run_cli

    path = make_workdir(tmp_path_factory.mktemp("trained"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(path)
        monkeypatch.setattr(sys, "argv", ["{{ cookiecutter.package_name }}"])
        cli = run_cli(["fit", "--trainer.max_epochs=3", *QUIET])
        yield TrainedRun(path, {name: float(value) for name, value in cli.trainer.callback_metrics.items()})
