"""Weights & Biases runs offline: the run is written to disk, ready for `wandb sync`."""

from pathlib import Path

from .conftest import CommandRun

WANDB_DIR = Path("{{ "logs" if cookiecutter.logger_tensorboard or cookiecutter.logger_csv else "runs" }}/wandb")


def test_a_fit_is_saved_offline(ddp_fit: CommandRun) -> None:
    path, result = ddp_fit  # two fresh processes, as a user runs them
    assert result.returncode == 0, result.stderr
    (run,) = (path / WANDB_DIR).glob("offline-run-*")
    assert list(run.glob("run-*.wandb"))
