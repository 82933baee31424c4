"""Weights & Biases runs offline: the run is written to disk, ready for `wandb sync`."""
{%- set gan = cookiecutter.task == "gan" %}

{% if cookiecutter.callback_checkpoint -%}
from collections import Counter
{% endif -%}
from pathlib import Path
{%- if cookiecutter.callback_checkpoint %}

import wandb
from pytorch_lightning.loggers import WandbLogger

from {{ cookiecutter.package_name }}.cli import run_cli

from .conftest import CHECKPOINT_DIR, QUIET, CommandRun
{%- else %}

from .conftest import CommandRun
{%- endif %}

WANDB_DIR = Path("{{ cookiecutter.__runs_dir }}/wandb")


def test_a_fit_is_saved_offline(ddp_fit: CommandRun) -> None:
    path, result = ddp_fit  # two fresh processes, as a user runs them
    assert result.returncode == 0, result.stderr
    (run,) = (path / WANDB_DIR).glob("offline-run-*")
    assert list(run.glob("run-*.wandb"))
{%- if cookiecutter.callback_checkpoint %}


def run_id(subcommand: str, *args: str) -> str:
    """Run a short command in this process and end its W&B run, as the command's end does; the run's id."""
    cli = run_cli([subcommand, "--config", "configs/debug/limit_batches.yaml", *QUIET, *args])
    wandb.finish()
    (logger,) = (logger for logger in cli.trainer.loggers if isinstance(logger, WandbLogger))
    return logger.version


def test_resuming_and_testing_a_checkpoint_log_into_its_run(workdir: Path) -> None:
{%- if cookiecutter.scheduler == "onecycle" %}
    first = run_id("fit")
    # The one-cycle schedule is fixed when training starts: the resumed fit keeps max_epochs, so it only tests.
    assert run_id("fit", "--ckpt_path", "last") == first
{%- else %}
    first = run_id("fit", "--trainer.max_epochs=1")
    assert run_id("fit", "--ckpt_path", "last") == first  # resumed for the second epoch
{%- endif %}
    (checkpoint,) = (workdir / CHECKPOINT_DIR).glob("{{ "epoch=*.ckpt" if gan else "best-*.ckpt" }}")
    assert run_id("test", "--ckpt_path", str(checkpoint)) == first
    second = run_id("fit", "--trainer.max_epochs=1")
    assert second != first
    # Offline, each command writes its part of the run to a folder of its own, offline-run-<time>-<run id>
    # (and -1, -2... for parts started within the same second); `wandb sync` uploads them in order, into one run.
    parts = Counter(run.name.split("-")[3] for run in (workdir / WANDB_DIR).glob("offline-run-*"))
    assert parts == {first: 3, second: 1}
{%- endif %}
