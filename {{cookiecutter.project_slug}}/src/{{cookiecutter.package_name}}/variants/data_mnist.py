"""The data: MNIST (70000 handwritten digits of 28x28 pixels), downloaded once and parsed with numpy."""

import gzip
import shutil
import urllib.request
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
{%- if cookiecutter.task != "gan" %}
from torch import Tensor
{%- endif %}
from torch.utils.data import DataLoader

from {{ cookiecutter.package_name }}.atomic import written_whole
from {{ cookiecutter.package_name }}.batches import TensorBatches, as_batch
from {{ cookiecutter.package_name }}.errors import InputError

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def readable(path: Path) -> bool:
    try:
        read_idx(path)
    except InputError:
        return False
    return True


def read_idx(path: Path) -> np.ndarray:
    """Read a gzipped idx file: a magic number whose last byte is the number of dimensions, the sizes, the bytes."""
    try:
        with gzip.open(path, "rb") as file:
            data = file.read()
        num_dims = data[3]
        shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(num_dims))
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * num_dims).reshape(shape)
    except (OSError, EOFError, IndexError, ValueError) as error:
        raise InputError(f"{path} is not a gzipped idx file ({error}): delete it to download it again") from None


{% if cookiecutter.task != "gan" -%}
{%- set tensor_splits = true -%}
{% include "folds.py.j2" %}

{% endif -%}
class MNISTDataModule(pl.LightningDataModule):
    """MNIST from its idx files: ``prepare_data`` downloads them to ``data_dir`` (once), ``setup`` parses them.

    The last ``val_size`` training images are the validation split; the 10000 test images are the test split.
{%- if cookiecutter.task != "gan" %}
    With ``fold`` (0 to ``folds`` - 1, for cross-validation) the 60000 training images are dealt, shuffled
    with ``seed``, into ``folds`` folds instead: fold ``fold`` is val, the rest train.
{%- endif %}
    """

    def __init__(
        self,
        data_dir: str = "data/mnist",
        url: str = "https://ossci-datasets.s3.amazonaws.com/mnist/",
        val_size: int = 5000,
{%- if cookiecutter.task != "gan" %}
        folds: int = 5,
        fold: int | None = None,
        seed: int = 0,
{%- endif %}
        batch_size: int = 256,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
{%- if cookiecutter.task != "gan" %}
        check_fold(fold, folds)
{%- endif %}
        self.save_hyperparameters()
        self.splits: dict[str, TensorBatches] = {}
{%- if cookiecutter.task != "gan" %}

    @property
    def classes(self) -> list[int]:
        return list(range(10))
{%- endif %}

    @property
    def in_channels(self) -> int:
        return 1

    @property
    def image_size(self) -> int:
        return 28

    def prepare_data(self) -> None:
        """Download the files that ``data_dir`` lacks or cannot be read (Lightning calls this on one process only).

        Each download is written whole or not at all, so a kill or a second run never leaves half a file.
        """
        data_dir = Path(self.hparams.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        for name in FILES.values():
            target = data_dir / name
            if target.exists() and readable(target):
                continue
            url = self.hparams.url.rstrip("/") + "/" + name
            try:
                with urllib.request.urlopen(url) as response, written_whole(target) as file:
                    shutil.copyfileobj(response, file)
            except OSError as error:  # no network, a wrong URL, a refused connection
                raise InputError(
                    f"could not download {url} ({error}): pass another mirror with --data.url=URL,"
                    f" or put the four MNIST files in {data_dir}"
                ) from None

    def setup(self, stage: str) -> None:
        """Parse the files into tensors: pixels scaled to [0, 1], one channel."""
        data_dir = Path(self.hparams.data_dir)
        arrays = {key: read_idx(data_dir / name) for key, name in FILES.items()}
        images = {split: torch.tensor(arrays[f"{split}_images"]).unsqueeze(1) / 255.0 for split in ("train", "test")}
        labels = {split: torch.tensor(arrays[f"{split}_labels"], dtype=torch.long) for split in ("train", "test")}
        val = self.hparams.val_size
        splits = {
            "train": (images["train"][:-val], labels["train"][:-val]),
            "val": (images["train"][-val:], labels["train"][-val:]),
            "test": (images["test"], labels["test"]),
        }
{%- if cookiecutter.task != "gan" %}
        if self.hparams.fold is not None:
            splits = fold_tensors(splits, self.hparams.folds, self.hparams.fold, self.hparams.seed)
{%- endif %}
        self.splits = {split: TensorBatches(*tensors) for split, tensors in splits.items()}

{% include "dataloaders.py.j2" %}