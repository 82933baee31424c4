{%- set classify = cookiecutter.task == "image_classification" -%}
"""The data: a folder of images, one sub-folder per class, read with Pillow and decoded once into a cache."""

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import PIL
import pytorch_lightning as pl
import torch
from PIL import Image
from pytorch_lightning.utilities import rank_zero_info
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from {{ cookiecutter.package_name }}.atomic import written_whole
from {{ cookiecutter.package_name }}.batches import TensorBatches, as_batch
from {{ cookiecutter.package_name }}.errors import InputError

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
# What Pillow raises for a file it cannot decode: cut off, damaged, not an image, or too large to be one.
UNREADABLE = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)
# Part of every cache key: a cache file of an older layout is decoded again, not misread.
CACHE_FORMAT = 1


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
    except UNREADABLE as error:
        return str(error) or type(error).__name__
    return None


def decode(path: Path, mode: str, size: int) -> Tensor:
    """The image at ``path`` converted to ``mode`` and resized to ``size`` x ``size``: uint8, channels first."""
    with Image.open(path) as image:
        image.draft(mode, (size, size))
        image = image.convert(mode).resize((size, size))
        pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    return pixels.reshape(size, size, len(mode)).permute(2, 0, 1)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, which containers and job schedulers narrow), else all."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def available_memory() -> int | None:
    """Bytes of memory that new data can take without swapping (Linux's MemAvailable, else the free pages), or None."""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not a POSIX system, or one that does not say
        return None


class Decoded(NamedTuple):
    """A folder's images decoded: the readable ones' pixels in the order of the files, and why the others are not."""

    pixels: Tensor
    unreadable: dict[Path, str]


def decode_all(files: list[Path], mode: str, size: int) -> Decoded:
    """Decode every file, in threads: Pillow lets go of Python's lock while it decodes and resizes."""

    def attempt(path: Path) -> Tensor | str:
        try:
            return decode(path, mode, size)
        except UNREADABLE as error:
            return str(error) or type(error).__name__

    pixels = torch.empty(len(files), len(mode), size, size, dtype=torch.uint8)
    bad = {}
    with ThreadPoolExecutor(max_workers=min(usable_cpus(), 8)) as pool:
        for row, (path, result) in enumerate(zip(files, pool.map(attempt, files), strict=True)):
            if isinstance(result, str):
                bad[path] = result
            else:
                pixels[row] = result
    if bad:
        pixels = pixels[torch.tensor([path not in bad for path in files])]
    return Decoded(pixels, bad)


