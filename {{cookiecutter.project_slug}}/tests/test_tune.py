"""``tune`` as a user runs it: a learning rate and a batch size for fit, the curve, and nothing else left behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

from .conftest import QUIET, RUN_DIR, make_workdir, run_main

# Short searches: three batch sizes (2, 4, 8), and the fewest learning rates that tune takes.
MIN_LR, MAX_LR = 1e-5, 1.0
TUNE = ["tune", f"--min_lr={MIN_LR}", f"--max_lr={MAX_LR}", "--num_training=20", "--max_trials=3"]
# fit with the tuned options on top of the configuration, for a few batches.
FIT = ["fit", "--config", "configs/config.yaml", "--config", "tuned/tune.yaml", "--trainer.max_epochs=1"]
FIT += ["--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1", "--trainer.limit_test_batches=1"]
FIT += ["--trainer.enable_progress_bar=false", *QUIET]
{%- if cookiecutter.torch_compile %}
# Compiling the network anew for each batch size tried takes a minute on a CPU: test_compile.py covers compiling.
TUNE.append("--model.compile_model=false")
FIT.append("--model.compile_model=false")
{%- endif %}
# What a project copy holds besides what tune writes (tuned/) and the commands' temporary folder (tmp/).
WORKDIR = {"configs", "data"}


class Tuned(NamedTuple):
    path: Path
    result: subprocess.CompletedProcess
    options: dict


def start(path: Path, *args: str) -> subprocess.Popen:
    """Start ``python -m {{ cookiecutter.package_name }} ARGS`` in ``path``, with its temporary files in ``path/tmp``.

    Ctrl+C interrupts it, also when this session was started in the background, where it would be ignored.
    """
    (path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", *args],
        cwd=path,
        env=os.environ | {"TMPDIR": str(path / "tmp")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if os.name == "posix" else None,
    )


def run(path: Path, *args: str) -> subprocess.CompletedProcess:
    process = start(path, *args)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def leftovers(path: Path) -> list[Path]:
    """The tuner's temporary checkpoints under ``path``, and tune's temporary folders in ``path/tmp``."""
    return [*path.rglob(".lr_find*"), *path.rglob(".scale_batch_size*"), *path.glob("tmp/*-tune-*")]


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Tuned:
    path = make_workdir(tmp_path_factory.mktemp("tune"))
    result = run(path, *TUNE)
    assert result.returncode == 0, result.stderr
    return Tuned(path, result, yaml.safe_load((path / "tuned" / "tune.yaml").read_text()))


def test_tune_writes_an_lr_from_the_search_range_and_the_batch_size_found(tuned: Tuned) -> None:
    lr, batch_size = tuned.options["model"]["lr"], tuned.options["data"]["batch_size"]
    assert tuned.options == {"model": {"lr": lr}, "data": {"batch_size": batch_size}}
    assert MIN_LR <= lr <= MAX_LR
    assert batch_size in (2, 4, 8)  # doubled from 2, at most three times
    text = (tuned.path / "tuned" / "tune.yaml").read_text()
    assert "fit --config configs/config.yaml --config tuned/tune.yaml" in text.split("\nmodel:")[0]
    assert tuned.result.stdout.splitlines() == [
        f"lr {lr:.3g} (searched {MIN_LR:g} to {MAX_LR:g}), batch size {batch_size}: wrote tuned/tune.yaml"
    ]


def test_tune_draws_the_learning_rate_curve(tuned: Tuned) -> None:
    assert (tuned.path / "tuned" / "lr_find.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tune_leaves_no_checkpoint_and_no_run_behind(tuned: Tuned) -> None:
    assert leftovers(tuned.path) == []
    # No logs, run folder, checkpoint or configuration that report or --resume would take for a run.
    assert {entry.name for entry in tuned.path.iterdir()} - WORKDIR == {"tmp", "tuned"}


def test_fit_trains_with_the_tuned_options(tuned: Tuned) -> None:
    result = run(tuned.path, *FIT)
    assert result.returncode == 0, result.stderr
    logged = yaml.safe_load((tuned.path / RUN_DIR / "config.yaml").read_text())
    assert logged["model"]["lr"] == tuned.options["model"]["lr"]
    assert logged["data"]["batch_size"] == tuned.options["data"]["batch_size"]


def test_an_interrupted_tune_leaves_no_checkpoint_behind(tmp_path: Path) -> None:
    path = make_workdir(tmp_path)
    process = start(path, "tune", "--num_training=10000")
    deadline = time.monotonic() + 120
    while not [*path.glob("tmp/*-tune-*/.*.ckpt")] and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process.poll() is None and leftovers(path), "tune ended, or saved no checkpoint in two minutes"
    process.send_signal(signal.SIGINT)  # Ctrl+C, while the tuner has a checkpoint saved
    process.communicate(timeout=120)
    assert process.returncode != 0
    assert leftovers(path) == []
    assert not (path / "tuned" / "tune.yaml").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min_lr=0.1", "--max_lr=0.01"], "error: --min_lr=0.1 and --max_lr=0.01: the search needs 0 < min < max"),
        (["--num_training=5"], "error: --num_training=5 is too short: give 20 steps or more"),
        (["--trainer.fast_dev_run=true"], "error: --trainer.fast_dev_run makes Lightning skip the tuner: drop it"),
    ],
)
def test_bad_tune_options_are_refused_in_one_line(workdir: Path, args: list[str], message: str) -> None:
    assert run_main("tune", *args) == message
