{%- set source = cookiecutter.data_source -%}
"""Bad input ends a command before training with one line that says what to change; bad training stops."""

import sys
from pathlib import Path

import pytest
import torch
from pytorch_lightning import Callback, LightningModule, Trainer

from {{ cookiecutter.package_name }}.cli import main, run_cli
from {{ cookiecutter.package_name }}.errors import NonFiniteLossError

from .conftest import QUIET


def run_main(*args: str) -> str:
    """Run the console script with ``args``; return the line it exits with."""
    with pytest.MonkeyPatch.context() as monkeypatch, pytest.raises(SystemExit) as exit_info:
        monkeypatch.setattr(sys, "argv", ["{{ cookiecutter.project_slug }}", *args])
        main()
    return str(exit_info.value.code)


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
{%- if cookiecutter.task == "image_classification" and source in ("synthetic", "image_folder") %}


def test_images_too_small_for_the_network_are_refused(workdir: Path) -> None:
    assert run_main("fit", "--data.image_size=2") == (
        "error: images of 2x2 pixels are too small: the network halves them twice; pass --data.image_size=8 or more"
    )
{%- endif %}
{%- if source == "csv" %}


def test_a_missing_csv_file_is_named(workdir: Path) -> None:
    assert run_main("fit", "--data.path=data/missing.csv") == (
        "error: CSV file 'data/missing.csv' not found: put your data there or pass --data.path=FILE"
    )


def test_a_missing_target_column_lists_the_columns(workdir: Path) -> None:
    assert run_main("fit", "--data.target=label") == (
        "error: data/train.csv: no column 'label' (columns: x0, x1, x2, x3, x4, x5, x6, x7, target);"
        " pass --data.target=COLUMN"
    )


def test_a_cell_that_is_not_a_number_is_reported(workdir: Path) -> None:
    Path("data/bad.csv").write_text("x0,target\n1.5,1\nabc,0\n")
    line = run_main("fit", "--data.path=data/bad.csv")
    assert line.startswith("error: data/bad.csv: every cell must be a number")
    assert "'abc'" in line
{%- elif source == "image_folder" %}


def test_a_folder_without_class_folders_is_named(workdir: Path) -> None:
    Path("data/empty").mkdir()
    assert run_main("fit", "--data.root=data/empty") == (
        "error: no class folders in 'data/empty': put images in data/empty/<class name>/ or pass --data.root=FOLDER"
    )


def test_a_class_folder_without_images_is_named(workdir: Path) -> None:
    Path("data/images/class_3").mkdir()
    line = run_main("fit")
    assert line.startswith("error: class folder 'data/images/class_3' holds no images (")
{%- endif %}
