"""The rendered project as its users meet it: installed, trained from the command line, tested by its own suite."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import torch

from .conftest import run

QUIET = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def test_rendered_test_suite_passes(default_project: Path, installed: Path) -> None:
    result = run(installed, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=default_project, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    assert "failed" not in result.stdout


def test_one_command_trains_offline_and_a_killed_run_resumes(default_project: Path, installed: Path) -> None:
    # SIGKILL, as the out-of-memory killer or a lost machine deal it: nothing runs after it. Lightning writes
    # checkpoints whole or not at all, so `fit --ckpt_path last` picks the run up and finishes it.
    script = installed.parent / "lightning-project"
    run_dir = default_project / "logs" / "default" / "version_0"
    last = run_dir / "checkpoints" / "last.ckpt"
    process = subprocess.Popen([script, "fit", "--trainer.max_epochs=1000"], cwd=default_project, **QUIET)
    try:
        deadline = time.monotonic() + 240
        while not last.exists():
            assert process.poll() is None, "the run ended before it was killed"
            assert time.monotonic() < deadline, "no last.ckpt within 240 s"
            time.sleep(0.05)
        time.sleep(0.5)  # somewhere in a later epoch, maybe while it writes the next checkpoint
    finally:
        process.kill()
        process.wait()
    epoch = torch.load(last, weights_only=True)["epoch"]

    result = run(script, "fit", "--ckpt_path", "last", f"--trainer.max_epochs={epoch + 2}", cwd=default_project)
    assert result.returncode == 0, result.stderr[-3000:]
    assert torch.load(last, weights_only=True)["epoch"] == epoch + 1  # the last epoch, counted from 0
    assert sorted(path.name for path in run_dir.parent.iterdir()) == ["version_0"]
    assert list(run_dir.glob("events.out.tfevents.*"))
    assert list((run_dir / "checkpoints").glob("best-epoch=*-val_loss=*.ckpt"))
    assert "test_acc" in result.stdout


def test_a_terminal_that_is_not_utf_8_gets_a_progress_bar_it_can_show(
    default_project: Path, installed: Path, tmp_path: Path
) -> None:
    # The Rich progress bar's characters used to end such a run in UnicodeEncodeError, after training.
    shutil.copytree(default_project / "configs", tmp_path / "configs")
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "OMP_NUM_THREADS": "1"}
    result = run(
        installed.parent / "lightning-project",
        "fit",
        "--config",
        "configs/debug/limit_batches.yaml",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test_acc" in result.stdout


def test_the_console_script_outside_the_project_root_says_where_to_run(
    default_project: Path, installed: Path, tmp_path: Path
) -> None:
    # Without configs/config.yaml LightningCLI would train with no logger, no callbacks and no epoch limit.
    result = run(installed.parent / "lightning-project", "fit", cwd=tmp_path)
    assert result.returncode == 1
    where = f"run the command from {default_project}, or pass --config FILE"
    assert result.stderr.splitlines() == [f"error: no configs/config.yaml in {tmp_path}: {where}"]
    assert list(tmp_path.iterdir()) == []
