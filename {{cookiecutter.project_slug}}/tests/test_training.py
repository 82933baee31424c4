"""The default configuration trains and tests in one command; fast_dev_run runs every loop."""
{% if cookiecutter.task == "gan" %}
import math
{%- endif %}
from pathlib import Path

import pytest
{% if cookiecutter.task in ("gan", "image_classification") -%}
import torch
{% endif -%}
{% if cookiecutter.logger_wandb -%}
import wandb
{% endif -%}
{% if cookiecutter.task == "gan" -%}
from pytorch_lightning import Callback, LightningModule, Trainer
{% endif -%}
from pytorch_lightning.callbacks import {{ "RichProgressBar" if cookiecutter.progress_bar == "rich" else "TQDMProgressBar" }}

from {{ cookiecutter.package_name }}.cli import run_cli

from .conftest import {{ "GOOD_MAE, " if cookiecutter.task == "regression" }}QUIET, RUN_DIR, TrainedRun, make_workdir


def test_fast_dev_run_runs_every_loop_and_writes_nothing(workdir: Path) -> None:
    cli = run_cli(["fit", "--config", "configs/debug/fast_dev_run.yaml", *QUIET])
    assert cli.trainer.state.finished
    assert cli.trainer.global_step == {{ "2  # one batch, two optimizer steps" if cookiecutter.task == "gan" else "1" }}
    assert not (workdir / RUN_DIR).exists()
    assert isinstance(cli.trainer.progress_bar_callback, {{ "RichProgressBar" if cookiecutter.progress_bar == "rich" else "TQDMProgressBar" }})


def test_the_same_seed_gives_the_same_metrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = []
    for run in ("first", "second"):
        monkeypatch.chdir(make_workdir(tmp_path / run))
        cli = run_cli(["fit", "--config", "configs/debug/limit_batches.yaml", "--trainer.max_epochs=1", *QUIET])
        metrics.append({name: float(value) for name, value in cli.trainer.callback_metrics.items()})
{%- if cookiecutter.logger_wandb %}
        wandb.finish()  # each run gets its own W&B run, as two commands would
{%- endif %}
    assert metrics[0] == metrics[1]
{%- if cookiecutter.task == "image_classification" %}


def test_the_speed_options_take_effect_and_train_alike(workdir: Path) -> None:
    """`float32_matmul_precision` (the GPU presets set it) and `model.channels_last` (on by default) on a CPU."""
    losses = {}
    try:
        for channels_last in (False, True):
            options = [f"--model.channels_last={channels_last}", "--float32_matmul_precision=high"]
            cli = run_cli(["fit", "--config", "configs/debug/limit_batches.yaml", "--trainer.max_epochs=1", *options])
            assert torch.get_float32_matmul_precision() == "high"
            convolutions = [layer.weight for layer in cli.model.net.modules() if isinstance(layer, torch.nn.Conv2d)]
            assert all(w.is_contiguous(memory_format=torch.channels_last) for w in convolutions) is channels_last
            losses[channels_last] = float(cli.trainer.callback_metrics["test_loss"])  # of the best checkpoint
    finally:
        torch.set_float32_matmul_precision("highest")
    # The same arithmetic in another memory layout: equal up to the order of float32 sums.
    assert losses[True] == pytest.approx(losses[False], rel=1e-4)
{%- endif %}


{% if cookiecutter.task == "gan" -%}
class InitialWeights(Callback):
    """Keep a copy of the weights as training starts."""

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.weights = {name: weight.detach().clone() for name, weight in pl_module.named_parameters()}


def test_every_batch_steps_both_networks(workdir: Path) -> None:
    callback = "--trainer.callbacks+=tests.test_training.InitialWeights"
    cli = run_cli(["fit", "--config", "configs/debug/limit_batches.yaml", callback, *QUIET])
    (initial,) = [callback for callback in cli.trainer.callbacks if isinstance(callback, InitialWeights)]
    weights = dict(cli.model.named_parameters())
    changed = {name.split(".")[0] for name, weight in initial.weights.items() if not torch.equal(weight, weights[name])}
    assert changed == {"generator", "discriminator"}
    # With manual optimization every optimizer step counts as a step: two per batch.
    assert cli.trainer.global_step == 2 * cli.trainer.num_training_batches * cli.trainer.max_epochs


def test_default_fit_trains_the_discriminator(trained: TrainedRun) -> None:
    # `fit` tests the {{ "newest checkpoint" if cookiecutter.callback_checkpoint else "trained model" }} when it ends: a discriminator that
    # could not tell real images from generated ones would score ln 2 = 0.69.
    assert 0 < trained.metrics["test_d_loss"] < 0.69
    assert math.isfinite(trained.metrics["test_g_loss"])
{%- elif cookiecutter.task == "regression" -%}
def test_default_fit_beats_the_mean(trained: TrainedRun) -> None:
    # `fit` tests the {{ "best checkpoint" if cookiecutter.callback_checkpoint else "trained model" }} when it ends, in the target's units.
    assert trained.metrics["test_mae"] < GOOD_MAE
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
