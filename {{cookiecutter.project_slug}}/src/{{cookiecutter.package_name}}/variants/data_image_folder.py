{%- set classify = cookiecutter.task == "image_classification" -%}
"""The data: a folder of images, one sub-folder per class, read with Pillow."""

from functools import cached_property
from pathlib import Path

import pytorch_lightning as pl
import torch
from PIL import Image
from pytorch_lightning.utilities import rank_zero_info
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from {{ cookiecutter.package_name }}.errors import InputError

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


def image_files(folder: Path) -> list[Path]:
    """The images under ``folder``, sorted, without hidden files (``.DS_Store``, macOS's ``._photo.jpg``...)."""
    files = (path for path in folder.rglob("*") if path.suffix.lower() in EXTENSIONS and path.is_file())
    return sorted(path for path in files if not any(part.startswith(".") for part in path.relative_to(folder).parts))


def unreadable(path: Path, mode: str, size: int) -> str | None:
    """Why Pillow cannot decode the image at ``path`` (cut off, damaged, not an image), or None if it can."""
    try:
        with Image.open(path) as image:
            image.draft(mode, (size, size))  # a JPEG decodes at the smallest scale that is large enough
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        return str(error) or type(error).__name__
    return None


{% include "split_indices.py.j2" %}
{%- if classify %}

{% include "folds.py.j2" %}
{%- endif %}

class ImageFiles(Dataset):
    """Image files and their class indices; each image is read, converted and resized when it is used."""

    def __init__(self, files: list[Path], labels: list[int], image_size: int, mode: str) -> None:
        self.files, self.labels = files, labels
        self.image_size, self.mode = image_size, mode

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        with Image.open(self.files[index]) as image:
            image.draft(self.mode, (self.image_size, self.image_size))
            image = image.convert(self.mode).resize((self.image_size, self.image_size))
            pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
        channels = len(self.mode)
        image_tensor = pixels.reshape(self.image_size, self.image_size, channels).permute(2, 0, 1)
        return image_tensor.float() / 255.0, self.labels[index]


class ImageFolderDataModule(pl.LightningDataModule):
    """Images under ``root/<class name>/``: ``root/cat/001.png``, ``root/dog/002.jpg``...

{%- if classify %}
    Classes are the sub-folder names in sorted order (or ``classes``, which a checkpoint brings).
{%- endif %}
    Hidden files and folders are not read. Every image is decoded once before training: one that Pillow
    cannot read stops the run with its name, or with ``skip_bad_images`` is left out and listed. Images
    are converted to RGB (or to grayscale) and resized to ``image_size`` x ``image_size``. The files are
    split once, with ``seed``, into train, val and test{{ ", each class in the same proportions" if classify }}.{% if classify %} With ``fold`` (0 to
    ``folds`` - 1, for cross-validation) the train and val files are then cut into ``folds`` folds: fold
    ``fold`` is val, the rest train, and the test files stay the same.{% endif %} They are local: there is
    no ``prepare_data``.
{%- if classify %}
    ``predict`` reads the images under ``predict_path`` (no class folders needed), or else the test split.
{%- endif %}
    """

    def __init__(
        self,
        root: str = "data/images",
        image_size: int = 32,
        grayscale: bool = False,
{%- if classify %}
        predict_path: str | None = None,
{%- endif %}
        skip_bad_images: bool = False,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
{%- if classify %}
        folds: int = 5,
        fold: int | None = None,
{%- endif %}
        seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
{%- if classify %}
        classes: list[str] | None = None,
{%- endif %}
    ) -> None:
        super().__init__()
{%- if classify %}
        check_fold(fold, folds)
        # What a trained model brings is the model's hyperparameter, not the data module's.
        self.save_hyperparameters(ignore=["classes"])
        self.given_classes = classes
{%- else %}
        self.save_hyperparameters()
{%- endif %}
        self.splits: dict[str, ImageFiles] = {}
{%- if classify %}
        self.predict_keys: dict[str, list] = {}
{%- endif %}

    @cached_property
    def classes(self) -> list[str]:
{%- if classify %}
        if self.given_classes:
            return self.given_classes
{%- endif %}
        root = Path(self.hparams.root)
        folders = sorted(path.name for path in root.iterdir() if path.is_dir()) if root.is_dir() else []
        classes = [name for name in folders if not name.startswith(".")]  # not .ipynb_checkpoints
        if not classes:
            raise InputError(
                f"no class folders in {str(root)!r}: put images in {root}/<class name>/ or pass --data.root=FOLDER"
            )
        return classes

    @property
    def in_channels(self) -> int:
        return 1 if self.hparams.grayscale else 3

    @property
    def image_size(self) -> int:
        return self.hparams.image_size

    @property
    def mode(self) -> str:
        return "L" if self.hparams.grayscale else "RGB"

    @cached_property
    def labelled_files(self) -> tuple[list[Path], list[int]]:
        """Every readable image under the class folders, and its class index."""
        labels = {}
        for label, name in enumerate(self.classes):
            folder = Path(self.hparams.root) / name
            found = image_files(folder) if folder.is_dir() else []
            if not found:
                raise InputError(
                    f"class folder {str(folder)!r} holds no images ({', '.join(sorted(EXTENSIONS))}):"
                    " add some, or remove the folder"
                )
            labels |= dict.fromkeys(found, label)
        files = self.readable(list(labels))
        return files, [labels[path] for path in files]

    def readable(self, files: list[Path]) -> list[Path]:
        """The files that Pillow decodes; an unreadable one stops the run, unless ``skip_bad_images``."""
        bad = []
        for path in files:
            reason = unreadable(path, self.mode, self.hparams.image_size)
            if reason is not None and not self.hparams.skip_bad_images:
                raise InputError(
                    f"{path} is not a readable image ({reason}): replace or delete it,"
                    " or pass --data.skip_bad_images=true to leave such files out"
                )
            if reason is not None:
                bad.append(path)
        if bad:
            rank_zero_info(f"{len(bad)} unreadable images left out: {', '.join(map(str, bad))}")
        return [path for path in files if path not in bad]

