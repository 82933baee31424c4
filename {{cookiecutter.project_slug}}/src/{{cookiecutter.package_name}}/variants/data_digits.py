{%- set image = cookiecutter.task in ("image_classification", "gan") -%}
"""The data: scikit-learn's bundled handwritten digits (1797 images of 8x8 pixels, 10 classes)."""

import pytorch_lightning as pl
import torch
from sklearn.datasets import load_digits
from torch import Tensor
from torch.utils.data import DataLoader

from {{ cookiecutter.package_name }}.batches import TensorBatches, as_batch
{%- if cookiecutter.task != "gan" %}
from {{ cookiecutter.package_name }}.errors import InputError
{%- endif %}


{% include "split.py.j2" %}

class DigitsDataModule(pl.LightningDataModule):
    """The digits data set that ships with scikit-learn: no download, so no ``prepare_data``.

    Pixels are scaled to [0, 1] and served as {{ "1x8x8 images" if image else "rows of 64 features" }}. The
    rows are split once, with ``seed``, into train, val and test.
{%- if cookiecutter.task != "gan" %}
    With ``fold`` (0 to ``folds`` - 1), for cross-validation, the train and val rows are cut into ``folds``
    folds instead: fold ``fold`` is val, the rest train; the test split stays the same.
{%- endif %}
    """

    def __init__(
        self,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
{%- if cookiecutter.task != "gan" %}
        folds: int = 5,
        fold: int | None = None,
{%- endif %}
        seed: int = 0,
        batch_size: int = 32,
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
{%- if image %}

    @property
    def in_channels(self) -> int:
        return 1

    @property
    def image_size(self) -> int:
        return 8
{%- else %}

    @property
    def num_features(self) -> int:
        return 64
{%- endif %}

    def setup(self, stage: str) -> None:
        """Load and split the data (the same split for every stage)."""
        digits = load_digits()
        features = torch.tensor(digits.data, dtype=torch.float32) / 16.0
        targets = torch.tensor(digits.target, dtype=torch.long)
{%- if image %}
        features = features.reshape(-1, 1, 8, 8)
{%- endif %}
        h = self.hparams
        self.splits = split(features, targets, h.val_fraction, h.test_fraction, h.seed{{ ", h.folds, h.fold" if cookiecutter.task != "gan" }})

{% include "dataloaders.py.j2" %}