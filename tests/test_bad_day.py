"""The installed default project on a bad day: killed at random moments, started several times at once.

The commands run in fresh processes with the project's console script, from folders that hold a copy of its
`configs/`, with the temporary folder on another filesystem (`/dev/shm`, a tmpfs, where there is one): there
Lightning's own checkpoint writer copied its temporary file into place, and a kill during the copy left a
truncated `last.ckpt`.
"""

import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import torch

from .conftest import run

SCRIPT = "lightning-project"
RUN_ROOT = Path("logs/default")
SHORT = ["--config", "configs/debug/limit_batches.yaml"]  # epochs of 4 training batches
RECORDER = """
import pytorch_lightning as pl


class Recorder(pl.Callback):
    \"\"\"Note each epoch's start and end in epochs.log, the end once all its end hooks have run.

    ModelCheckpoint writes in its own on_train_epoch_end, which Lightning calls after every other
    callback's: an epoch counts as ended when the next one starts, or when training ends.
    \"\"\"

    ended = None

    def note(self, line):
        with open("epochs.log", "a") as file:
            file.write(line + "\\n")

    def note_ended(self):
        if self.ended is not None:
            self.note(f"end {self.ended}")
            self.ended = None

    def on_train_epoch_start(self, trainer, pl_module):
        self.note_ended()
        self.note(f"start {trainer.current_epoch}")

    def on_train_epoch_end(self, trainer, pl_module):
        self.ended = trainer.current_epoch

    def on_train_end(self, trainer, pl_module):
        self.note_ended()
"""


@pytest.fixture
def workdir(default_project: Path, tmp_path: Path) -> Path:
    shutil.copytree(default_project / "configs", tmp_path / "configs")
    (tmp_path / "recorder.py").write_text(RECORDER)
    return tmp_path


def environment(workdir: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(workdir), "OMP_NUM_THREADS": "1"}
    if Path("/dev/shm").is_dir() and os.stat("/dev/shm").st_dev != os.stat(workdir).st_dev:
        env["TMPDIR"] = "/dev/shm"
    return env


def ended_epochs(workdir: Path) -> list[int]:
    log = workdir / "epochs.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [int(line.split()[1]) for line in lines if line.startswith("end ")]


def test_kills_at_random_moments_lose_at_most_the_epoch_in_progress(workdir: Path, installed: Path) -> None:
    script, env = installed.parent / SCRIPT, environment(workdir)
    fit = [script, "fit", *SHORT, "--resume=true", "--trainer.callbacks+=recorder.Recorder"]
    last = workdir / RUN_ROOT / "version_0" / "checkpoints" / "last.ckpt"
    moments = random.Random(0)
    for _ in range(4):
        ended_before = len(ended_epochs(workdir))
        process = subprocess.Popen(
            [*fit, "--trainer.max_epochs=1000"], cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 240
            while len(ended_epochs(workdir)) == ended_before:  # until this start has ended an epoch
                assert process.poll() is None, process.stderr.read()[-3000:]
                assert time.monotonic() < deadline, "no epoch ended within 240 s"
                time.sleep(0.02)
            time.sleep(moments.uniform(0, 1.5))  # a few epochs on: training, validating or writing a checkpoint
        finally:
            process.kill()
            process.wait()
        # Every epoch that ended is on disk: the kill lost at most the one in progress.
        assert torch.load(last, weights_only=True)["epoch"] >= ended_epochs(workdir)[-1]

    killed_at = torch.load(last, weights_only=True)["epoch"]
    result = run(*fit, f"--trainer.max_epochs={killed_at + 4}", cwd=workdir, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    # The run went on (to its epoch limit, or to an early stop), and last.ckpt is its final epoch.
    assert torch.load(last, weights_only=True)["epoch"] == ended_epochs(workdir)[-1] > killed_at
    # No epoch was trained again after it had ended.
    lines = (workdir / "epochs.log").read_text().splitlines()
    for epoch in set(ended_epochs(workdir)):
        restarts = [i for i, line in enumerate(lines) if line == f"start {epoch}" and f"end {epoch}" in lines[:i]]
        assert not restarts, f"epoch {epoch} was trained again after it had ended"
    assert [path.name for path in (workdir / RUN_ROOT).iterdir()] == ["version_0"]
    checkpoints = sorted((workdir / RUN_ROOT / "version_0" / "checkpoints").iterdir())
    assert [path.suffix for path in checkpoints] == [".ckpt", ".ckpt"]  # best and last, no temporary files left
    for path in checkpoints:
        torch.load(path, weights_only=True)


def test_fits_started_together_get_their_own_run_folders(workdir: Path, installed: Path) -> None:
    script, env = installed.parent / SCRIPT, environment(workdir)
    for attempt in range(2):
        root = workdir / f"attempt-{attempt}"
        shutil.copytree(workdir / "configs", root / "configs")  # a fresh project: they make the data cache together
        processes = [
            subprocess.Popen(
                [script, "fit", *SHORT], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            for _ in range(3)
        ]
        for process in processes:
            _, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr[-3000:]
        runs = sorted((root / RUN_ROOT).iterdir())
        assert [run_dir.name for run_dir in runs] == ["version_0", "version_1", "version_2"]
        for run_dir in runs:
            assert (run_dir / "config.yaml").is_file()
            assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["epoch"] == 1
            # TensorBoard files are named ...<host>.<pid>.<n>: one process wrote each run.
            assert len({path.name.split(".")[-2] for path in run_dir.glob("events.out.tfevents.*")}) == 1
        assert [path.name for path in (root / "data").iterdir()] == [next((root / "data").iterdir()).name]
