"""Bad input ends a command before training with one line that says what to change; bad training stops."""
{%- set versioned = cookiecutter.__runs_dir == "logs" %}

import zipfile
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


def damage_a_tensor(path: Path) -> None:
    """Flip a byte inside the stored data of the checkpoint's first tensor; the zip index stays intact."""
    with zipfile.ZipFile(path) as archive:
        member = next(info for info in archive.infolist() if "/data/" in info.filename)
    data = bytearray(path.read_bytes())
    header = data[member.header_offset : member.header_offset + 30]  # the member's own header, then its name and extra
    name_and_extra = int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    start = member.header_offset + 30 + name_and_extra
    data[start + 100] ^= 0xFF  # as a bad disk sector or an interrupted copy leaves it
    path.write_bytes(bytes(data))


def test_a_checkpoint_with_damaged_bytes_is_refused_not_scored(workdir: Path) -> None:
    torch.save({"state_dict": {"weight": torch.ones(1000)}, "hyper_parameters": {}}, "model.ckpt")
    damage_a_tensor(Path("model.ckpt"))
    assert run_main("test", "--ckpt_path", "model.ckpt") == (
        "error: 'model.ckpt' is damaged (model/data/0 fails its checksum): pass another checkpoint (last.ckpt?)"
    )


def test_a_checkpoint_that_holds_objects_is_refused(workdir: Path) -> None:
    # A pickled network, as templates that save an nn.Module in their hyperparameters write them.
    torch.save({"state_dict": {}, "hyper_parameters": {"net": torch.nn.Linear(2, 2)}}, "pickled.ckpt")
    line = run_main("test", "--ckpt_path", "pickled.ckpt")
    assert line.startswith("error: 'pickled.ckpt' holds more than tensors and plain values (")
    assert line.endswith("): it was not saved by this project; pass one of its checkpoints")
    assert "weights_only=False" not in line  # torch's advice would run whatever the file holds


def test_a_checkpoint_of_another_model_says_so(workdir: Path) -> None:
    other = {{ '{"classes": ["cat", "dog"]}' if cookiecutter.task == "gan" else '{"latent_dim": 64}' }}  # another task's
    torch.save({"state_dict": {}, "hyper_parameters": {**other, "lr": 0.1}}, "other.ckpt")
    assert run_main("test", "--ckpt_path", "other.ckpt") == (
        "error: 'other.ckpt' was saved by another model: it has {{ "classes" if cookiecutter.task == "gan" else "latent_dim" }}, which {{ cookiecutter.__model_class }} does not take;"
        " pass a checkpoint of this project"
    )


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("--model.lr=-1", "--model.lr=-1.0 is out of range: it must be at least 0"),
        ("--data.batch_size=0", "--data.batch_size=0 is out of range: it must be at least 1"),
{%- if cookiecutter.scheduler in ("cosine", "onecycle") %}
        ("--trainer.max_epochs=-1", "--trainer.max_epochs=-1 is out of range: it must be at least 1"),
{%- endif %}
    ],
)
def test_an_option_out_of_range_is_refused_before_anything_runs(workdir: Path, option: str, expected: str) -> None:
    assert run_main("fit", option) == f"error: {expected}"
    assert not (workdir / "{{ "logs" if versioned else "runs" }}").exists()


def test_the_progress_bar_can_be_switched_off_as_lightning_documents(workdir: Path) -> None:
    # What batch jobs do; with the progress bar among the callbacks Lightning would refuse.
    cli = run_cli(["fit", "--config", "configs/debug/fast_dev_run.yaml", "--trainer.enable_progress_bar=false", *QUIET])
    assert cli.trainer.state.finished
    assert cli.trainer.progress_bar_callback is None
{%- if versioned %}


def test_a_logs_folder_that_cannot_be_written_is_named(workdir: Path) -> None:
    Path("logs").write_text("a file where the logs folder should be")
    assert run_main("fit") == (
        "error: cannot make a run folder in logs/default (Not a directory):"
        " make it a folder you can write to, or run from another folder"
    )
{%- endif %}


def test_a_missing_checkpoint_is_refused_in_one_line(workdir: Path) -> None:
    assert run_main("predict", "--ckpt_path", "nowhere.ckpt") == (
        "error: no checkpoint at 'nowhere.ckpt': pass the path of a .ckpt file, or --ckpt_path last"
    )
{%- if cookiecutter.callback_checkpoint and cookiecutter.__runs_dir == "logs" %}


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
