{%- set classify = cookiecutter.task == "tabular_classification" -%}
"""The data: a CSV file with a header row, one row per sample, one of its columns the target."""

from dataclasses import asdict
from functools import cached_property
from pathlib import Path

import pandas as pd
import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_info
from torch import Tensor
from torch.utils.data import DataLoader

from {{ cookiecutter.package_name }}.batches import TensorBatches, as_batch
from {{ cookiecutter.package_name }}.errors import InputError
from {{ cookiecutter.package_name }}.preprocessing import TablePreprocessing, check_cells, {{ "learn_classes, " if classify }}read_table


{% include "split_indices.py.j2" %}

{% include "folds.py.j2" %}

class CSVDataModule(pl.LightningDataModule):
    """Rows of a CSV file: every column but ``target``, ``id_column`` and ``ignore_columns`` is a feature.

    What happens to the file, in order (``preprocessing.py`` holds the pieces):

    - ``read_table`` reads it: the delimiter is found, a byte-order mark skipped, an index column saved
      by pandas dropped;
    - an empty cell stops the run with its line and column, unless ``fill_missing`` (numbers then take the
      training mean, text no category); an infinite number or text in a column of numbers always does;
    - the rows are split once, with ``seed``, into train, val and test{{ ", each class in the same proportions" if classify }};
    - with ``fold`` (0 to ``folds`` - 1, for cross-validation) the train and val rows are then cut into
      ``folds`` folds: fold ``fold`` is val, the rest train, and the test rows stay the same;
    - ``TablePreprocessing`` learns from the train split alone the mean and standard deviation of the
      numeric columns{{ " and of the target" if not classify }} and the categories of the text columns, and leaves out text columns
      that differ in most rows (names, ids);
{%- if classify %}
    - the labels of the target column, whatever they are (names, -1/+1, 0.0/1.0...), are the classes,
      in sorted order.
{%- else %}
    - the target is a number in its own units: the model scales it and reports predictions and errors in them.
{%- endif %}

    With a checkpoint, the model brings what it learned (``preprocessing``{{ ", ``classes``" if classify }}) and new rows are read
    the same way. ``predict`` reads ``predict_path`` (no target column needed), or else the test split.
    """

    def __init__(
        self,
        path: str = "data/train.csv",
        target: str = "target",
        id_column: str | None = None,
        ignore_columns: list[str] | None = None,
        predict_path: str | None = None,
        delimiter: str | None = None,
        encoding: str = "utf-8",
        fill_missing: bool = False,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        folds: int = 5,
        fold: int | None = None,
        seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
        preprocessing: dict | None = None,
{%- if classify %}
        classes: list | None = None,
{%- endif %}
    ) -> None:
        super().__init__()
        check_fold(fold, folds)
        # What a trained model brings is the model's hyperparameter, not the data module's.
        self.save_hyperparameters(ignore=["preprocessing"{{ ', "classes"' if classify }}])
        self.given_preprocessing{{ ", self.given_classes" if classify }} = preprocessing{{ ", classes" if classify }}
        self.splits: dict[str, TensorBatches] = {}
        self.predict_keys: dict[str, list] = {}

    @property
    def not_features(self) -> dict[str, list[str]]:
        """The columns that are not features, by the option that names them."""
        h = self.hparams
        return {
            "target": [h.target],
            "id_column": [h.id_column] if h.id_column else [],
            "ignore_columns": h.ignore_columns or [],
        }

    @cached_property
    def rows(self) -> pd.DataFrame:
        """The rows of ``path``, checked: the named columns are there, and no cell that cannot be used."""
        h = self.hparams
        path = Path(h.path)
        rows = self.read(path, "path")
        for option, names in self.not_features.items():
            for name in names:
                if name not in rows.columns:
                    columns = ", ".join(rows.columns)
                    raise InputError(f"{path}: no column {name!r} (columns: {columns}); pass --data.{option}=COLUMN")
        check_cells(rows, [h.target], path, fillable=False)
        check_cells(rows, self.feature_columns(rows), path, h.fill_missing)
        return rows

    def read(self, path: Path, option: str) -> pd.DataFrame:
        if not path.is_file():
            raise InputError(f"CSV file {str(path)!r} not found: put your data there or pass --data.{option}=FILE")
        return read_table(path, self.hparams.delimiter, self.hparams.encoding)

    def feature_columns(self, rows: pd.DataFrame) -> list[str]:
        named = {name for names in self.not_features.values() for name in names}
        return [name for name in rows.columns if name not in named]

    @cached_property
    def split_rows(self) -> dict[str, Tensor]:
        """The positions of the train, val and test rows in ``rows``: those of fold ``fold``, if given."""
        h = self.hparams
{%- if classify %}
        labels = torch.tensor(pd.factorize(self.rows[h.target])[0])
        parts = split_indices(labels, h.val_fraction, h.test_fraction, h.seed)
        return parts if h.fold is None else fold_split(parts, labels, h.folds, h.fold, h.seed)
{%- else %}
        parts = split_indices(len(self.rows), h.val_fraction, h.test_fraction, h.seed)
        return parts if h.fold is None else fold_split(parts, h.folds, h.fold, h.seed)
{%- endif %}

    @cached_property
    def table(self) -> TablePreprocessing:
        if self.given_preprocessing is not None:
            return TablePreprocessing(**self.given_preprocessing)
        train = self.rows.iloc[self.split_rows["train"].tolist()]
        return TablePreprocessing.learn(train[self.feature_columns(train)], train[self.hparams.target])

    @property
    def preprocessing(self) -> dict:
        """What the model needs to read rows (plain values): learned from the train split, or given."""
        return asdict(self.table)
{%- if classify %}

    @cached_property
    def classes(self) -> list:
        """The labels of the target column, sorted: learned from the file, or given."""
        return self.given_classes or learn_classes(self.rows[self.hparams.target], Path(self.hparams.path))
{%- endif %}

    def setup(self, stage: str) -> None:
        """Turn the rows into tensors: the splits of ``path``, or for ``predict`` the rows of ``predict_path``."""
        if stage == "predict" and self.hparams.predict_path:
            self.splits["predict"] = TensorBatches(self.features(self.new_rows()))
            return
        for split, positions in self.split_rows.items():
            rows = self.rows.iloc[positions.tolist()]
            self.splits[split] = TensorBatches(self.features(rows), self.targets(rows))
        self.splits["predict"] = self.splits["test"]
        self.predict_keys = self.keys(self.rows.iloc[self.split_rows["test"].tolist()])

    def new_rows(self) -> pd.DataFrame:
        """The rows of ``predict_path``: the columns the model reads must be there; the target need not."""
        h = self.hparams
        path = Path(h.predict_path)
        rows = self.read(path, "predict_path")
        columns = self.table.columns
        missing = [name for name in columns if name not in rows.columns]
        if missing:
            raise InputError(f"{path} lacks columns that the model reads: {', '.join(missing)}; add them")
        ignored = [name for name in self.feature_columns(rows) if name not in columns]
        if ignored:
            rank_zero_info(f"{path}: columns {', '.join(ignored)} are not features of the model: they are not used")
        check_cells(rows, columns, path, h.fill_missing)
        self.predict_keys = self.keys(rows)
        return rows

    def keys(self, rows: pd.DataFrame) -> dict[str, list]:
        """What names each row in predictions.csv: its ``id_column``, or else its position in the file."""
        id_column = self.hparams.id_column
        if id_column and id_column in rows.columns:
            return {id_column: rows[id_column].tolist()}
        return {"row": rows.index.tolist()}

    def features(self, rows: pd.DataFrame) -> Tensor:
        if self.hparams.fill_missing:
            rows = self.table.fill_missing(rows)
        return self.table.features(rows)

    def targets(self, rows: pd.DataFrame) -> Tensor:
        labels = rows[self.hparams.target]
{%- if classify %}
        indices = labels.map({label: index for index, label in enumerate(self.classes)})
        unknown = indices.isna()
        if unknown.any():
            row = labels.index[unknown][0]
            raise InputError(
                f"{self.hparams.path} line {row + 2}: the label {labels[row]!r} is not one of the model's classes"
                f" ({', '.join(map(str, self.classes))}): train a new model to learn it"
            )
        return torch.tensor(indices.to_numpy(dtype="int64"))
{%- else %}
        return torch.tensor(labels.to_numpy(dtype="float32"))
{%- endif %}

{% include "dataloaders.py.j2" %}