"""Checkpoints: best and last are saved, reload under weights_only, drive test and predict, resume after Ctrl-C."""
{%- set logged = cookiecutter.__runs_dir == "logs" %}
{%- set metric = {"regression": "mae", "gan": "d_loss"}.get(cookiecutter.task, "acc") %}
{%- set gan = cookiecutter.task == "gan" %}
{%- set new_run_on_resume = cookiecutter.logger_csv and not cookiecutter.logger_tensorboard %}

{% if not gan -%}
import csv
{% endif -%}
import signal
from pathlib import Path

import pytest
import torch
{%- if cookiecutter.logger_wandb %}
import wandb
{%- endif %}
from pytorch_lightning import Callback, LightningModule, Trainer

from {{ cookiecutter.package_name }}.cli import run_cli
from {{ cookiecutter.package_name }}.data import {{ cookiecutter.__datamodule_class }}
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}

from .conftest import CHECKPOINT_DIR, {{ "GOOD_MAE, " if cookiecutter.task == "regression" }}QUIET, RUN_DIR, {{ "TRAIN_EPOCHS, " if gan }}TrainedRun


def default_data(root: Path) -> {{ cookiecutter.__datamodule_class }}:
    """The data module of the default configuration, as a run in ``root`` sees it."""
{%- if cookiecutter.data_source == "synthetic" %}
    return {{ cookiecutter.__datamodule_class }}(data_dir=str(root / "data"))
{%- elif cookiecutter.data_source == "digits" %}
    return {{ cookiecutter.__datamodule_class }}()
{%- elif cookiecutter.data_source == "csv" %}
    return {{ cookiecutter.__datamodule_class }}(path=str(root / "data" / "train.csv"))
{%- elif cookiecutter.data_source == "image_folder" %}
    return {{ cookiecutter.__datamodule_class }}(root=str(root / "data" / "images"))
{%- elif cookiecutter.data_source == "mnist" %}
    return {{ cookiecutter.__datamodule_class }}(data_dir=str(root / "data" / "mnist"))
{%- endif %}


def best_checkpoint(root: Path) -> Path:
{%- if gan %}
    """The newest epoch's checkpoint: a GAN has no metric to rank its checkpoints by."""
    (path,) = (root / CHECKPOINT_DIR).glob("epoch=*.ckpt")
{%- else %}
    (path,) = (root / CHECKPOINT_DIR).glob("best-*.ckpt")
{%- endif %}
    return path


def test_run_folder_holds_config_and_checkpoints(trained: TrainedRun) -> None:
    run = trained.path / RUN_DIR
    assert (run / "config.yaml").is_file()
    assert (trained.path / CHECKPOINT_DIR / "last.ckpt").is_file()
    assert best_checkpoint(trained.path).name{{ " == f\"epoch={TRAIN_EPOCHS - 1}.ckpt\"" if gan else ".startswith(\"best-epoch=\")" }}
{%- if logged %}
    assert (run / "hparams.yaml").is_file()
{%- endif %}


def test_last_checkpoint_is_the_last_epoch_even_when_it_did_not_improve(workdir: Path) -> None:
    # With a learning rate of 0 no epoch after the first improves{{ " val_mae" if cookiecutter.task == "regression" else " val_loss" if not gan }}.
    args = ["--config", "configs/debug/limit_batches.yaml", "--model.lr=0", "--trainer.max_epochs=6", *QUIET]
    cli = run_cli(["fit", *args])
{%- if cookiecutter.callback_early_stopping %}
    assert cli.trainer.current_epoch == 4  # epoch 0, then 3 (the patience) that did not improve: an early stop
{%- else %}
    assert cli.trainer.current_epoch == 6
{%- endif %}
    last = torch.load(workdir / CHECKPOINT_DIR / "last.ckpt", weights_only=True)
    assert last["epoch"] == cli.trainer.current_epoch - 1  # the final epoch, counted from 0
{%- if not gan %}
    assert best_checkpoint(workdir).name.startswith("best-epoch=0-")
{%- endif %}


def test_best_checkpoint_reloads_under_weights_only(trained: TrainedRun) -> None:
    path = best_checkpoint(trained.path)
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["hyper_parameters"]["lr"] > 0

    model = {{ cookiecutter.__model_class }}.load_from_checkpoint(path)
    data = default_data(trained.path)
    trainer = Trainer(precision="{{ cookiecutter.precision }}", logger=False, enable_progress_bar=False, enable_model_summary=False)
    (metrics,) = trainer.test(model, datamodule=data)
    assert metrics["test_{{ metric }}"] == pytest.approx(trained.metrics["test_{{ metric }}"])


