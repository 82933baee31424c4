{%- set synthetic = cookiecutter.data_source == "synthetic" -%}
"""Files that a later run reads are whole or absent, whatever instruction the process is killed at."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }}.atomic import AtomicCheckpointIO, written_whole
{%- if synthetic %}
from {{ cookiecutter.package_name }}.data import SyntheticDataModule
{%- endif %}

# Save a checkpoint in a fresh process that dies half-way through writing it, as one killed by the
# out-of-memory killer or a lost machine: nothing runs after the kill, no cleanup, no exception handler.
KILLED_WHILE_WRITING = """
import os
import signal
import sys

import torch

from {{ cookiecutter.package_name }}.atomic import AtomicCheckpointIO


def write_half_and_die(checkpoint, file, *args, **kwargs):
    file.write(b"PK" + bytes(4096))  # the first bytes of a checkpoint
    file.flush()
    os.kill(os.getpid(), signal.SIGKILL)


torch.save = write_half_and_die
AtomicCheckpointIO().save_checkpoint({"epoch": 2}, sys.argv[1])
"""


def test_a_checkpoint_write_killed_half_way_leaves_the_previous_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints" / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"epoch": 1}, path)
    # A temporary folder on another filesystem is where Lightning's own writer went wrong: it is not used.
    env = {**os.environ, "TMPDIR": "/dev/shm"} if Path("/dev/shm").is_dir() else None
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_WRITING, str(path)], env=env, check=False)
    assert killed.returncode == -signal.SIGKILL

    assert torch.load(path, weights_only=True) == {"epoch": 1}
    (leftover,) = (file for file in path.parent.iterdir() if file != path)
    assert leftover.name.startswith(".last.ckpt.")
    AtomicCheckpointIO().save_checkpoint({"epoch": 2}, path)
    assert torch.load(path, weights_only=True) == {"epoch": 2}
    assert list(path.parent.iterdir()) == [path]  # the killed writer's temporary file is gone


def test_an_error_while_writing_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "predictions.csv"
    path.write_text("old\n")
    with pytest.raises(KeyboardInterrupt), written_whole(path, "w") as file:
        file.write("new, half")
        raise KeyboardInterrupt  # Ctrl-C while writing
    assert path.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [path]
{%- if synthetic %}


def test_a_cut_off_data_cache_is_made_again(tmp_path: Path) -> None:
    data = SyntheticDataModule(data_dir=str(tmp_path))
    data.prepare_data()
    whole = torch.load(data.data_path, weights_only=True)
    data.data_path.write_bytes(data.data_path.read_bytes()[:1000])  # as a kill during an older version's write left it
    data.setup("fit")
    assert torch.equal(data.splits["train"].tensors[0], whole["train"][0])
    rebuilt = torch.load(data.data_path, weights_only=True)
    assert all(torch.equal(rebuilt[split][0], whole[split][0]) for split in whole)
{%- endif %}
