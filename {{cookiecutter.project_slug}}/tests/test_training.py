"""The default configuration trains and tests in one command; fast_dev_run runs every loop."""

from pathlib import Path

from pytorch_lightning.callbacks import {{ "RichProgressBar" if cookiecutter.progress_bar == "rich" else "TQDMProgressBar" }}

from {{ cookiecutter.package_name }}.cli import run_cli

from .conftest import QUIET, RUN_DIR, TrainedRun


def test_fast_dev_run_runs_every_loop_and_writes_nothing(workdir: Path) -> None:
    cli = run_cli(["fit", "--config", "configs/debug/fast_dev_run.yaml", *QUIET])
    assert cli.trainer.state.finished
    assert cli.trainer.global_step == 1
    assert not (workdir / RUN_DIR).exists()
    assert isinstance(cli.trainer.progress_bar_callback, {{ "RichProgressBar" if cookiecutter.progress_bar == "rich" else "TQDMProgressBar" }})


{% if cookiecutter.task == "regression" -%}
def test_default_fit_beats_the_mean(trained: TrainedRun) -> None:
    # `fit` tests the {{ "best checkpoint" if cookiecutter.callback_checkpoint else "trained model" }} when it ends; predicting the mean scores an MAE near 0.8.
    assert trained.metrics["test_mae"] < 0.4
{%- else -%}
def test_default_fit_beats_chance(trained: TrainedRun) -> None:
    # `fit` tests the {{ "best checkpoint" if cookiecutter.callback_checkpoint else "trained model" }} when it ends.
    assert trained.metrics["test_acc"] >= 0.9
{%- endif %}
{%- if not (cookiecutter.logger_tensorboard or cookiecutter.logger_csv or cookiecutter.logger_wandb or cookiecutter.logger_mlflow) %}


def test_no_logger_writes_no_logs(trained: TrainedRun) -> None:
    assert not (trained.path / "logs").exists()
    assert not (trained.path / "lightning_logs").exists()
{%- endif %}
