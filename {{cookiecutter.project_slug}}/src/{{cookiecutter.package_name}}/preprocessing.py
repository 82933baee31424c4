{%- set classify = cookiecutter.task == "tabular_classification" -%}
"""How the rows of a CSV file become the network's inputs, learned from the training rows only.

``read_table`` reads a file as spreadsheet programs and pandas write them. ``TablePreprocessing`` is what
the model keeps of the training rows: the mean and standard deviation of every numeric column and the
categories of every text column.
{%- if not classify %} It also keeps the mean and standard deviation of the target.{% endif %}
It holds plain lists and numbers, so it travels in the checkpoint's hyperparameters (loadable with
``weights_only=True``) and reads as YAML in ``hparams.yaml``. The model standardises with it, so every
caller of the model gets the same inputs.
"""

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from pandas.api.types import is_numeric_dtype
from pytorch_lightning.utilities import rank_zero_info
from torch import Tensor, nn
from torch.nn import functional as F

from {{ cookiecutter.package_name }}.errors import InputError

# Delimiters that the header line is searched for, when none is given.
DELIMITERS = ",;\t|"
# A text column whose cells are at least this share numbers is a numeric column with a typo in it.
MOSTLY_NUMBERS = 0.9


def read_table(path: Path, delimiter: str | None = None, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a CSV file with a header row as spreadsheet programs and pandas write it.

    - The delimiter (``,`` ``;`` tab or ``|``) is found in the header line, unless ``delimiter`` is given.
    - A UTF-8 byte-order mark (Excel's "CSV UTF-8") is skipped; ``encoding`` names any other text encoding.
    - A first column without a name is the index that pandas' ``to_csv`` writes: it is dropped, with a note.
    - A column of numbers is read as numbers even when they are padded with spaces or, with a delimiter
      other than ``,``, written with decimal commas (``1,5``, ``1.234,5``).
    - Spaces around column names and text cells, and rows with no value at all, are dropped.

    The frame's index is each row's position in the file, counting from 0 under the header, as pandas counts.
    """
    try:
        text_encoding = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    except LookupError:
        raise InputError(f"{encoding!r} is not a text encoding: pass one such as utf-8 or cp1252") from None
    try:
        with path.open(encoding=text_encoding, newline="") as file:
            delimiter = delimiter or find_delimiter(file.readline())
        rows = pd.read_csv(path, sep=delimiter, encoding=text_encoding, skipinitialspace=True)
    except FileNotFoundError:
        raise InputError(f"CSV file {str(path)!r} not found") from None
    except UnicodeDecodeError:
        raise InputError(
            f"{path} is not {encoding} text: save it as CSV UTF-8,"
            " or pass its encoding with --data.encoding (cp1252 for Excel's plain CSV on Windows)"
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path} is empty: it needs a header row and rows of data") from None
    except pd.errors.ParserError as error:
        raise InputError(f"{path}: {str(error).strip()}: check the delimiter, or pass --data.delimiter") from None
    rows.columns = [str(name).strip() for name in rows.columns]
    if rows.columns[0].startswith("Unnamed: 0"):
        rank_zero_info(f"{path}: the first column has no name (an index saved by pandas): it is not used")
        rows = rows.drop(columns=rows.columns[0])
    for name in text_columns(rows):
        cells = rows[name].str.strip()
        numbers = as_numbers(cells, decimal_commas=delimiter != ",")
        rows[name] = cells if numbers is None else numbers
    return rows.dropna(how="all")


def as_numbers(cells: pd.Series, decimal_commas: bool) -> pd.Series | None:
    """The numbers in a column of text, if every cell holds one: padded, or written ``1,5`` or ``1.234,5``."""
    spellings = [cells]
    if decimal_commas:
        spellings += [cells.str.replace(",", "."), cells.str.replace(".", "").str.replace(",", ".")]
    for spelling in spellings:
        numbers = pd.to_numeric(spelling, errors="coerce")
        if numbers.notna().sum() == cells.notna().sum():
            return numbers
    return None


def find_delimiter(header: str) -> str:
    """The delimiter of a CSV file, found in its header line; ``,`` for a file of one column."""
    try:
        return csv.Sniffer().sniff(header, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def text_columns(rows: pd.DataFrame) -> list[str]:
    return [name for name in rows.columns if not is_numeric_dtype(rows[name])]


def cell(source: object, cells: pd.Series, where: pd.Series) -> str:
    """Where the first cell that ``where`` marks is: its line in the file (the header is line 1) and its row."""
    row = cells.index[where][0]
    return f"{source} line {row + 2} (row {row}), column {cells.name!r}"


def check_cells(
    rows: pd.DataFrame, columns: list[str], source: object, allow_empty: bool = False, fillable: bool = True
) -> None:
    """Stop at the first empty (or NaN) or infinite cell of ``columns``, and at text in a column of numbers.

    ``fillable``: the error suggests ``--data.fill_missing`` (not for the target, which is never filled).
    """
    for name in columns:
        cells = rows[name]
        if not allow_empty and cells.isna().any():
            fill = ", or pass --data.fill_missing=true to fill empty cells" if fillable else ""
            raise InputError(f"{cell(source, cells, cells.isna())}: the cell is empty: fill it or drop the row{fill}")
        if is_numeric_dtype(cells):
            infinite = cells.abs() == float("inf")
            if infinite.any():
                raise InputError(f"{cell(source, cells, infinite)}: the cell is infinite: replace it with a number")
            continue
        numbers = pd.to_numeric(cells, errors="coerce")
        not_numbers = cells.notna() & numbers.isna()
        if not_numbers.any() and numbers.notna().sum() >= MOSTLY_NUMBERS * cells.notna().sum():
            raise InputError(
                f"{cell(source, cells, not_numbers)}: {cells[not_numbers].iloc[0]!r} is not a number,"
                " unlike the rest of the column: fix the cell"
            )
{%- if classify %}


def learn_classes(labels: pd.Series, source: Path) -> list:
    """The distinct labels of the target column, sorted: the classes, in the order of the network's outputs."""
    if is_numeric_dtype(labels) and (labels % 1 != 0).any():
        example = labels[labels % 1 != 0].iloc[0]
        raise InputError(
            f"{source}: the target column {labels.name!r} holds numbers such as {example}, not class labels:"
            " predict numbers with a regression project, or pass the column of labels with --data.target"
        )
    classes = sorted(labels.unique().tolist())
    if len(classes) < 2:
        raise InputError(f"{source}: the target column {labels.name!r} holds one class only: a classifier needs two")
    return classes
{%- endif %}


@dataclass
class TablePreprocessing:
    """What the model keeps of the training rows to turn any row of the table into the network's inputs.

    The inputs are the numeric columns, raw (the model standardises them with ``numeric``'s mean and
    standard deviation), then one input per category of each text column: 1 for the row's category, 0
    for the others. A category that the training rows did not have, and an empty text cell, give all 0.
    """

    target: str
    numeric: dict[str, list[float]]  # column -> [mean, standard deviation] over the training rows
    text: dict[str, list[str]]  # column -> its categories in the training rows
{%- if not classify %}
    target_scale: list[float]  # [mean, standard deviation] of the target over the training rows
{%- endif %}

    @classmethod
    def learn(cls, features: pd.DataFrame, target: pd.Series) -> "TablePreprocessing":
        """Learn from the training rows; text columns with mostly distinct values (names, ids) are left out."""
        numeric, text, left_out = {}, {}, []
        for name in features.columns:
            cells = features[name]
            if is_numeric_dtype(cells):
                numeric[name] = mean_and_std(cells.astype("float64"))
            elif cells.nunique() > len(cells) / 2:
                left_out.append(name)
            else:
                text[name] = sorted(cells.dropna().astype(str).unique().tolist())
        if left_out:
            rank_zero_info(
                f"columns {', '.join(map(repr, left_out))} have a different text in most rows (names or ids):"
                " they are not used as features"
            )
{%- if classify %}
        return cls(str(target.name), numeric, text)
{%- else %}
        return cls(str(target.name), numeric, text, mean_and_std(target.astype("float64")))
{%- endif %}

    @property
    def columns(self) -> list[str]:
        """The columns the model reads."""
        return [*self.numeric, *self.text]

    @property
    def num_features(self) -> int:
        return len(self.numeric) + sum(len(categories) for categories in self.text.values())

    def scaling(self) -> tuple[Tensor, Tensor]:
        """The mean and standard deviation of every input: the training statistics, and 0 and 1 for categories."""
        num_categories = self.num_features - len(self.numeric)
        mean = [mean for mean, _ in self.numeric.values()] + [0.0] * num_categories
        std = [std for _, std in self.numeric.values()] + [1.0] * num_categories
        return torch.tensor(mean), torch.tensor(std)

    def fill_missing(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Empty numeric cells take the training mean; empty text cells stay empty (no category)."""
        return rows.fillna({name: mean for name, (mean, _) in self.numeric.items()})

    def features(self, rows: pd.DataFrame) -> Tensor:
        """The network's inputs for ``rows``, before standardisation: one row of float32 per row."""
        numbers = torch.tensor(rows[list(self.numeric)].to_numpy(dtype="float32")).reshape(len(rows), -1)
        one_hot = [numbers]
        for name, categories in self.text.items():
            index = {category: position for position, category in enumerate(categories)}
            codes = rows[name].astype(str).map(index).fillna(-1).to_numpy(dtype="int64")
            # Code -1 (an unknown or empty cell) becomes the dropped first column: all zeros.
            one_hot.append(F.one_hot(torch.tensor(codes) + 1, len(categories) + 1)[:, 1:].float())
        return torch.cat(one_hot, dim=1)


class Standardize(nn.Module):
    """``(x - mean) / std`` with the training statistics: the model's first step, so every caller gets it."""

    def __init__(self, mean: Tensor, std: Tensor) -> None:
        super().__init__()
        # Not in the state dict: the hyperparameters hold them already.
        self.register_buffer("mean", mean, persistent=False)
        self.register_buffer("std", std, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std


def mean_and_std(values: pd.Series) -> list[float]:
    """Mean and standard deviation; 1 for a constant column, so that standardising it gives 0, not NaN."""
    std = float(values.std(ddof=0))
    return [float(values.mean()), std if std > 0 else 1.0]
