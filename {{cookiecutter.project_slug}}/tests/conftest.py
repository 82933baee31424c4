{%- set logged = cookiecutter.__runs_dir == "logs" -%}
{%- set csv_data = cookiecutter.data_source == "csv" -%}
{%- set source = cookiecutter.data_source -%}
"""Shared helpers and fixtures.

Nothing heavy is imported at the top of this file: pytest imports it first, and its `pytest_configure`
starts the runs that need fresh processes before the test modules import torch and Lightning, so that
those runs work beside the in-process tests. The helpers import what they need when they run.
"""
{% if source in ("mnist", "csv") %}
from __future__ import annotations
{% endif %}
{% if source == "mnist" -%}
import gzip
{% endif -%}
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import {{ "TYPE_CHECKING, " if source in ("mnist", "csv") }}NamedTuple

import pytest
{%- if source == "mnist" %}

if TYPE_CHECKING:
    import numpy as np
{%- elif csv_data %}

if TYPE_CHECKING:
    import pandas as pd
{%- endif %}

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Where a run writes its configuration{{ ", logs" if logged }}{{ " and checkpoints" if cookiecutter.callback_checkpoint }}.
RUN_DIR = Path("{{ "logs/default/version_0" if logged else "runs" }}")
{%- if cookiecutter.callback_checkpoint %}
CHECKPOINT_DIR = RUN_DIR / "checkpoints"
{%- endif %}
{%- if cookiecutter.task == "gan" and cookiecutter.data_source == "digits" %}
# Long enough for the discriminator to get ahead on the small digits set.
TRAIN_EPOCHS = 12
{%- else %}
# Long enough for the default run to learn {{ "the digits" if cookiecutter.data_source == "digits" else "its data" }} well.
TRAIN_EPOCHS = {{ 6 if cookiecutter.data_source == "digits" else 3 }}
{%- endif %}
{%- if csv_data %}
# The text column of the example table{{ " and its classes" if cookiecutter.task == "tabular_classification" }}.
COLOURS = ("red", "green", "blue")
{%- if cookiecutter.task == "tabular_classification" %}
LABELS = ("alpha", "beta", "gamma")
{%- endif %}
{%- endif %}
{%- if cookiecutter.task == "regression" %}
# A test MAE that shows learning: predicting the mean of the {{ "example table" if csv_data else "synthetic data" }} scores about twice as much.
GOOD_MAE = {{ "45.0" if csv_data else "0.4" }}
{%- endif %}
# Keep test output short; everything else is the configuration a user gets.
QUIET = ["--trainer.enable_model_summary=false"]
# Runs that need fresh processes, by the name of the fixture that reads them.
BACKGROUND = pytest.StashKey[dict[str, tuple[Path, subprocess.Popen]]]()
BACKGROUND_RUNS = {
    # Lightning starts the second process itself, by running the same command again.
    "ddp_fit": ("fit", "--config", "configs/trainer/ddp_cpu.yaml", "--config", "configs/debug/limit_batches.yaml"),
}


def yield_to_the_tests() -> None:
    """Run at a lower priority: the in-process tests, which the whole session waits on, get the CPU first."""
    os.nice(10)


def start_command(*args: str, cwd: Path) -> subprocess.Popen:
    """Start ``python -m {{ cookiecutter.package_name }} ARGS`` in a fresh process, as a user runs it.

    Its output goes to ``stdout.txt`` and ``stderr.txt`` in ``cwd``: a full pipe would stall a run in the background.
    """
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", *args]
{%- if cookiecutter.logger_wandb %}
    # Without the W&B service that this test session's own runs started.
    env = {name: value for name, value in os.environ.items() if not name.startswith("WANDB_")}
{%- endif %}
    with (cwd / "stdout.txt").open("w") as stdout, (cwd / "stderr.txt").open("w") as stderr:
        return subprocess.Popen(
            command,
            stdout=stdout,
            stderr=stderr,
            text=True,
            cwd=cwd,
{%- if cookiecutter.logger_wandb %}
            env=env,
{%- endif %}
            preexec_fn=yield_to_the_tests if os.name == "posix" else None,
        )


