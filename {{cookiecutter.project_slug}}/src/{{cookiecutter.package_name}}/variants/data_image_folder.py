"""The data: a folder of images, one sub-folder per class, read with Pillow."""

from functools import cached_property
from pathlib import Path

import pytorch_lightning as pl
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from {{ cookiecutter.package_name }}.errors import InputError

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


{% include "split_indices.py.j2" %}

class ImageFiles(Dataset):
    """Image files and their class indices; each image is read, converted and resized when it is used."""

    def __init__(self, files: list[Path], labels: list[int], image_size: int, mode: str) -> None:
        self.files, self.labels = files, labels
        self.image_size, self.mode = image_size, mode

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        with Image.open(self.files[index]) as image:
            image = image.convert(self.mode).resize((self.image_size, self.image_size))
            pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
        channels = len(self.mode)
        image_tensor = pixels.reshape(self.image_size, self.image_size, channels).permute(2, 0, 1)
        return image_tensor.float() / 255.0, self.labels[index]


class ImageFolderDataModule(pl.LightningDataModule):
    """Images under ``root/<class name>/``: ``root/cat/001.png``, ``root/dog/002.jpg``...

    Classes are the sub-folder names in sorted order. Every image is converted to RGB (or to
    grayscale) and resized to ``image_size`` x ``image_size``. The files are split once, with
    ``seed``, into train, val and test. They are local, so there is no ``prepare_data``.
    """

    def __init__(
        self,
        root: str = "data/images",
        image_size: int = 32,
        grayscale: bool = False,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.splits: dict[str, ImageFiles] = {}

    @cached_property
    def classes(self) -> list[str]:
        root = Path(self.hparams.root)
        classes = sorted(path.name for path in root.iterdir() if path.is_dir()) if root.is_dir() else []
        if not classes:
            raise InputError(
                f"no class folders in {str(root)!r}: put images in {root}/<class name>/ or pass --data.root=FOLDER"
            )
        return classes

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def in_channels(self) -> int:
        return 1 if self.hparams.grayscale else 3

    @property
    def image_size(self) -> int:
        return self.hparams.image_size

    def setup(self, stage: str) -> None:
        """List the images and split them (the same split for every stage)."""
        h = self.hparams
        files, labels = [], []
        for label, name in enumerate(self.classes):
            found = sorted(path for path in (Path(h.root) / name).iterdir() if path.suffix.lower() in EXTENSIONS)
            if not found:
                raise InputError(
                    f"class folder {str(Path(h.root) / name)!r} holds no images ({', '.join(sorted(EXTENSIONS))}):"
                    " add some, or remove the folder"
                )
            files += found
            labels += [label] * len(found)
        mode = "L" if h.grayscale else "RGB"
        for split, rows in split_indices(len(files), h.val_fraction, h.test_fraction, h.seed).items():
            picked = rows.tolist()
            self.splits[split] = ImageFiles([files[i] for i in picked], [labels[i] for i in picked], h.image_size, mode)

{% include "dataloaders.py.j2" %}