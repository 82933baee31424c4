"""ReduceLROnPlateau watches val_loss and lowers the learning rate when it stalls."""

from pathlib import Path

from {{ cookiecutter.package_name }}.cli import run_cli

from .conftest import QUIET


def test_learning_rate_drops_when_val_loss_stalls(workdir: Path) -> None:
    # A learning rate this small leaves val_loss flat, so the scheduler must lower it.
    cli = run_cli(["fit", "--model.lr=1e-7", "--model.plateau_patience=0", "--trainer.max_epochs=3", *QUIET])
    assert cli.trainer.lr_scheduler_configs[0].monitor == "val_loss"
    assert cli.trainer.optimizers[0].param_groups[0]["lr"] < 1e-7