{%- if classify %}

    @cached_property
    def new_files(self) -> list[Path]:
        """The readable images under ``predict_path``."""
        folder = Path(self.hparams.predict_path)
        files = image_files(folder) if folder.is_dir() else []
        if not files:
            raise InputError(f"no images in {str(folder)!r}: pass the folder of images to predict")
        return self.readable(files)
{%- endif %}

    def prepare_data(self) -> None:
        """Check the images this command reads, once, before anything is written.

        Lightning calls this on one process per machine, before the loggers start; the others check in ``setup``.
        """
{%- if classify %}
        predicting = self.trainer is not None and self.trainer.state.fn == "predict"
        _ = self.new_files if predicting and self.hparams.predict_path else self.labelled_files
{%- else %}
        _ = self.labelled_files
{%- endif %}

    def setup(self, stage: str) -> None:
{%- if classify %}
        """List the images and split them (the same split for every stage); ``predict`` may read other images."""
{%- else %}
        """List the images and split them (the same split for every stage)."""
{%- endif %}
        h = self.hparams
{%- if classify %}
        if stage == "predict" and h.predict_path:
            files = self.new_files
            self.splits["predict"] = ImageFiles(files, [-1] * len(files), h.image_size, self.mode)
            self.predict_keys = {"file": [str(path.relative_to(h.predict_path)) for path in files]}
            return
{%- endif %}
        files, labels = self.labelled_files
{%- if classify %}
        parts = split_indices(torch.tensor(labels), h.val_fraction, h.test_fraction, h.seed)
        if h.fold is not None:
            parts = fold_split(parts, torch.tensor(labels), h.folds, h.fold, h.seed)
{%- else %}
        parts = split_indices(len(files), h.val_fraction, h.test_fraction, h.seed)
{%- endif %}
        for split, rows in parts.items():
            picked = rows.tolist()
            picked_files, picked_labels = [files[i] for i in picked], [labels[i] for i in picked]
            self.splits[split] = ImageFiles(picked_files, picked_labels, h.image_size, self.mode)
{%- if classify %}
        self.splits["predict"] = self.splits["test"]
        self.predict_keys = {"file": [str(path.relative_to(h.root)) for path in self.splits["test"].files]}
{%- endif %}

{% include "dataloaders.py.j2" %}