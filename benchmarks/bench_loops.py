"""The three training loops that benchmarks/run.py compares, run inside one baked project.

    python bench_loops.py PACKAGE MODEL DATAMODULE OPTIMIZER LOSS ROUNDS STEPS OUTPUT

Run from the project root (it reads ``configs/``) with this folder on PYTHONPATH. One process runs
ROUNDS rounds; each round runs the three loops for STEPS training steps, in an order that rotates
from round to round, so a slow spell of the machine lands on every loop alike. Writes to OUTPUT, as
JSON, the median per-step time of every loop in every round.
"""

import importlib
import itertools
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.nn import functional as F

# How each task's LightningModule computes its training loss, written out for the plain loop.
LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "cross_entropy": F.cross_entropy,
    "mse": lambda out, y: F.mse_loss(out.squeeze(-1), y),
}


class BatchTimer(pl.Callback):
    """Record when every training batch starts: (epoch, batch index, wall-clock time)."""

    def __init__(self) -> None:
        self.starts: list[tuple[int, int, float]] = []

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: object, i: int) -> None:
        self.starts.append((trainer.current_epoch, i, time.perf_counter()))


class FirstStep(pl.Callback):
    """Write the wall-clock time to $BENCH_OUTPUT at the first training batch, then end the process there.

    Used by run.py on a fresh `fit` process, which measures start-up only; nothing after it matters.
    """

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: object, i: int) -> None:
        Path(os.environ["BENCH_OUTPUT"]).write_text(repr(time.time()))
        os._exit(0)


def step_time(starts: list[tuple[int, int, float]]) -> float:
    """Median gap between the starts of consecutive batches of one epoch, its first gap left out.

    Epoch ends (validation, checkpoints, the scheduler) fall outside every measured gap.
    """
    return statistics.median(
        later[2] - earlier[2]
        for earlier, later in itertools.pairwise(starts)
        if later[0] == earlier[0] and earlier[1] > 0
    )


class Bench:
    def __init__(self, package: str, model: str, datamodule: str, optimizer: str, loss: str) -> None:
        self.package = package
        self.classes = [getattr(importlib.import_module(package), name) for name in (model, datamodule)]
        self.optimizer = optimizer
        self.loss = LOSSES[loss]
        self.cli_module = importlib.import_module(f"{package}.cli")

    def configured(self) -> tuple[pl.LightningModule, pl.LightningDataModule]:
        """The model and data module exactly as ``fit`` builds them from ``configs/config.yaml``."""
        parser_kwargs = {"default_config_files": [self.cli_module.DEFAULT_CONFIG]}
        cli = self.cli_module.CLI(*self.classes, run=False, args=[], parser_kwargs=parser_kwargs)
        return cli.model, cli.datamodule

    def plain(self, steps: int) -> float:
        """A hand-written PyTorch loop: the project's network, data, batch size and optimizer."""
        model, data = self.configured()
        data.prepare_data()
        data.setup("fit")
        net, hparams = model.net, model.hparams
        extra = {"momentum": hparams.momentum} if self.optimizer == "SGD" else {}
        optimizer_class = getattr(torch.optim, self.optimizer)
        optimizer = optimizer_class(net.parameters(), lr=hparams.lr, weight_decay=hparams.weight_decay, **extra)
        net.train()
        starts, step, epoch = [], 0, 0
        while step < steps:
            for i, (x, y) in enumerate(data.train_dataloader()):
                starts.append((epoch, i, time.perf_counter()))
                loss = self.loss(net(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                step += 1
                if step == steps:
                    break
            epoch += 1
        return step_time(starts)

    def default(self, steps: int) -> float:
        """The project's own ``fit``, with the callbacks and loggers of its configuration."""
        shutil.rmtree("logs", ignore_errors=True)
        timer = "--trainer.callbacks+=bench_loops.BatchTimer"
        cli = self.cli_module.run_cli(["fit", f"--trainer.max_steps={steps}", "--trainer.max_epochs=-1", timer])
        # By name: the CLI imports bench_loops.BatchTimer, and this file runs as __main__.
        (callback,) = [callback for callback in cli.trainer.callbacks if type(callback).__name__ == "BatchTimer"]
        return step_time(callback.starts)

    def bare(self, steps: int) -> float:
        """A Trainer with everything optional switched off, on the same LightningModule and data."""
        model, data = self.configured()
        timer = BatchTimer()
        trainer = pl.Trainer(
            max_steps=steps,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            limit_val_batches=0,
            num_sanity_val_steps=0,
            callbacks=[timer],
        )
        trainer.fit(model, data)
        return step_time(timer.starts)


def main() -> None:
    package, model, datamodule, optimizer, loss, rounds, steps, output = sys.argv[1:]
    sys.argv = sys.argv[:1]  # LightningCLI must not see the benchmark's arguments
    bench = Bench(package, model, datamodule, optimizer, loss)
    loops = {"plain": bench.plain, "default": bench.default, "bare": bench.bare}
    results: dict[str, list[float]] = {name: [] for name in loops}
    names = list(loops)
    for round_ in range(int(rounds)):
        for name in names[round_ % 3 :] + names[: round_ % 3]:
            results[name].append(loops[name](int(steps)))
    Path(output).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
