"""Files that a later run reads are written whole or not at all, whenever the process is killed.

Each is written to a temporary file in its own folder and renamed into place: a rename within one
filesystem is atomic, so a reader sees the old file or the new one. (A temporary file elsewhere, such as
in a tmpfs ``/tmp``, would have to be copied into place, and a kill during the copy leaves half a file.)
A temporary file that a killed process left behind is removed by the next write to the same folder.
"""

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import NamedTemporaryFile
from typing import IO, Any

import torch
from pytorch_lightning.plugins import TorchCheckpointIO


@contextmanager
def written_whole(path: Path, mode: str = "wb") -> Iterator[IO]:
    """A temporary file beside ``path`` that replaces it when the block ends without an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path)
    prefix = f".{path.name}.{socket.gethostname()}.{os.getpid()}."
    newline = None if "b" in mode else ""
    with NamedTemporaryFile(mode, dir=path.parent, prefix=prefix, suffix=".tmp", newline=newline, delete=False) as file:
        temporary = Path(file.name)
        try:
            yield file
            file.flush()
            os.fsync(file.fileno())
        except BaseException:
            file.close()
            temporary.unlink()
            raise
    temporary.replace(path)


def remove_leftovers(path: Path) -> None:
    """Remove the temporary files in ``path``'s folder of processes of this machine that no longer run.

    Their names end in ``.<host>.<pid>.<random>.tmp``; files of other machines (a shared filesystem) stay.
    """
    host = socket.gethostname()
    for leftover in path.parent.glob(f".*.{host}.*.tmp"):
        head, pid, _, _ = leftover.name.rsplit(".", 3)
        if head.endswith(f".{host}") and pid.isdigit() and not running(int(pid)):
            leftover.unlink(missing_ok=True)


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint writer, with the temporary file in the checkpoint's own folder.

    Lightning writes through a temporary file from ``TMPDIR`` and moves it into place, which is a copy when
    ``TMPDIR`` is on another filesystem: a kill during it left a truncated ``last.ckpt``.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None) -> None:
        with written_whole(Path(path)) as file:
            torch.save(checkpoint, file)
