{%- set classify = cookiecutter.task == "image_classification" -%}
"""Image folders as people have them: hidden files, images that Pillow cannot read{{ ", new images to predict" if classify }}; the cache of
decoded images, the augmentation of training batches and the number of worker processes."""

{% if classify and cookiecutter.callback_checkpoint -%}
import csv
{% endif -%}
import os
{% if classify and cookiecutter.callback_checkpoint -%}
import shutil
{% endif -%}
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from PIL import Image
from pytorch_lightning import Callback, LightningModule, Trainer
from torch import Tensor
{%- if classify %}
from torch.nn import functional as F
{%- endif %}

from {{ cookiecutter.package_name }} import data as data_module
from {{ cookiecutter.package_name }}.cli import run_cli
from {{ cookiecutter.package_name }}.data import DecodedImages, ImageFiles, ImageFolderDataModule, augment

from .conftest import {{ "CHECKPOINT_DIR, " if classify and cookiecutter.callback_checkpoint }}QUIET, {{ "TrainedRun, " if classify and cookiecutter.callback_checkpoint }}run_main

FAST_DEV_RUN = ["--config", "configs/debug/fast_dev_run.yaml", *QUIET]
KINDS = ("truncated", "not an image", "empty")
CACHE = Path("data/cache")


def damage(folder: Path, *kinds: str) -> dict[str, Path]:
    """Files that Pillow cannot decode, as they turn up in photo folders, beside a good JPEG."""
    with Image.open(next(folder.glob("*.png"))) as image:
        image.convert("RGB").resize((64, 64)).save(folder / "whole.jpg", quality=95)
    data = (folder / "whole.jpg").read_bytes()
    written = {
        "truncated": ("truncated.jpg", data[: len(data) // 2]),  # a copy that stopped half-way
        "not an image": ("notes.png", b"shopping list"),  # text saved under an image's name
        "empty": ("empty.jpeg", b""),
    }
    files = {}
    for kind in kinds:
        name, content = written[kind]
        files[kind] = folder / name
        files[kind].write_bytes(content)
    return files


def test_hidden_and_system_files_are_not_read(workdir: Path) -> None:
    root = workdir / "data" / "images"
    before = ImageFolderDataModule(root=str(root)).labelled_files
    # What macOS, Windows and Jupyter leave in folders: AppleDouble files named like images, and hidden folders.
    (root / "class_0" / "._0000.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (root / "class_0" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "class_1" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / ".ipynb_checkpoints").mkdir()
    (root / "class_2" / ".thumbnails").mkdir()
    (root / "class_2" / ".thumbnails" / "0000.png").write_bytes(b"not read")
    data = ImageFolderDataModule(root=str(root))
    assert data.classes == ["class_0", "class_1", "class_2"]
    assert data.labelled_files == before
    assert run_cli(["fit", *FAST_DEV_RUN]).trainer.state.finished


def test_a_folder_without_class_folders_is_named(workdir: Path) -> None:
    Path("data/empty").mkdir()
    assert run_main("fit", "--data.root=data/empty") == (
        "error: no class folders in 'data/empty': put images in data/empty/<class name>/ or pass --data.root=FOLDER"
    )


def test_a_class_folder_without_images_is_named(workdir: Path) -> None:
    Path("data/images/class_3").mkdir()
    line = run_main("fit")
    assert line.startswith("error: class folder 'data/images/class_3' holds no images (")


@pytest.mark.parametrize("kind", KINDS)
def test_an_image_that_cannot_be_read_stops_fit_before_training_and_is_named(workdir: Path, kind: str) -> None:
    bad = damage(workdir / "data" / "images" / "class_1", kind)[kind]
    line = run_main("fit")
    assert line.startswith(f"error: data/images/class_1/{bad.name} is not a readable image (")
    assert line.endswith(": replace or delete it, or pass --data.skip_bad_images=true to leave such files out")
    assert "\n" not in line
    assert not (workdir / "{{ cookiecutter.__runs_dir }}").exists()  # nothing was trained or written


def test_unreadable_images_can_be_left_out_and_are_listed(workdir: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = damage(workdir / "data" / "images" / "class_1", *KINDS)
    data = ImageFolderDataModule(skip_bad_images=True)
    files, _ = data.labelled_files
    assert not set(bad.values()) & set(files)
    assert workdir / "data" / "images" / "class_1" / "whole.jpg" in [workdir / path for path in files]
    assert "3 unreadable images left out: " in caplog.text
    assert all(str(path.relative_to(workdir)) in caplog.text for path in bad.values())
    assert run_cli(["fit", "--data.skip_bad_images=true", *FAST_DEV_RUN]).trainer.state.finished


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files that Pillow opens from now on, in any thread."""
    files, open_image = [], Image.open

    def counted(path: Path, *args, **kwargs) -> Image.Image:
        files.append(Path(path))
        return open_image(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counted)
    return files


def prepared(**options) -> ImageFolderDataModule:
    """A data module that has checked, decoded and split the images, as `fit` and `test` do before they start."""
    data = ImageFolderDataModule(**options)
    data.prepare_data()
    data.setup("fit")
    data.setup("test")
    return data


def cache_files() -> list[Path]:
    """Everything in the cache folder: cache files, and temporary files if a write left one."""
    return sorted(CACHE.iterdir()) if CACHE.is_dir() else []


def served(data: ImageFolderDataModule, split: str) -> tuple[Tensor, Tensor]:
    """Every image and label of a split, in order, as its DataLoader serves them (without shuffling)."""
    images, labels = zip(*data._loader(split), strict=True)
    return torch.cat(images), torch.cat(labels)


def test_the_cache_knows_which_images_are_unreadable(workdir: Path, opened: list[Path]) -> None:
    damage(workdir / "data" / "images" / "class_1", "truncated")
    line = run_main("fit")  # every image decoded, the cache written, then the run stopped
    assert line.startswith("error: data/images/class_1/truncated.jpg is not a readable image (")
    opened.clear()
    assert run_main("fit") == line  # the same line, from the cache
    files, _ = ImageFolderDataModule(skip_bad_images=True).labelled_files
    assert Path("data/images/class_1/truncated.jpg") not in files
    assert opened == []


def test_images_are_decoded_once_and_read_from_the_cache_after(workdir: Path, opened: list[Path]) -> None:
    first = prepared()
    assert sorted(opened) == sorted(first.labelled_files[0])  # each image decoded once, to cache and check it
    (cache,) = cache_files()  # one file, and no temporary file left beside it
    assert cache.suffix == ".pt"
    opened.clear()
    second = prepared()
    assert opened == []  # no image decoded, nor checked: the cache knows the unreadable ones
    assert second.labelled_files == first.labelled_files
    for split in ("train", "val", "test"):
        assert isinstance(second.splits[split], DecodedImages)
        assert second.splits[split].files == first.splits[split].files
        assert all(map(torch.equal, served(second, split), served(first, split)))


def test_a_cache_folder_among_the_class_folders_is_not_a_class(workdir: Path, opened: list[Path]) -> None:
    # --data.root=data with the images in data/<class name>/: the default cache folder, data/cache, is among them.
    first = prepared(root="data/images", cache_dir="data/images/cache")
    opened.clear()
    second = prepared(root="data/images", cache_dir="data/images/cache")
    assert second.classes == first.classes == ["class_0", "class_1", "class_2"]
    assert opened == []


@pytest.mark.parametrize("change", ["added", "edited", "removed", "touched", "image_size"])
def test_images_are_decoded_again_when_a_file_or_a_setting_changes(
    workdir: Path, opened: list[Path], change: str
) -> None:
    count = len(prepared().labelled_files[0])
    (before,) = cache_files()
    photo, options = Path("data/images/class_1/0000.png"), {}
    if change in ("added", "edited"):  # a new photo, or one edited in place (the same name, new pixels)
        with Image.open(photo) as image:
            flipped = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        flipped.save(photo.with_stem("new") if change == "added" else photo)
    elif change == "removed":
        photo.unlink()
    elif change == "touched":  # the same bytes, a new modification time: edited and undone, or copied over
        stat = photo.stat()
        os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    else:
        options["image_size"] = 24
    opened.clear()
    data = prepared(**options)
    files = data.labelled_files[0]
    assert sorted(opened) == sorted(files)  # every image decoded again
    assert len(files) == count + {"added": 1, "removed": -1}.get(change, 0)
    size = options.get("image_size", 32)
    assert data.splits["train"].tensors[0].shape[1:] == (3, size, size)
    if options:  # other settings have a cache file of their own
        assert len(cache_files()) == 2 and before in cache_files()
    else:  # the same settings replace theirs
        assert cache_files() == [before]
    if change == "edited":  # the cache holds the new pixels
        (split,) = [data.splits[name] for name in ("train", "val", "test") if photo in data.splits[name].files]
        assert torch.equal(split[split.files.index(photo)][0], ImageFiles([photo], [1], 32, "RGB")[0][0])
    opened.clear()
    prepared(**options)
    assert opened == []  # and read from the new file after


@pytest.mark.parametrize("damage_kind", ["cut off", "changed bytes"])
def test_a_damaged_cache_file_is_decoded_again(
    workdir: Path, opened: list[Path], caplog: pytest.LogCaptureFixture, damage_kind: str
) -> None:
    whole = prepared()
    (cache,) = cache_files()
    content = bytearray(cache.read_bytes())
    if damage_kind == "cut off":  # as a full disk under an older, non-atomic writer leaves it
        content = content[: len(content) // 2]
    else:  # a bit flipped in the middle of the pixels, which torch.load does not notice by itself
        content[len(content) // 2] ^= 0xFF
    cache.write_bytes(content)
    opened.clear()
    data = prepared()
    assert sorted(opened) == sorted(data.labelled_files[0])
    assert "the images are decoded again" in caplog.text
    assert all(map(torch.equal, served(data, "train"), served(whole, "train")))
    opened.clear()
    prepared()
    assert opened == []
    assert cache_files() == [cache]


def test_runs_that_decode_at_once_both_get_the_images(workdir: Path) -> None:
    # Two fits started together, in threads here: both decode, both write, the last rename wins, whole.
    results = {}
    threads = [threading.Thread(target=lambda run=run: results.update({run: prepared()})) for run in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(map(torch.equal, served(results[0], "train"), served(results[1], "train")))
    assert len(cache_files()) == 1
    assert all(map(torch.equal, served(prepared(), "train"), served(results[0], "train")))


@pytest.mark.parametrize("reason", ["too large for the memory", "no cache folder"])
def test_images_that_are_not_cached_are_served_the_same(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, reason: str
) -> None:
    cached = prepared()
    if reason == "too large for the memory":
        monkeypatch.setattr(data_module, "available_memory", lambda: 2**20)  # a megabyte free
        options = {"cache_dir": "data/elsewhere"}
    else:
        options = {"cache_dir": None}
    decoded_as_used = prepared(num_workers=0, **options)
    assert not Path("data/elsewhere").exists()
    if reason == "too large for the memory":
        assert "more than half the free memory: they are not cached but decoded every epoch" in caplog.text
    for split in ("train", "val", "test"):
        assert isinstance(decoded_as_used.splits[split], ImageFiles)
        assert all(map(torch.equal, served(decoded_as_used, split), served(cached, split)))


def test_num_workers_none_is_chosen_from_the_machine(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cached, decoded_as_used = prepared(), prepared(cache_dir=None)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert data_module.usable_cpus() == cpus
    assert cached.train_dataloader().num_workers == 0  # a batch of cached images is one indexing
    for loader in (decoded_as_used.train_dataloader(), decoded_as_used.val_dataloader()):
        assert (loader.num_workers, loader.persistent_workers) == (min(cpus - 1, 8), cpus > 1)
    # Other machines: the CPUs less one, shared by the training processes of the machine, at most 8.
    for cpus, devices, expected in [(1, 1, 0), (4, 1, 3), (64, 1, 8), (8, 2, 3), (2, 2, 0)]:
        monkeypatch.setattr(data_module, "usable_cpus", lambda cpus=cpus: cpus)
        for data in (cached, decoded_as_used):
            data.trainer = SimpleNamespace(num_devices=devices)
        assert cached.workers_for(cached.splits["train"]) == 0
        assert decoded_as_used.workers_for(decoded_as_used.splits["train"]) == expected, (cpus, devices)
    for data in (prepared(num_workers=2), prepared(num_workers=2, cache_dir=None)):
        assert (data.train_dataloader().num_workers, data.train_dataloader().persistent_workers) == (2, True)
{%- if classify %}


def candidates(image: Tensor) -> Tensor:
    """Every image that augmentation may make of ``image``: flipped or not, shifted by up to an eighth of its size."""
    size = image.shape[-1]
    pad = size // 8
    padded = F.pad(torch.stack([image, image.flip(2)]), (pad, pad, pad, pad), mode="reflect")
    crops = padded.unfold(2, size, 1).unfold(3, size, 1)  # flipped, channel, top, left, row, column
    return crops.permute(0, 2, 3, 1, 4, 5).reshape(-1, *image.shape)
{%- else %}


def candidates(image: Tensor) -> Tensor:
    """Every image that augmentation may make of ``image``: itself, or itself flipped left to right."""
    return torch.stack([image, image.flip(2)])
{%- endif %}


def which(augmented: Tensor, images: Tensor) -> list[int]:
    """For each augmented image, which of the ``candidates`` of the image in its place it is (-1: none of them)."""
    found = []
    for image, result in zip(images, augmented, strict=True):
        same = (candidates(image) == result).flatten(1).all(dim=1).nonzero().flatten().tolist()
        found.append(same[0] if same else -1)
    return found


def test_augmentation_{{ "flips_and_shifts" if classify else "only_flips" }}_each_image_at_random() -> None:
    images = torch.rand(64, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    augmented = augment(images, torch.Generator().manual_seed(1))
    assert (augmented.shape, augmented.dtype) == (images.shape, images.dtype)
    assert augmented.min() >= 0 and augmented.max() <= 1
    found = which(augmented, images)
    assert -1 not in found
{%- if classify %}
    shifts = (2 * (32 // 8) + 1) ** 2
    assert {index // shifts for index in found} == {0, 1}  # some flipped, some not
    assert len({index % shifts for index in found}) > 20  # shifted to many places
{%- else %}
    assert set(found) == {0, 1}  # some flipped, some not
{%- endif %}


def fake_trainer(training: bool = True, rank: int = 0, epoch: int = 0) -> SimpleNamespace:
    """What the data module's batch hook reads of its trainer."""
    return SimpleNamespace(training=training, global_rank=rank, current_epoch=epoch)


def test_only_training_batches_are_augmented_and_the_same_seeds_draw_the_same(workdir: Path) -> None:
    torch.manual_seed(42)  # as seed_everything does
    data = prepared()
    batch = next(iter(data.val_dataloader()))

    def augmented(trainer: SimpleNamespace, **options) -> Tensor:
        data = ImageFolderDataModule(**options)
        data.trainer = trainer
        images, labels = data.on_after_batch_transfer(batch, 0)
        assert labels is batch[1]
        return images

    assert data.on_after_batch_transfer(batch, 0) is batch  # outside a trainer: as it is
    assert torch.equal(augmented(fake_trainer(training=False)), batch[0])  # validating, testing, predicting
    assert torch.equal(augmented(fake_trainer(), augment=False), batch[0])
    first = augmented(fake_trainer())
    assert not torch.equal(first, batch[0])
    assert -1 not in which(first, batch[0])
    assert torch.equal(augmented(fake_trainer()), first)  # the same seeds, the same draw
    for trainer, options in [(fake_trainer(epoch=1), {}), (fake_trainer(rank=1), {}), (fake_trainer(), {"seed": 1})]:
        assert not torch.equal(augmented(trainer, **options), first)
    torch.manual_seed(43)  # another --seed_everything
    assert not torch.equal(augmented(fake_trainer()), first)


class SeenBatches(Callback):
    """The first training and validation batch as the model gets them: on its device, after the data module's hooks."""

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: tuple, batch_idx: int) -> None:
        self.train = getattr(self, "train", batch)

    def on_validation_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: tuple, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        self.val = getattr(self, "val", batch)


def test_fit_augments_the_training_batches_only(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = {}

    def keep(self: ImageFolderDataModule, batch: tuple, dataloader_idx: int) -> tuple:
        loaded.setdefault("train" if self.trainer.training else "val", batch)
        return batch

    monkeypatch.setattr(ImageFolderDataModule, "on_before_batch_transfer", keep)
    cli = run_cli(["fit", "--trainer.callbacks+=tests.test_image_folder_data.SeenBatches", *FAST_DEV_RUN])
    (seen,) = [callback for callback in cli.trainer.callbacks if isinstance(callback, SeenBatches)]
    assert not torch.equal(seen.train[0], loaded["train"][0])
    assert -1 not in which(seen.train[0], loaded["train"][0])
    assert torch.equal(seen.train[1], loaded["train"][1])
    assert all(map(torch.equal, seen.val, loaded["val"]))
{%- if classify and cookiecutter.callback_checkpoint %}


def test_predict_names_new_images_by_file_and_class(trained: TrainedRun, workdir: Path) -> None:
    # Photos to sort, not in class folders, some in a sub-folder; the training folder is gone.
    new, truth = workdir / "new", {}
    for label in ("class_0", "class_1", "class_2"):
        for index, image in enumerate(sorted((workdir / "data" / "images" / label).glob("*.png"))[-20:]):
            name = f"{'more/' if index % 4 == 0 else ''}photo_{label[-1]}{index:02d}.png"
            (new / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(image, new / name)
            truth[name] = label
    (new / "._photo_000.png").write_bytes(b"AppleDouble")
    shutil.rmtree(workdir / "data" / "images")
    (checkpoint,) = (trained.path / CHECKPOINT_DIR).glob("best-*.ckpt")

    run_cli(["predict", "--ckpt_path", str(checkpoint), "--data.predict_path=new", *QUIET])
    with (workdir / "predictions" / "predictions.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["file"] for row in rows] == sorted(truth)
    assert list(rows[0]) == ["file", "prediction", "probability_class_0", "probability_class_1", "probability_class_2"]
    assert sum(row["prediction"] == truth[row["file"]] for row in rows) >= 0.9 * len(rows)


def test_predict_without_images_says_so(trained: TrainedRun, workdir: Path) -> None:
    (workdir / "empty").mkdir()
    (checkpoint,) = (trained.path / CHECKPOINT_DIR).glob("best-*.ckpt")
    assert run_main("predict", "--ckpt_path", str(checkpoint), "--data.predict_path=empty") == (
        "error: no images in 'empty': pass the folder of images to predict"
    )
{%- endif %}
