"""Bad input ends a command before training with one line that says what to change; bad training stops."""

from pathlib import Path

import pytest
import torch
from pytorch_lightning import Callback, LightningModule, Trainer

from {{ cookiecutter.package_name }}.cli import run_cli
from {{ cookiecutter.package_name }}.errors import NonFiniteLossError

from .conftest import PROJECT_ROOT, QUIET, run_main


def test_a_cut_off_checkpoint_is_refused_in_one_line(workdir: Path) -> None:
    torch.save({"state_dict": {"weight": torch.zeros(1000)}}, "model.ckpt")
    Path("model.ckpt").write_bytes(Path("model.ckpt").read_bytes()[:500])  # as a full disk or a kill leaves it
    assert run_main("test", "--ckpt_path", "model.ckpt") == (
        "error: 'model.ckpt' is not a readable checkpoint (cut off, or not saved by torch): pass another one"
    )


def test_a_missing_checkpoint_is_refused_in_one_line(workdir: Path) -> None:
    assert run_main("predict", "--ckpt_path", "nowhere.ckpt") == (
        "error: no checkpoint at 'nowhere.ckpt': pass the path of a .ckpt file, or --ckpt_path last"
    )
{%- if cookiecutter.callback_checkpoint and (cookiecutter.logger_tensorboard or cookiecutter.logger_csv) %}


def test_resume_outside_fit_is_refused_in_one_line(workdir: Path) -> None:
    assert run_main("test", "--resume=true") == "error: --resume continues a fit: drop it, or give test a --ckpt_path"
{%- endif %}


class PoisonWeights(Callback):
    """Turn every weight into NaN before the second batch, as a diverging run would."""

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: object, batch_idx: int) -> None:
        if batch_idx == 1:
            with torch.no_grad():
                for weight in pl_module.parameters():
                    weight.fill_(float("nan"))


def test_a_nan_loss_stops_the_run(workdir: Path) -> None:
    poison = "--trainer.callbacks+=tests.test_bad_input.PoisonWeights"
    expected = r"^the training loss turned nan between steps \d+ and \d+: lower --model\.lr"
    with pytest.raises(NonFiniteLossError, match=expected):
        run_cli(["fit", "--config", "configs/debug/limit_batches.yaml", poison, *QUIET])
{%- if cookiecutter.task == "image_classification" and cookiecutter.data_source in ("synthetic", "image_folder") %}


def test_images_too_small_for_the_network_are_refused(workdir: Path) -> None:
    assert run_main("fit", "--data.image_size=2") == (
        "error: images of 2x2 pixels are too small: the network halves them twice; pass --data.image_size=8 or more"
    )
{%- endif %}


def test_outside_the_project_root_it_says_where_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without configs/config.yaml LightningCLI would train with no logger, no callbacks and no epoch limit.
    monkeypatch.chdir(tmp_path)
    assert run_main("fit") == (
        f"error: no configs/config.yaml in {tmp_path}: run the command from {PROJECT_ROOT}, or pass --config FILE"
    )