def cache_key(root: Path, files: list[Path], mode: str, size: int) -> str:
    """What decoded images depend on: each file's path under ``root``, size and modification time, and the settings."""
    digest = hashlib.sha256(f"{CACHE_FORMAT} {mode} {size} Pillow {PIL.__version__}".encode())
    for path in files:
        stat = path.stat()
        digest.update(f"\0{path.relative_to(root).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def checksum(pixels: Tensor) -> str:
    """A digest of the pixels' bytes, which ``torch.load`` reads without checking them."""
    return hashlib.sha256(pixels.contiguous().numpy()).hexdigest()


def read_cache(path: Path, key: str, root: Path, files: list[Path]) -> Decoded | None:
    """The images in the cache file at ``path`` if they were decoded from ``files`` as they are now (``key``).

    None when the file is missing, was written for other files or settings (stale), or is damaged.
    """
    try:
        cached = torch.load(path, weights_only=True)
    except FileNotFoundError:
        return None
    except Exception:  # whatever a cut-off or damaged file makes torch.load raise: it is only a cache
        rank_zero_info(f"{path} cannot be read: the images are decoded again")
        return None
    if not isinstance(cached, dict) or cached.get("key") != key:
        rank_zero_info(f"the images or their settings changed since {path} was written: they are decoded again")
        return None
    pixels, bad = cached["pixels"], {root / name: reason for name, reason in cached["unreadable"].items()}
    if len(pixels) != len(files) - len(bad) or checksum(pixels) != cached["checksum"]:
        rank_zero_info(f"{path} is damaged: the images are decoded again")
        return None
    return Decoded(pixels, bad)


def write_cache(path: Path, key: str, root: Path, decoded: Decoded) -> None:
    """Write ``decoded`` to the cache file at ``path``, whole or not at all; a disk that refuses it only says so."""
    unreadable = {file.relative_to(root).as_posix(): reason for file, reason in decoded.unreadable.items()}
    content = {"key": key, "pixels": decoded.pixels, "checksum": checksum(decoded.pixels), "unreadable": unreadable}
    try:
        with written_whole(path) as file:
            torch.save(content, file)
    except OSError as error:  # read-only, or full: this run goes on, and the next decodes again
        rank_zero_info(f"the decoded images cannot be cached in {path} ({error})")
    else:
        rank_zero_info(f"{len(decoded.pixels)} images decoded and cached in {path}")


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
        return decode(self.files[index], self.mode, self.image_size).float() / 255.0, self.labels[index]

    def __getitems__(self, rows: list[int]) -> tuple[Tensor, Tensor]:
        """A batch: its images decoded one by one and stacked, and their class indices."""
        pixels = torch.stack([decode(self.files[row], self.mode, self.image_size) for row in rows])
        return pixels.float() / 255.0, torch.tensor([self.labels[row] for row in rows])


class DecodedImages(TensorBatches):
    """Images decoded already (uint8) and their class indices, served as ``ImageFiles`` serves them: pixels / 255."""

    def __init__(self, files: list[Path], pixels: Tensor, labels: list[int]) -> None:
        super().__init__(pixels, torch.tensor(labels, dtype=torch.long))
        self.files = files

    @property
    def labels(self) -> list[int]:
        return self.tensors[1].tolist()

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        pixels, label = super().__getitem__(index)
        return pixels.float() / 255.0, label

    def __getitems__(self, rows: list[int]) -> tuple[Tensor, Tensor]:
        pixels, labels = super().__getitems__(rows)
        return pixels.float() / 255.0, labels
{%- if classify %}


def reflected(index: Tensor, size: int) -> Tensor:
    """Indices from -size + 1 to 2 * size - 2 mirrored into 0 to size - 1, as padding by reflection does."""
    index = index.abs()
    return torch.where(index > size - 1, 2 * (size - 1) - index, index)


def augment(images: Tensor, generator: torch.Generator) -> Tensor:
    """Each image flipped left to right or not, and shifted by up to an eighth of its size each way, the pixels
    shifted in mirrored from the edge (reflection padding, then a crop). A batch at once, on its device, drawn from
    ``generator``: one gather of the pixels, whose indices say where each comes from.
    """
    count, channels, size, _ = images.shape
    device, most = images.device, size // 8
    flipped = torch.rand(count, 1, generator=generator, device=device) < 0.5
    shifts = torch.randint(-most, most + 1, (2, count, 1), generator=generator, device=device)
    span = torch.arange(size, device=device)
    rows, columns = reflected(shifts[0] + span, size), reflected(shifts[1] + span, size)
    columns = torch.where(flipped, size - 1 - columns, columns)
    pixels = (rows[:, :, None] * size + columns[:, None, :]).flatten(1)
    moved = images.flatten(2).gather(2, pixels[:, None, :].expand(count, channels, size * size))
    return moved.view(count, channels, size, size)
{%- else %}


def augment(images: Tensor, generator: torch.Generator) -> Tensor:
    """Each image flipped left to right or not, at random: a batch at once, on its device, drawn from ``generator``.

    Flips only: a GAN's generator learns whatever its real images show, and shifts padded by reflection would teach
    it mirrored borders, which the photos do not have.
    """
    flipped = torch.rand(len(images), generator=generator, device=images.device) < 0.5
    return torch.where(flipped[:, None, None, None], images.flip(3), images)
{%- endif %}


class ImageFolderDataModule(pl.LightningDataModule):
    """Images under ``root/<class name>/``: ``root/cat/001.png``, ``root/dog/002.jpg``...

{%- if classify %}
    Classes are the sub-folder names in sorted order (or ``classes``, which a checkpoint brings).
{%- endif %}
    Hidden files and folders are not read. Images are converted to RGB (or to grayscale) and resized to
    ``image_size`` x ``image_size``. Every image is decoded once before training: one that Pillow cannot
    read stops the run with its name, or with ``skip_bad_images`` is left out and listed. The files are
    split once, with ``seed``, into train, val and test{{ ", each class in the same proportions" if classify }}.{% if classify %} With ``fold`` (0 to
    ``folds`` - 1, for cross-validation) the train and val files are then cut into ``folds`` folds: fold
    ``fold`` is val, the rest train, and the test files stay the same.{% endif %} They are local: nothing is
    downloaded.

    The decoded images (uint8) are kept in one file under ``cache_dir`` per folder and image settings, and
    later runs read them from there. The file says which files, of which sizes and modification times,
    and which settings (and Pillow version) it was decoded from: when any of them changes, the images are
    decoded again and the file is replaced, whole (a temporary file renamed). When the images would take
    more than half the free memory, or ``cache_dir`` is None, nothing is cached and each image is decoded
    when it is used, in ``num_workers`` worker processes.

    With ``augment``, every training batch is {{ "flipped and shifted" if classify else "flipped" }} at random on its device (the function
    ``augment``), drawn from a generator seeded with ``seed``, the run's seed (``seed_everything``), the
    process's rank and the epoch. Validation, test and predict batches are the images as they are.

    ``num_workers`` None chooses from the machine: 0 for decoded images (a batch is one indexing of a
    tensor, which worker processes would only copy), else the CPUs this process may use, shared by the
    processes of this machine, less one for training, at most 8.
{%- if classify %}
    ``predict`` reads the images under ``predict_path`` (no class folders needed, not cached), or else the test split.
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
        cache_dir: str | None = "data/cache",
        augment: bool = True,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
{%- if classify %}
        folds: int = 5,
        fold: int | None = None,
{%- endif %}
        seed: int = 0,
        batch_size: int = 64,
        num_workers: int | None = None,
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
        self.splits: dict[str, ImageFiles | DecodedImages] = {}
{%- if classify %}
        self.predict_keys: dict[str, list] = {}
{%- endif %}
        self.generator: tuple[tuple, torch.Generator] | None = None

    @cached_property
    def classes(self) -> list[str]:
{%- if classify %}
        if self.given_classes:
            return self.given_classes
{%- endif %}
        root = Path(self.hparams.root)
        folders = sorted(path.name for path in root.iterdir() if path.is_dir()) if root.is_dir() else []
        cache = Path(self.hparams.cache_dir).resolve() if self.hparams.cache_dir else None
        # Not .ipynb_checkpoints, nor the cache folder when it is inside (--data.root=data, and data/cache).
        classes = [name for name in folders if not name.startswith(".") and (root / name).resolve() != cache]
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
    def listed_files(self) -> dict[Path, int]:
        """Every image file under the class folders, and its class index."""
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
        return labels

    @cached_property
    def decoded(self) -> Decoded | None:
        """The listed images decoded, from the cache file or now (and then cached); None when they are not cached."""
        h = self.hparams
        if h.cache_dir is None:
            return None
        files = list(self.listed_files)
        needed = 2 * len(files) * self.in_channels * h.image_size**2  # the whole set, and its splits
        free = available_memory()
        if free is not None and needed * self.processes > free // 2:
            rank_zero_info(
                f"{len(files)} images of {h.image_size}x{h.image_size} would take {needed / 2**20:.0f} MiB per process,"
                " more than half the free memory: they are not cached but decoded every epoch (--data.num_workers)"
            )
            return None
        root = Path(h.root)
        key = cache_key(root, files, self.mode, h.image_size)
        decoded = read_cache(self.cache_path, key, root, files)
        if decoded is None:
            decoded = decode_all(files, self.mode, h.image_size)
            write_cache(self.cache_path, key, root, decoded)
        return decoded

    @property
    def cache_path(self) -> Path:
        """The cache file of this folder and these image settings: ``cache_dir/<folder>-<size>px-<mode>-<hash>.pt``."""
        h = self.hparams
        root = Path(h.root)
        name = hashlib.sha256(f"{root.resolve()} {self.mode} {h.image_size}".encode()).hexdigest()[:12]
        return Path(h.cache_dir) / f"{root.name}-{h.image_size}px-{self.mode.lower()}-{name}.pt"

    @cached_property
    def labelled_files(self) -> tuple[list[Path], list[int]]:
        """Every readable image under the class folders, and its class index."""
        labels = self.listed_files
        files = self.readable(list(labels), None if self.decoded is None else self.decoded.unreadable)
        return files, [labels[path] for path in files]

    def readable(self, files: list[Path], known: dict[Path, str] | None = None) -> list[Path]:
        """The files that Pillow decodes; an unreadable one stops the run, unless ``skip_bad_images``.

        ``known`` says why each unreadable file is, when the files were decoded already; without it, each is checked.
        """
        bad = []
        for path in files:
            reason = unreadable(path, self.mode, self.hparams.image_size) if known is None else known.get(path)
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
        """Check the images this command reads, once, before anything is written, and decode them into the cache.

        Lightning calls this on one process per machine, before the loggers start; the others read the cache in setup.
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
            if self.decoded is None:
                self.splits[split] = ImageFiles(picked_files, picked_labels, h.image_size, self.mode)
            else:
                self.splits[split] = DecodedImages(picked_files, self.decoded.pixels[rows], picked_labels)
{%- if classify %}
        self.splits["predict"] = self.splits["test"]
        self.predict_keys = {"file": [str(path.relative_to(h.root)) for path in self.splits["test"].files]}
{%- endif %}

    def on_after_batch_transfer(self, batch: tuple[Tensor, Tensor], dataloader_idx: int) -> tuple[Tensor, Tensor]:
        """Training batches {{ "flipped and shifted" if classify else "flipped" }} at random (``augment``), on their device; the others as they are."""
        if not (self.hparams.augment and self.trainer is not None and self.trainer.training):
            return batch
        images, labels = batch
        return augment(images, self.augmentation_generator(images.device)), labels

    def augmentation_generator(self, device: torch.device) -> torch.Generator:
        """The random numbers of this epoch's augmentation, on ``device``.

        Seeded with ``seed``, the run's seed (``seed_everything``), the process's rank and the epoch: a run
        draws the same again, and a run resumed from an epoch's checkpoint goes on as it would have.
        """
        seeds = (self.hparams.seed, torch.initial_seed(), self.trainer.global_rank, self.trainer.current_epoch)
        if self.generator is None or self.generator[0] != (*seeds, device):
            # A tuple of ints hashes to the same number in every run (only strings' hashes are salted per process).
            generator = torch.Generator(device).manual_seed(hash(seeds) % 2**63)
            self.generator = ((*seeds, device), generator)
        return self.generator[1]

    def workers_for(self, dataset: Dataset) -> int:
        """``num_workers``, or when it is None: none for decoded images, else ``decoding_workers``."""
        if self.hparams.num_workers is not None:
            return self.hparams.num_workers
        return 0 if isinstance(dataset, DecodedImages) else self.decoding_workers

    @property
    def decoding_workers(self) -> int:
        """The CPUs this process may use, shared by the training processes of this machine, less one, at most 8."""
        return min(8, max(0, usable_cpus() // self.processes - 1))

    @property
    def processes(self) -> int:
        """The training processes on this machine, each with its own loaders and its own copy of the data."""
        return self.trainer.num_devices if self.trainer is not None else 1

{% include "dataloaders.py.j2" %}