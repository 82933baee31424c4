"""Weights & Biases runs offline: the run is written to disk, ready for `wandb sync`."""

import os
from pathlib import Path

from .conftest import run_command

WANDB_DIR = Path("{{ "logs" if cookiecutter.logger_tensorboard or cookiecutter.logger_csv else "runs" }}/wandb")


def test_a_fit_is_saved_offline(workdir: Path) -> None:
    # A fresh process, as a user runs it, without the W&B service that this test session's own runs started.
    env = {name: value for name, value in os.environ.items() if not name.startswith("WANDB_")}
    result = run_command("fit", "--config", "configs/debug/limit_batches.yaml", env=env)
    assert result.returncode == 0, result.stderr
    (run,) = (workdir / WANDB_DIR).glob("offline-run-*")
    assert list(run.glob("run-*.wandb"))
