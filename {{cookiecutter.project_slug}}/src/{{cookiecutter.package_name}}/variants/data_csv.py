{%- set classify = cookiecutter.task == "tabular_classification" -%}
"""The data: a CSV file of numeric columns, one of which is the target."""

import csv
from functools import cached_property
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset

from {{ cookiecutter.package_name }}.errors import InputError


{% include "split.py.j2" %}

class CSVDataModule(pl.LightningDataModule):
    """Rows of a CSV file with a header: every column but ``target`` is a feature.

    {{ "The target holds class indices 0, 1, 2, ..." if classify else "The target is a number to predict." }} The rows are split once,
    with ``seed``, into train, val and test. The file is read when the model needs its size and
    again in ``setup``; it is local, so there is no ``prepare_data``.
    """

    def __init__(
        self,
        path: str = "data/train.csv",
        target: str = "target",
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.splits: dict[str, TensorDataset] = {}

    @property
    def num_features(self) -> int:
        return self.table[0].shape[1]
{%- if classify %}

    @property
    def num_classes(self) -> int:
        return int(self.table[1].max()) + 1
{%- endif %}

    @cached_property
    def table(self) -> tuple[Tensor, Tensor]:
        """The features and the target column of the whole file."""
        path = Path(self.hparams.path)
        if not path.is_file():
            raise InputError(f"CSV file {str(path)!r} not found: put your data there or pass --data.path=FILE")
        with path.open(newline="") as file:
            rows = list(csv.DictReader(file))
        if not rows:
            raise InputError(f"{path} has no rows under its header: add data, or pass --data.path=FILE")
        columns, target = list(rows[0]), self.hparams.target
        if target not in columns:
            raise InputError(f"{path}: no column {target!r} (columns: {', '.join(columns)}); pass --data.target=COLUMN")
        try:
            features = [[float(row[name]) for name in columns if name != target] for row in rows]
            targets = [{{ "int" if classify else "float" }}(row[target]) for row in rows]
        except (TypeError, ValueError) as error:
            raise InputError(f"{path}: every cell must be a number ({error}); fix the file") from None
        return torch.tensor(features, dtype=torch.float32), torch.tensor(targets{{ "" if classify else ", dtype=torch.float32" }})

    def setup(self, stage: str) -> None:
        """Split the rows (the same split for every stage)."""
        h = self.hparams
        self.splits = split(*self.table, h.val_fraction, h.test_fraction, h.seed)

{% include "dataloaders.py.j2" %}