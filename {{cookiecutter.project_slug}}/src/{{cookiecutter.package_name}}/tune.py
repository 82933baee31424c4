"""Find a learning rate and a batch size for ``fit`` with Lightning's tuner.

    python -m {{ cookiecutter.package_name }} tune
    python -m {{ cookiecutter.package_name }} tune --config configs/trainer/gpu.yaml --max_trials=12
    python -m {{ cookiecutter.package_name }} fit --config configs/config.yaml --config tuned/tune.yaml

The model, data and trainer are fit's, built from the same options by the same command line (cli.py). The
batch-size scaler (``Tuner.scale_batch_size``) doubles the batch size from 2 while a few training steps fit in
memory; the learning-rate finder (``Tuner.lr_find``) then trains at that batch size with a learning rate that grows
exponentially step by step, and suggests the one where the loss fell fastest.

The searches are not runs of fit: they log, check and save nothing, and the tuner's own checkpoints (from which it
restores the model after each search) go to a temporary folder that is removed however the command ends. They
load under torch's ``weights_only`` loading, as every checkpoint of this project does: the model's hyperparameters
are plain values. What stays is OUTPUT_DIR/tune.yaml and the learning-rate curve, OUTPUT_DIR/lr_find.png.
"""

import logging
import pickle
import shlex
import signal
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Literal

import yaml
from jsonargparse import Namespace
from matplotlib.figure import Figure
from pytorch_lightning.cli import ArgsType, LightningArgumentParser
from pytorch_lightning.tuner import Tuner

from {{ cookiecutter.package_name }}.atomic import written_whole
from {{ cookiecutter.package_name }}.cli import CLI, check_options, run_cli
from {{ cookiecutter.package_name }}.errors import InputError

# Lightning's suggestion skips the first 10 steps of the search and the last one, and needs 2 losses besides.
MIN_STEPS = 20
# The trainer of the searches: fit's, without what makes a run (logger, checkpoints, callbacks, a model summary).
# The tuner stops each search after its own number of steps: an epoch limit that no search reaches keeps
# max_epochs from ending one early, and stays finite for the schedulers that count the run's epochs or steps.
SEARCH_TRAINER = {
    "logger": False,
    "enable_checkpointing": False,
    "callbacks": [],
    "enable_model_summary": False,
    "max_epochs": 1_000_000,
    "max_steps": -1,
    "max_time": None,
}


class TuneCLI(CLI):
    """fit's options without a subcommand, plus the searches' own; builds a trainer that only searches."""

    def __init__(self, *args: Any, scratch: str, **kwargs: Any) -> None:
        self.scratch = scratch  # where the tuner writes its temporary checkpoints
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        super().add_arguments_to_parser(parser)
        group = parser.add_argument_group("tune", "The searches and their output; the other options are fit's.")
        group.add_argument("--min_lr", type=float, default=1e-6, help="the learning rate the search starts at")
        group.add_argument("--max_lr", type=float, default=1.0, help="the learning rate the search ends at")
        group.add_argument("--num_training", type=int, default=100, help="steps (learning rates) of the search")
        group.add_argument("--scale_batch_size", type=bool, default=True, help="false: keep the configured batch size")
        group.add_argument(
            "--batch_size_mode",
            type=Literal["power", "binsearch"],
            default="power",
            help="power: double until memory runs out; binsearch: then bisect between the last two",
        )
        group.add_argument("--max_trials", type=int, default=10, help="batch sizes to try: 2**max_trials at most")
        group.add_argument("--output_dir", type=str, default="tuned", help="where tune.yaml and lr_find.png go")

    def parse_arguments(self, parser: LightningArgumentParser, args: ArgsType) -> None:
        with warnings.catch_warnings():
            # The options are what follows `tune` on the command line, given as args: LightningCLI's warning
            # against giving both a command line and args is about a mistake that this is not.
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter", category=UserWarning)
            super().parse_arguments(parser, args)
        config = self.config
        check_options(config)  # fit's ranges (LIMITS), which the CLI checks only for a subcommand
        for option in ("resume", "run_name"):
            if config.get(option):
                raise InputError(f"--{option} is fit's: tune starts no run, drop it")
        if config.trainer.fast_dev_run:
            raise InputError("--trainer.fast_dev_run makes Lightning skip the tuner: drop it")
        if not 0 < config.min_lr < config.max_lr:
            raise InputError(f"--min_lr={config.min_lr} and --max_lr={config.max_lr}: the search needs 0 < min < max")
        if config.num_training < MIN_STEPS:
            raise InputError(f"--num_training={config.num_training} is too short: give {MIN_STEPS} steps or more")
        if config.max_trials < 1:
            raise InputError(f"--max_trials={config.max_trials}: give 1 or more")

    def before_instantiate_classes(self) -> None:
        super().before_instantiate_classes()
        for name, value in {**SEARCH_TRAINER, "default_root_dir": self.scratch}.items():
            self.config.trainer[name] = value