{% if new_run_on_resume -%}
# A CSV log is never reopened (Lightning would delete it), so these commands start a new run folder.
@pytest.mark.filterwarnings("ignore:The dirpath has changed")
{% endif -%}
def test_test_and_predict_commands_take_a_checkpoint(trained: TrainedRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(trained.path)
    ckpt = str(best_checkpoint(trained.path))

    tested = run_cli(["test", "--ckpt_path", ckpt, *QUIET])
    assert float(tested.trainer.callback_metrics["test_{{ metric }}"]) == pytest.approx(trained.metrics["test_{{ metric }}"])

{%- if cookiecutter.logger_wandb %}
    wandb.finish()  # each command gets its own W&B run, as two commands would
{%- endif %}
    run_cli(["predict", "--ckpt_path", ckpt, *QUIET])
    data = default_data(trained.path)
    data.setup("predict")
{%- if gan %}
    predictions = torch.load(trained.path / "predictions" / "predictions.pt")
    images = torch.cat([image for image, _ in data.predict_dataloader()])
    assert predictions.shape == images.shape
    assert predictions.dtype == torch.float32
    assert predictions.isfinite().all()
{%- else %}
    # predictions.csv: a row per test sample, in order, named by the data module's keys.
    with (trained.path / "predictions" / "predictions.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    targets = torch.cat([target for _, target in data.predict_dataloader()])
    ((key, keys),) = data.predict_keys.items()
    assert [row[key] for row in rows] == [str(value) for value in keys]
{%- if cookiecutter.task == "regression" %}
    predictions = torch.tensor([float(row["prediction"]) for row in rows])
    assert (predictions - targets).abs().mean() < GOOD_MAE  # in the target's units
{%- else %}
    # In the data's own labels, with a probability per class.
    labels = [str(data.classes[target]) for target in targets.tolist()]
    assert sum(row["prediction"] == label for row, label in zip(rows, labels, strict=True)) >= 0.9 * len(rows)
    for row in rows:
        probabilities = {name: float(value) for name, value in row.items() if name.startswith("probability_")}
        assert list(probabilities) == [f"probability_{label}" for label in data.classes]
        assert sum(probabilities.values()) == pytest.approx(1, abs=1e-4)
        assert max(probabilities, key=probabilities.get) == f"probability_{row['prediction']}"
{%- endif %}
{%- endif %}
{%- if cookiecutter.logger_tensorboard %}
    # Both ran in the checkpoint's run folder: no new version, their configs beside the fit's.
    assert (trained.path / RUN_DIR / "config-test.yaml").is_file()
    assert (trained.path / RUN_DIR / "config-predict.yaml").is_file()
    assert not (trained.path / RUN_DIR).with_name("version_1").exists()
{%- endif %}


class PressCtrlC(Callback):
    """Interrupt the second epoch as Ctrl-C in a terminal does: Python raises KeyboardInterrupt."""

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: object, batch_idx: int) -> None:
        if trainer.current_epoch == 1 and batch_idx == 1:
            raise KeyboardInterrupt


{% if new_run_on_resume -%}
@pytest.mark.filterwarnings("ignore:The dirpath has changed")
{% else -%}
@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
{% endif -%}
{% if logged -%}
@pytest.mark.parametrize("resume", [["--ckpt_path", "last"], ["--resume=true"]], ids=["ckpt_path_last", "resume"])
{% else -%}
@pytest.mark.parametrize("resume", [["--ckpt_path", "last"]], ids=["ckpt_path_last"])
{% endif -%}
def test_ctrl_c_keeps_the_last_checkpoint_and_fit_resumes_from_it(workdir: Path, resume: list[str]) -> None:
    short = ["--config", "configs/debug/limit_batches.yaml", *QUIET]  # two epochs of four batches
    try:
        with pytest.raises(SystemExit) as exit_info:
            run_cli(["fit", "--trainer.callbacks+=tests.test_checkpoints.PressCtrlC", *short])
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Lightning ignores further Ctrl-C while it stops
    assert exit_info.value.code == 1
    interrupted = torch.load(workdir / CHECKPOINT_DIR / "last.ckpt", weights_only=True)
    assert interrupted["epoch"] == 0  # the epoch that finished; the interrupted one is trained again on resume
    steps_per_epoch = interrupted["global_step"]

{%- if cookiecutter.logger_wandb %}
    wandb.finish()  # each command gets its own W&B run, as two commands would
{%- endif %}
    resumed = run_cli(["fit", *resume, *short])
    assert resumed.trainer.current_epoch == 2
    assert resumed.trainer.global_step == 2 * steps_per_epoch
    last = torch.load(Path(resumed.trainer.checkpoint_callback.dirpath, "last.ckpt"), weights_only=True)
    assert last["global_step"] == 2 * steps_per_epoch
{%- if cookiecutter.logger_tensorboard %}
    assert sorted(path.name for path in (workdir / RUN_DIR).parent.iterdir()) == ["version_0"]
{%- elif new_run_on_resume %}
    assert sorted(path.name for path in (workdir / RUN_DIR).parent.iterdir()) == ["version_0", "version_1"]
{%- endif %}