def finish_command(process: subprocess.Popen, cwd: Path) -> subprocess.CompletedProcess:
    """Wait for a command from :func:`start_command` and collect its output."""
    process.wait(timeout=300)
    stdout, stderr = ((cwd / name).read_text() for name in ("stdout.txt", "stderr.txt"))
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


class CommandRun(NamedTuple):
    path: Path
    result: subprocess.CompletedProcess


class TrainedRun(NamedTuple):
    path: Path
    metrics: dict[str, float]


def make_workdir(path: Path) -> Path:
{%- if csv_data %}
    """A folder that looks like the project root: `configs/` and an example `data/train.csv`."""
    shutil.copytree(PROJECT_ROOT / "configs", path / "configs")
    (path / "data").mkdir()
    example_table().to_csv(path / "data" / "train.csv")  # as pandas saves it: with its index
    return path


def example_table(num_rows: int = 6000, seed: int = 0) -> pd.DataFrame:
{%- if cookiecutter.task == "tabular_classification" %}
    """A learnable table as people have them: numbers of very different scales, a text column, named classes."""
{%- else %}
    """A learnable table as people have them: numbers of very different scales, a text column, a target in hundreds."""
{%- endif %}
    import pandas as pd
    import torch

    generator = torch.Generator().manual_seed(seed)
    signal = torch.randn(num_rows, 6, generator=generator)
    colour = torch.randint(3, (num_rows,), generator=generator)
    scales = torch.tensor([0.01, 1.0, 50.0, 1000.0, 0.1, 10.0])
    offsets = torch.tensor([0.0, 5.0, -200.0, 5000.0, 1.0, 0.0])
    table = pd.DataFrame((signal * scales + offsets).tolist(), columns=[f"x{index}" for index in range(6)])
    table["colour"] = [COLOURS[index] for index in colour.tolist()]
{%- if cookiecutter.task == "tabular_classification" %}
    weights = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))  # the same classes for every seed
    scores = signal @ weights + 1.5 * torch.eye(3)[colour]
    table["target"] = [LABELS[index] for index in scores.argmax(dim=1).tolist()]
{%- else %}
    signal = signal[:, 0] - 0.5 * signal[:, 1] + torch.sin(2 * signal[:, 2]) + 0.5 * (colour == 2)
    table["target"] = (300 + 80 * signal + 5 * torch.randn(num_rows, generator=generator)).tolist()
{%- endif %}
    return table
{%- elif source == "image_folder" %}
    """A folder that looks like the project root: `configs/` and an example `data/images/` folder."""
    shutil.copytree(PROJECT_ROOT / "configs", path / "configs")
    write_example_images(path / "data" / "images")
    return path


def write_example_images(root: Path, per_class: int = 200, seed: int = 0) -> None:
    """Three classes of 16x16 colour PNGs, each a smooth random pattern plus noise."""
    import torch
    from PIL import Image
    from torch.nn import functional as F

    generator = torch.Generator().manual_seed(seed)
    patterns = F.interpolate(torch.rand(3, 3, 4, 4, generator=generator), size=16, mode="bilinear")
    for label, pattern in enumerate(patterns):
        folder = root / f"class_{label}"
        folder.mkdir(parents=True)
        for index in range(per_class):
            image = (pattern + 0.1 * torch.randn(3, 16, 16, generator=generator)).clamp(0, 1)
            pixels = (image * 255).to(torch.uint8).permute(1, 2, 0).flatten().tolist()
            Image.frombytes("RGB", (16, 16), bytes(pixels)).save(folder / f"{index:04d}.png")
{%- elif source == "mnist" %}
    """A folder that looks like the project root: `configs/` and stand-in MNIST files, so nothing is downloaded."""
    shutil.copytree(PROJECT_ROOT / "configs", path / "configs")
    write_fake_mnist(path / "data" / "mnist")
    return path


