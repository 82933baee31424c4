{%- set classify = cookiecutter.task == "tabular_classification" -%}
{%- if classify -%}
{%- set make_data_set = "make_synthetic_table(h.samples_per_split, h.num_features, h.num_classes, h.noise, h.seed)" -%}
{%- else -%}
{%- set make_data_set = "make_synthetic_table(h.samples_per_split, h.num_features, h.noise, h.seed)" -%}
{%- endif -%}
"""The data: a LightningDataModule that prepares, splits and serves the data set."""

import pickle
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_info
from torch import Tensor
from torch.utils.data import DataLoader

from {{ cookiecutter.package_name }}.atomic import written_whole
from {{ cookiecutter.package_name }}.batches import TensorBatches, as_batch
from {{ cookiecutter.package_name }}.errors import InputError

SPLITS = ("train", "val", "test")


{% if classify -%}
def make_synthetic_table(
    num_samples: int, num_features: int, num_classes: int, noise: float, seed: int
) -> dict[str, tuple[Tensor, Tensor]]:
    """Draw labelled rows around one random centre per class.

    The same seed gives the same data on every machine and process, and the
    classes are learnable: each row is its class centre plus Gaussian noise.
    """
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(num_classes, num_features, generator=generator)
    splits = {}
    for split in SPLITS:
        labels = torch.randint(num_classes, (num_samples,), generator=generator)
        features = centres[labels] + noise * torch.randn(num_samples, num_features, generator=generator)
        splits[split] = (features, labels)
    return splits
{%- else -%}
def make_synthetic_table(
    num_samples: int, num_features: int, noise: float, seed: int
) -> dict[str, tuple[Tensor, Tensor]]:
    """Draw rows of standard normal features and a target that depends on them, plus noise.

    The same seed gives the same data on every machine and process. The target mixes a
    linear part and a smooth non-linear one, with unit variance before the noise.
    """
    generator = torch.Generator().manual_seed(seed)
    weights = torch.randn(num_features, generator=generator) / num_features**0.5
    splits = {}
    for split in SPLITS:
        features = torch.randn(num_samples, num_features, generator=generator)
        signal = 0.8 * features @ weights + 0.6 * torch.sin(2 * features[:, 0])
        targets = signal + noise * torch.randn(num_samples, generator=generator)
        splits[split] = (features, targets)
    return splits
{%- endif %}
{%- set tensor_splits = true %}


{% include "folds.py.j2" %}

class SyntheticDataModule(pl.LightningDataModule):
    """Synthetic {{ "classification" if classify else "regression" }} data, written once to ``data_dir`` and read back in ``setup``.

    Replace ``prepare_data`` with your download step and ``setup`` with your parsing: the rest of the
    project only needs the four dataloaders and the {{ "``num_features`` and ``classes`` properties" if classify else "``num_features`` property" }},
    which the command line passes on to the model. With ``fold`` (0 to ``folds`` - 1, for cross-validation)
    the train and val samples are pooled and cut into ``folds`` folds: fold ``fold`` is val, the rest train;
    the test split stays the same.
    """

    def __init__(
        self,
        data_dir: str = "data",
        num_features: int = 20,
{%- if classify %}
        num_classes: int = 4,
{%- endif %}
        samples_per_split: int = 2048,
        noise: float = {{ "1.5" if classify else "0.1" }},
        folds: int = 5,
        fold: int | None = None,
        seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        check_fold(fold, folds)
        self.save_hyperparameters()
        self.splits: dict[str, TensorBatches] = {}

    @property
    def num_features(self) -> int:
        return self.hparams.num_features
{%- if classify %}

    @property
    def classes(self) -> list[int]:
        return list(range(self.hparams.num_classes))
{%- endif %}

    @property
    def data_path(self) -> Path:
        h = self.hparams
        {{ 'name = f"synthetic-f{h.num_features}-c{h.num_classes}-n{h.samples_per_split}-noise{h.noise}-seed{h.seed}.pt"' if classify else 'name = f"synthetic-f{h.num_features}-n{h.samples_per_split}-noise{h.noise}-seed{h.seed}.pt"' }}
        return Path(h.data_dir) / name

{% include "synthetic_cache.py.j2" %}
{% include "dataloaders.py.j2" %}