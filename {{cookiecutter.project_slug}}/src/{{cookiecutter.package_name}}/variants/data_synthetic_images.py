"""The data: a LightningDataModule that prepares, splits and serves the data set."""
{%- set make_data_set = "make_synthetic_images(h.samples_per_split, h.num_classes, h.image_size, h.noise, h.seed)" %}

import pickle
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_info
from torch import Tensor
from torch.nn import functional as F
from torch.utils.data import DataLoader

from {{ cookiecutter.package_name }}.atomic import written_whole
from {{ cookiecutter.package_name }}.batches import TensorBatches, as_batch
{%- if cookiecutter.task != "gan" %}
from {{ cookiecutter.package_name }}.errors import InputError
{%- endif %}

SPLITS = ("train", "val", "test")


def make_synthetic_images(
    num_samples: int, num_classes: int, image_size: int, noise: float, seed: int
) -> dict[str, tuple[Tensor, Tensor]]:
    """Draw labelled images around one smooth random pattern per class.

    The same seed gives the same data on every machine and process, and the
    classes are learnable: each image is its class pattern plus Gaussian noise.
    """
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.randn(num_classes, 1, 4, 4, generator=generator)
    patterns = F.interpolate(coarse, size=image_size, mode="bilinear", align_corners=False)
    splits = {}
    for split in SPLITS:
        labels = torch.randint(num_classes, (num_samples,), generator=generator)
        images = patterns[labels] + noise * torch.randn(num_samples, 1, image_size, image_size, generator=generator)
        splits[split] = (images, labels)
    return splits


{% if cookiecutter.task != "gan" -%}
{%- set tensor_splits = true -%}
{% include "folds.py.j2" %}

{% endif -%}
class SyntheticDataModule(pl.LightningDataModule):
    """Synthetic labelled images, written once to ``data_dir`` and read back in ``setup``.

    Replace ``prepare_data`` with your download step and ``setup`` with your parsing: the rest of the
    project only needs the four dataloaders and the {{ "``in_channels`` and ``image_size``" if cookiecutter.task == "gan" else "``classes``, ``in_channels`` and ``image_size``" }}
    properties, which the command line passes on to the model.
{%- if cookiecutter.task != "gan" %}

    With ``fold`` (0 to ``folds`` - 1, for cross-validation) the train and val samples are pooled and cut
    into ``folds`` folds: fold ``fold`` is val, the rest train; the test split stays the same.
{%- endif %}
    """

    def __init__(
        self,
        data_dir: str = "data",
        num_classes: int = 10,
        image_size: int = 16,
        samples_per_split: int = 2048,
        noise: float = {{ "0.3" if cookiecutter.task == "gan" else "2.0" }},
{%- if cookiecutter.task != "gan" %}
        folds: int = 5,
        fold: int | None = None,
{%- endif %}
        seed: int = 0,
        batch_size: int = {{ 64 if cookiecutter.task == "gan" else 256 }},
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
        return list(range(self.hparams.num_classes))
{%- endif %}

    @property
    def in_channels(self) -> int:
        return 1

    @property
    def image_size(self) -> int:
        return self.hparams.image_size

    @property
    def data_path(self) -> Path:
        h = self.hparams
        name = f"synthetic-c{h.num_classes}-s{h.image_size}-n{h.samples_per_split}-noise{h.noise}-seed{h.seed}.pt"
        return Path(h.data_dir) / name

{% include "synthetic_cache.py.j2" %}
{% include "dataloaders.py.j2" %}