def write_fake_mnist(folder: Path, num_train: int = 7000, num_test: int = 1000, seed: int = 0) -> None:
    """The four MNIST idx files, filled with learnable stand-ins: one smooth pattern per digit plus noise."""
    import torch
    from torch.nn import functional as F

    generator = torch.Generator().manual_seed(seed)
    patterns = F.interpolate(torch.rand(10, 1, 7, 7, generator=generator), size=28, mode="bilinear")[:, 0]
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", num_train), ("t10k", num_test)):
        labels = torch.randint(10, (count,), generator=generator)
        images = (patterns[labels] + 0.2 * torch.randn(count, 28, 28, generator=generator)).clamp(0, 1)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", (images * 255).to(torch.uint8).numpy())
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels.to(torch.uint8).numpy())


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write unsigned bytes in the idx format: zero, zero, type 8, the number of dimensions, the sizes, the data."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(size.to_bytes(4, "big") for size in array.shape)
    with gzip.open(path, "wb", compresslevel=1) as file:
        file.write(header + array.tobytes())
{%- else %}
    """A folder that looks like the project root: `configs/` and nothing else."""
    shutil.copytree(PROJECT_ROOT / "configs", path / "configs")
    return path
{%- endif %}


def pytest_configure(config: pytest.Config) -> None:
    """Start the runs in BACKGROUND_RUNS before the test modules are even imported."""
    # One torch thread per process: the test models are small, and threads of this process and of the
    # background runs that outnumber the cores wait on each other. An OMP_NUM_THREADS you set wins.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    started = {}
    if not (config.option.collectonly or config.option.help):
        root = Path(tempfile.mkdtemp(prefix="{{ cookiecutter.package_name }}-tests-"))
        for name, args in BACKGROUND_RUNS.items():
            path = make_workdir(root / name)
            started[name] = (path, start_command(*args, cwd=path))
    config.stash[BACKGROUND] = started


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stop the background runs that no selected test reads."""
    wanted = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    for name, (_, process) in session.config.stash[BACKGROUND].items():
        if name not in wanted:
            process.kill()


def pytest_unconfigure(config: pytest.Config) -> None:
    for path, process in config.stash.get(BACKGROUND, {}).values():
        process.kill()  # still running only when no test waited for it
        process.wait()
        shutil.rmtree(path.parent, ignore_errors=True)


def run_main(*args: str) -> str:
    """Run the console script with ``args``; return the line it exits with."""
    from {{ cookiecutter.package_name }}.cli import main

    with pytest.MonkeyPatch.context() as monkeypatch, pytest.raises(SystemExit) as exit_info:
        monkeypatch.setattr(sys, "argv", ["{{ cookiecutter.project_slug }}", *args])
        main()
    return str(exit_info.value.code)


@pytest.fixture(autouse=True)
def plain_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI runs in-process with explicit args; pytest's own argv must not look like CLI arguments."""
    monkeypatch.setattr(sys, "argv", ["{{ cookiecutter.package_name }}"])


{% if cookiecutter.logger_wandb -%}
@pytest.fixture(autouse=True)
def finish_wandb_run() -> Iterator[None]:
    """Each test's runs get their own W&B run, as separate commands do: end the one a test leaves open."""
    import wandb

    yield
    wandb.finish()


{% endif -%}
@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a fresh copy of the project root, so everything a run writes lands in tmp_path."""
    monkeypatch.chdir(make_workdir(tmp_path))
    return tmp_path


@pytest.fixture(scope="session")
def ddp_fit(pytestconfig: pytest.Config) -> CommandRun:
    """A short `fit` with the two-process CPU preset (DDP over gloo), as a user runs it in a terminal.

    The tests of the command line, of distributed training and of the loggers read it.
    """
    path, process = pytestconfig.stash[BACKGROUND]["ddp_fit"]
    return CommandRun(path, finish_command(process, path))


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedRun]:
    """One short real `fit` (then `test`) with the default configuration, shared by every test that reads a run."""
{%- if cookiecutter.logger_wandb %}
    import wandb
{% endif %}
    from {{ cookiecutter.package_name }}.cli import run_cli

    path = make_workdir(tmp_path_factory.mktemp("trained"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(path)
        monkeypatch.setattr(sys, "argv", ["{{ cookiecutter.package_name }}"])
        cli = run_cli(["fit", f"--trainer.max_epochs={TRAIN_EPOCHS}", *QUIET])
{%- if cookiecutter.logger_wandb %}
        wandb.finish()  # the W&B run ends with its command, as for a user: the tests' own commands start new ones
{%- endif %}
        yield TrainedRun(path, {name: float(value) for name, value in cli.trainer.callback_metrics.items()})
