"""Benchmark a rendered project's image-folder data: images decoded once and cached, against decoded every epoch.

    python benchmarks/bench_images.py                        # 300 photos, 4 epochs, 3 rounds: about a minute here
    python benchmarks/bench_images.py --rounds 5 --threads 1  # one torch thread: steadier on a busy machine
    python benchmarks/bench_images.py --device cuda          # on a machine with a GPU

Bakes an image-classification project with `data_source=image_folder`, installs it into its own
environment (tests/environments.py, as run.py does) and writes a folder of real photos into its
`data/images/`: JPEG crops, 240 to 420 pixels square, of scikit-learn's two sample photos and
matplotlib's `grace_hopper.jpg` (where matplotlib ships it), one class folder per photo. Then, in one run:

  fit     `python -m PACKAGE fit` as a user runs it, in a fresh process each time: `new` with the
          project's defaults (decoded images from the cache, augmentation, workers chosen from the machine,
          channels-last weights) against `uncached`, the same project with `--data.cache_dir=null
          --data.num_workers=0 --data.augment=false`, which decodes every image with Pillow, in the
          training process, in every epoch, as the template's data path did before the cache, and `old`,
          which also adds `--model.channels_last=false`: the template as it was before both. One `new` fit
          writes the cache first (its start-up is the cold start); then the three take turns, in an order
          that reverses from round to round, for `--rounds` rounds. An epoch runs from one training epoch's
          start to the next (validation, checkpoints and logging included); the first epoch is reported
          apart from the later ones, and a ratio is the median over rounds of that round's ratio.
  loader  images per second over epochs of the train loader, each batch moved to the device (and the
          project's augmented there, as `fit` does): the project's loaders against a plain DataLoader over
          the project's `ImageFiles`, one sample at a time and collated, with the same number of workers.
          The loaders take turns; medians.

Prints a markdown table and writes JSON (`--json`, by default benchmarks/results/images.json).
"""

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent
PACKAGE = "imagebench"
# The data path before the cache: every image decoded by Pillow, in the training process, every epoch.
UNCACHED = ["--data.cache_dir=null", "--data.num_workers=0", "--data.augment=false"]
# The fits compared: the template before this data path and channels-last, the old data path alone, the defaults.
PATHS = {"old": [*UNCACHED, "--model.channels_last=false"], "uncached": UNCACHED, "new": []}
# A loader is timed over whole epochs until this many seconds have passed, in each of its turns.
LOADER_TURN_SECONDS = 0.5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=300, help="photos in the folder")
    parser.add_argument("--epochs", type=int, default=4, help="epochs of each fit")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of an old and a new fit, and of the loaders")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "images.json")
    return parser.parse_args()


