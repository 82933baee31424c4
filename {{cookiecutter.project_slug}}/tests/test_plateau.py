"""ReduceLROnPlateau watches val_loss and lowers the learning rate when it stalls."""

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import run_cli

from .conftest import QUIET


def test_learning_rate_drops_when_val_loss_stalls(workdir: Path) -> None:
    cli = run_cli(["fit", "--trainer.max_epochs=2", "--model.plateau_patience=0", *QUIET])
    config = cli.trainer.lr_scheduler_configs[0]
    assert config.monitor == "val_loss"
    scheduler = config.scheduler
    assert scheduler.last_epoch == 2  # Lightning stepped it with val_loss after each epoch
    lr = scheduler.optimizer.param_groups[0]["lr"]

    scheduler.step(scheduler.best)  # an epoch whose val_loss is no better than the best: a stall
    assert scheduler.optimizer.param_groups[0]["lr"] == pytest.approx(lr * 0.5)