def main(args: list[str]) -> None:
    """The tune command: search, write tune.yaml and lr_find.png, print one line."""
    with exit_on_sigterm(), tempfile.TemporaryDirectory(prefix=f"{__package__}-tune-") as scratch:
        cli = run_cli(args, run=False, cli_class=partial(TuneCLI, scratch=scratch))
        options = cli.config
        if cli.trainer.world_size > 1:
            raise InputError("tune searches in one process: drop the options for several devices or nodes")
        lrs, losses, lr = search(cli, options)
    if lr is None:
        raise InputError(
            "the learning-rate search has too few finite losses to suggest from: its loss diverged at once"
            " (lower --min_lr) or is not finite (look for NaN or infinite values in the data)"
        )
    batch_size = cli.datamodule.hparams.batch_size
    output_dir = Path(options.output_dir)
    curve, tuned = output_dir / "lr_find.png", output_dir / "tune.yaml"
    try:
        with written_whole(curve) as file:
            draw_curve(lrs, losses, lr, batch_size).savefig(file, format="png")
        with written_whole(tuned, "w") as file:
            file.write(header(args, options, lr, batch_size, len(lrs)))
            yaml.safe_dump({"model": {"lr": lr}, "data": {"batch_size": batch_size}}, file, sort_keys=False)
    except OSError as error:
        raise InputError(
            f"found lr {lr!r} and batch size {batch_size}, but cannot write into {output_dir} ({error.strerror}):"
            " pass another --output_dir"
        ) from None
    print(f"lr {lr:.3g} (searched {options.min_lr:g} to {options.max_lr:g}), batch size {batch_size}: wrote {tuned}")


def search(cli: CLI, options: Namespace) -> tuple[list[float], list[float], float | None]:
    """Scale the batch size (unless told not to), then search the learning rate at that batch size.

    Returns the learning rates tried, their smoothed training losses, and Lightning's suggestion (None without one).
    """
    tuner = Tuner(cli.trainer)
    try:
        with quiet_lightning():
            if options.scale_batch_size:
                mode, max_trials = options.batch_size_mode, options.max_trials
                tuner.scale_batch_size(cli.model, datamodule=cli.datamodule, mode=mode, max_trials=max_trials)
            # At the batch size found, which the data module now has: the best learning rate depends on it.
            finder = tuner.lr_find(
                cli.model,
                datamodule=cli.datamodule,
                min_lr=options.min_lr,
                max_lr=options.max_lr,
                num_training=options.num_training,
                update_attr=False,
            )
    except pickle.UnpicklingError as error:  # torch's weights_only loading refused the tuner's own checkpoint
        reason = str(error).strip().splitlines()[0]
        raise InputError(
            f"the tuner cannot load back its checkpoint ({reason}): keep the model's hyperparameters plain values"
        ) from None
    return finder.results["lr"], finder.results["loss"], finder.suggestion()  # a finder: fast_dev_run was refused


@contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """A kill (SIGTERM, as from SLURM's scancel) ends the command as Ctrl+C does: through the finally blocks."""
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def quiet_lightning() -> Iterator[None]:
    """Hide Lightning's messages about the tuner's own short fits (restored checkpoints, max_steps reached)."""
    logger = logging.getLogger("pytorch_lightning")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def draw_curve(lrs: list[float], losses: list[float], lr: float, batch_size: int) -> Figure:
    """The smoothed training loss against the learning rate, with the suggestion marked (matplotlib's Agg backend)."""
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    ax = figure.add_subplot()
    ax.plot(lrs, losses)
    ax.plot([lr], [losses[lrs.index(lr)]], marker="o", color="red", label=f"suggested lr {lr:.3g}")
    ax.set(xscale="log", xlabel="learning rate", ylabel="training loss (smoothed)")
    ax.set_title(f"tune: the learning-rate search at batch size {batch_size}")
    ax.legend()
    return figure


def header(args: list[str], options: Namespace, lr: float, batch_size: int, steps: int) -> str:
    """The comment at the top of tune.yaml: how to use it, and how each value was found in ``steps`` steps."""
    command = f"python -m {__package__}"
    output_dir = Path(options.output_dir)
    if options.scale_batch_size:
        found = (
            f"data.batch_size: {batch_size}, the largest that trained a few steps in memory, doubled from 2"
            f" ({options.batch_size_mode}, at most {options.max_trials} trials, up to the size of the training split)."
        )
    else:
        found = f"data.batch_size: {batch_size}, as configured (--scale_batch_size=false)."
    lines = [
        f"Found by `{command} tune`. Add this file last to fit, so that it wins over the configuration:",
        f"  {command} fit --config configs/config.yaml --config {(output_dir / 'tune.yaml').as_posix()}",
        f"Tuned with: {shlex.join([*command.split(), 'tune', *args])}",
        found,
        f"model.lr: {lr:.3g}, where the smoothed training loss fell fastest (Lightning's lr_find suggestion) at that"
        f" batch size, in {steps} steps from {options.min_lr:g} towards {options.max_lr:g} (exponential). The curve:"
        f" {(output_dir / 'lr_find.png').as_posix()}.",
{%- if cookiecutter.scheduler == "onecycle" %}
        "With the one-cycle schedule model.lr is the peak: each run starts at lr/25, rises to it and anneals.",
{%- endif %}
    ]
    return "".join(f"# {line}\n" for line in lines)