def write_photos(folder: Path, count: int, seed: int = 0) -> dict[str, int]:
    """``count`` JPEG crops of the sample photos, 240 to 420 pixels square, a folder per photo; how many in each."""
    import matplotlib
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_sample_images

    sources = [Path(path) for path in load_sample_images().filenames]
    hopper = Path(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg")
    sources += [hopper] if hopper.is_file() else []
    generator = np.random.default_rng(seed)
    counts = dict.fromkeys((source.stem for source in sources), 0)
    photos = {source.stem: Image.open(source).convert("RGB") for source in sources}
    for index in range(count):
        name = list(photos)[index % len(photos)]
        photo = photos[name]
        size = min(int(generator.integers(240, 421)), photo.width, photo.height)
        left = int(generator.integers(0, photo.width - size + 1))
        top = int(generator.integers(0, photo.height - size + 1))
        (folder / name).mkdir(parents=True, exist_ok=True)
        photo.crop((left, top, left + size, top + size)).save(folder / name / f"{index:04d}.jpg", quality=90)
        counts[name] += 1
    return counts


class EpochTimes(pl.Callback):
    """The wall-clock time at each training epoch's start and at the end of training, written to BENCH_OUTPUT."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.times.append(time.time())

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.times.append(time.time())
        Path(os.environ["BENCH_OUTPUT"]).write_text(json.dumps(self.times))


def timed_fit(python: Path, project: Path, env: dict[str, str], args: list[str]) -> dict[str, object]:
    """One `fit` in a fresh process: seconds from its start to the first epoch, and each epoch's seconds."""
    output = project / "epochs.json"
    output.unlink(missing_ok=True)
    command = [python, "-m", PACKAGE, "fit", "--trainer.callbacks+=bench_images.EpochTimes", *args]
    started = time.time()
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    if result.returncode or not output.exists():
        sys.exit(f"error: {' '.join(map(str, command[1:]))} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
    times = json.loads(output.read_text())
    epochs = [end - start for start, end in itertools.pairwise(times)]
    return {"start_seconds": times[0] - started, "epoch_seconds": epochs}


def measure_loaders(rounds: int, device_name: str, output: str) -> None:
    """Images per second of the project's train loaders and of plain per-sample ones (run in the project's folder)."""
    import importlib
    from types import SimpleNamespace

    import torch
    from torch.utils.data import DataLoader, Dataset

    data = importlib.import_module(f"{PACKAGE}.data")
    device = torch.device(device_name)
    # What the data module's loaders read of its trainer: the device (pinned memory for CUDA), the processes.
    trainer = SimpleNamespace(strategy=SimpleNamespace(root_device=device), num_devices=1)

    class PerSample(Dataset):
        """The project's ImageFiles, one sample at a time (the DataLoader collates them): the loader of before."""

        def __init__(self, files: "data.ImageFiles") -> None:
            self.files = files

        def __len__(self) -> int:
            return len(self.files)

        def __getitem__(self, index: int) -> tuple:
            return self.files[index]

    def project(**options: object) -> tuple[DataLoader, bool]:
        module = data.ImageFolderDataModule(**options)
        module.prepare_data()
        module.setup("fit")
        module.trainer = trainer  # as Lightning attaches it before it asks for the loaders
        return module.train_dataloader(), module.hparams.augment

    def plain(workers: int) -> tuple[DataLoader, bool]:
        module = data.ImageFolderDataModule(cache_dir=None)
        module.prepare_data()
        module.setup("fit")
        per_sample = PerSample(module.splits["train"])
        pinned = device.type == "cuda"
        options = {"num_workers": workers, "persistent_workers": workers > 0, "pin_memory": pinned}
        return DataLoader(per_sample, batch_size=module.hparams.batch_size, shuffle=True, **options), False

    workers = data.ImageFolderDataModule().decoding_workers  # what the project chooses for images it does not cache
    loaders = {("project, cached (default)", 0): project(), ("plain per-sample", 0): plain(0)}
    if workers:
        loaders |= {
            ("project, cached", workers): project(num_workers=workers),
            ("project, not cached", workers): project(cache_dir=None),
            ("plain per-sample", workers): plain(workers),
        }
    generator = torch.Generator(device).manual_seed(0)

    def epochs_per_second(loader: DataLoader, augmented: bool) -> float:
        """Images per second over whole epochs, for at least LOADER_TURN_SECONDS."""
        images, started = 0, time.perf_counter()
        while time.perf_counter() - started < LOADER_TURN_SECONDS:
            for batch, _ in loader:
                batch = batch.to(device, non_blocking=True)
                if augmented:
                    batch = data.augment(batch, generator)
                images += len(batch)
            if device.type == "cuda":
                torch.cuda.synchronize()
        return images / (time.perf_counter() - started)

    for loader, _ in loaders.values():  # a first epoch each: workers start, files come into the page cache
        for _ in loader:
            pass
    per_round: dict[tuple, list[float]] = {name: [] for name in loaders}
    names = list(loaders)
    for index in range(rounds):
        for name in names[index % len(names) :] + names[: index % len(names)]:  # an order that rotates
            per_round[name].append(epochs_per_second(*loaders[name]))
    results = [
        {"loader": loader, "workers": count, "images_per_second": statistics.median(speeds), "per_round": speeds}
        for (loader, count), speeds in per_round.items()
    ]
    Path(output).write_text(json.dumps({"decoding_workers": workers, "loaders": results}))


def main() -> None:
    args = parse_args()
    import torch
    from cookiecutter.main import cookiecutter

    sys.path.insert(0, str(TEMPLATE))  # the template's test helpers
    from run import machine

    from tests.environments import install_project

    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("error: --device cuda needs a CUDA GPU, and torch finds none here")
    with tempfile.TemporaryDirectory() as folder:
        answers = {"project_name": PACKAGE, "data_source": "image_folder"}
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=folder))
        python = install_project(project, Path(folder) / "venv")
        classes = write_photos(project / "data" / "images", args.photos)
        env = {**os.environ, "PYTHONPATH": str(HERE), "BENCH_OUTPUT": str(project / "epochs.json")}
        if args.threads:
            env |= {"OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
        fit_args = [f"--trainer.max_epochs={args.epochs}", f"--trainer.accelerator={args.device}"]
        cold = timed_fit(python, project, env, fit_args)  # decodes the photos and writes the cache
        fits: dict[str, list[dict]] = {path: [] for path in PATHS}
        for index in range(args.rounds):
            for path in PATHS if index % 2 == 0 else reversed(PATHS):
                fits[path].append(timed_fit(python, project, env, fit_args + PATHS[path]))
        loader_output = Path(folder) / "loaders.json"
        probe = (
            f"import bench_images; bench_images.measure_loaders({args.rounds}, {args.device!r}, {str(loader_output)!r})"
        )
        result = subprocess.run(
            [python, "-c", probe], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode:
            sys.exit(f"error: the loader measurement failed:\n{result.stderr[-3000:]}")
        loaders = json.loads(loader_output.read_text())
        cache_files = [path.name for path in (project / "data" / "cache").iterdir()]

    def later(run: dict) -> float:
        return statistics.median(run["epoch_seconds"][1:])

    results = {
        "machine": machine(),
        "torch": torch.__version__,
        "device": args.device,
        "threads": args.threads or torch.get_num_threads(),
        "photos": args.photos,
        "classes": classes,
        "epochs": args.epochs,
        "rounds": args.rounds,
        "cache_files": cache_files,
        "first_epoch_seconds": {
            path: statistics.median(run["epoch_seconds"][0] for run in runs) for path, runs in fits.items()
        },
        "later_epoch_seconds": {path: statistics.median(map(later, runs)) for path, runs in fits.items()},
        "ratio_later_epochs_old_vs_new": statistics.median(
            later(old) / later(new) for old, new in zip(fits["old"], fits["new"], strict=True)
        ),
        "ratio_later_epochs_uncached_vs_new": statistics.median(
            later(old) / later(new) for old, new in zip(fits["uncached"], fits["new"], strict=True)
        ),
        "ratio_first_epoch_old_vs_new": statistics.median(
            old["epoch_seconds"][0] / new["epoch_seconds"][0] for old, new in zip(fits["old"], fits["new"], strict=True)
        ),
        "start_seconds": {
            "old": statistics.median(run["start_seconds"] for run in fits["old"]),
            "new, cache written": cold["start_seconds"],
            "new, cache read": statistics.median(run["start_seconds"] for run in fits["new"]),
        },
        "fits": fits | {"cold": [cold]},
        "decoding_workers": loaders["decoding_workers"],
        "loaders": loaders["loaders"],
    }
    print(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")


def table(results: dict) -> str:
    first, later, start = results["first_epoch_seconds"], results["later_epoch_seconds"], results["start_seconds"]
    rows = [
        ("photos, classes, torch threads", f"{results['photos']}, {len(results['classes'])}, {results['threads']}"),
        ("`fit` epoch 1, old / new", f"{first['old']:.3f} s / {first['new']:.3f} s"),
        (
            "`fit` epochs 2+ (median), old / uncached / new",
            f"{later['old']:.3f} s / {later['uncached']:.3f} s / {later['new']:.3f} s",
        ),
        ("ratio old / new, epochs 2+", f"{results['ratio_later_epochs_old_vs_new']:.2f}"),
        ("ratio uncached / new, epochs 2+ (data path alone)", f"{results['ratio_later_epochs_uncached_vs_new']:.2f}"),
        ("ratio old / new, epoch 1", f"{results['ratio_first_epoch_old_vs_new']:.2f}"),
        (
            "`fit` start to epoch 1: old / cache written / cache read",
            " / ".join(f"{value:.1f} s" for value in start.values()),
        ),
    ]
    plain = {
        entry["workers"]: entry["images_per_second"]
        for entry in results["loaders"]
        if entry["loader"] == "plain per-sample"
    }
    for entry in results["loaders"]:
        speed, workers = entry["images_per_second"], entry["workers"]
        name = f"train loader, {workers} {'worker' if workers == 1 else 'workers'}: {entry['loader']}"
        versus = "" if entry["loader"] == "plain per-sample" else f" ({speed / plain[workers]:.1f}x plain)"
        rows.append((name, f"{speed:,.0f} images/s{versus}"))
    return "\n".join(["| measure | value |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in rows)])


if __name__ == "__main__":
    main()
