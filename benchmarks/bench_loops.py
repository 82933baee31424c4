"""The three training loops that benchmarks/run.py compares, run inside one baked project.

    python bench_loops.py PACKAGE MODEL DATAMODULE OPTIMIZER LOSS ROUNDS STEPS OUTPUT DEVICE

Run from the project root (it reads ``configs/``) with this folder on PYTHONPATH. One process runs
ROUNDS rounds. In a round the three loops run side by side in threads and take turns one training
step at a time (a :class:`Baton` passes the turn at each batch start, in an order that rotates from
round to round), so every few tenths of a second each loop has run a step: a slow spell of the
machine, which here lasts seconds, lands on all three alike. Writes to OUTPUT, as JSON, the median
per-step time of every loop in every round. With DEVICE cuda every loop trains on the GPU, and waits for
it at each batch start, so a turn is a whole step rather than the time to queue one.
"""

import importlib
import itertools
import json
import os
import shutil
import statistics
import sys
import threading
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


class Baton:
    """Lets the loops of a round run one training step each in turn, in a fixed order.

    A loop calls :meth:`take` at the start of each training batch: that ends its previous turn (whose
    length is recorded with the batch it began at), hands the turn on, and waits for it to come back.
    The first turn goes out once every loop has arrived at its first batch, so set-up is not timed.
    A loop that ends calls :meth:`leave` and the others go on without it.
    """

    def __init__(self, order: list[str]) -> None:
        self.order = order
        self.active = list(order)
        self.arrived: set[str] = set()
        self.holder: str | None = None
        self.condition = threading.Condition()
        self.turns: dict[str, list[tuple[int, int, float]]] = {name: [] for name in order}
        self.current: dict[str, tuple[int, int, float]] = {}

    def take(self, name: str, epoch: int, batch: int) -> None:
        if DEVICE == "cuda":
            torch.cuda.synchronize()  # the previous step has run, not only been queued
        with self.condition:
            if self.holder == name:
                began_epoch, began_batch, began = self.current[name]
                self.turns[name].append((began_epoch, began_batch, time.perf_counter() - began))
            self.arrived.add(name)
            self._hand_on(after=name)
            self.condition.wait_for(lambda: self.holder == name)
            self.current[name] = (epoch, batch, time.perf_counter())

    def leave(self, name: str) -> None:
        with self.condition:
            if name in self.active:
                self.active.remove(name)
                self._hand_on(after=name)

    def _hand_on(self, after: str) -> None:
        """Give the turn to the next active loop after ``after``, once every active loop has arrived."""
        if self.holder not in (None, after) or not self.arrived >= set(self.active):
            return
        start = self.order.index(after) + 1
        following = [name for name in self.order[start:] + self.order[:start] if name in self.active]
        self.holder = following[0] if following else None
        self.condition.notify_all()


# Lightning's name for each device's accelerator.
ACCELERATORS = {"cpu": "cpu", "cuda": "gpu"}
# Where the loops train: "cpu" or "cuda" (the command line's DEVICE).
DEVICE = "cpu"
# The baton of the round that is running. The default loop's TakeTurns is built by the project's CLI
# from its class path, bench_loops.TakeTurns, so it finds the baton here rather than as an argument.
BATON = Baton([])


class TakeTurns(pl.Callback):
    """A Trainer's side of the round's :class:`Baton`: a turn per training batch; it leaves when training ends."""

    def __init__(self, name: str = "default") -> None:
        self.name = name

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: object, i: int) -> None:
        BATON.take(self.name, trainer.current_epoch, i)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        BATON.leave(self.name)


class FirstStep(pl.Callback):
    """Write the wall-clock time to $BENCH_OUTPUT at the first training batch, then end the process there.

    Used by run.py on a fresh `fit` process, which measures start-up only; nothing after it matters.
    """

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: object, i: int) -> None:
        Path(os.environ["BENCH_OUTPUT"]).write_text(repr(time.time()))
        os._exit(0)


def step_time(turns: list[tuple[int, int, float]]) -> float:
    """Median length of a loop's turns, each from one batch start to the next, within an epoch.

    A turn that began an epoch's first batch or ended in the next epoch is left out: epoch ends
    (validation, checkpoints, the scheduler) fall outside every measured turn.
    """
    return statistics.median(
        turn[2] for turn, following in itertools.pairwise(turns) if following[0] == turn[0] and turn[1] > 0
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

    def plain(self, steps: int) -> Callable[[], None]:
        """A hand-written PyTorch loop: the project's network, data, batch size and optimizer."""
        model, data = self.configured()
        data.prepare_data()
        data.setup("fit")
        net, hparams = model.net.to(DEVICE), model.hparams
        extra = {"momentum": hparams.momentum} if self.optimizer == "SGD" else {}
        optimizer_class = getattr(torch.optim, self.optimizer)
        optimizer = optimizer_class(net.parameters(), lr=hparams.lr, weight_decay=hparams.weight_decay, **extra)

        def run() -> None:
            net.train()
            step, epoch = 0, 0
            while step < steps:
                for i, (x, y) in enumerate(data.train_dataloader()):
                    BATON.take("plain", epoch, i)
                    x, y = x.to(DEVICE, non_blocking=True), y.to(DEVICE, non_blocking=True)
                    loss = self.loss(net(x), y)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    step += 1
                    if step == steps:
                        break
                epoch += 1

        return run

    def default(self, steps: int) -> Callable[[], None]:
        """The project's own ``fit``, with the callbacks and loggers of its configuration."""
        shutil.rmtree("logs", ignore_errors=True)
        args = [
            "fit",
            f"--trainer.max_steps={steps}",
            "--trainer.max_epochs=1000",  # max_steps ends the run
            "--trainer.callbacks+=bench_loops.TakeTurns",
            f"--trainer.accelerator={ACCELERATORS[DEVICE]}",
        ]
        return lambda: self.cli_module.run_cli(args)

    def bare(self, steps: int) -> Callable[[], None]:
        """A Trainer with everything optional switched off, on the same LightningModule and data."""
        model, data = self.configured()
        trainer = pl.Trainer(
            accelerator=ACCELERATORS[DEVICE],
            max_steps=steps,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            limit_val_batches=0,
            num_sanity_val_steps=0,
            callbacks=[TakeTurns("bare")],
        )
        return lambda: trainer.fit(model, data)


def run_round(loops: dict[str, Callable[[], None]]) -> dict[str, float]:
    """Run ``loops`` side by side, taking turns in their order; the median step time of each."""
    global BATON
    BATON = Baton(list(loops))
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            loops[name]()
        except BaseException as error:
            errors.append(error)
        finally:
            BATON.leave(name)

    threads = [threading.Thread(target=run, args=(name,), name=name) for name in loops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return {name: step_time(BATON.turns[name]) for name in loops}


def main() -> None:
    global DEVICE
    package, model, datamodule, optimizer, loss, rounds, steps, output, DEVICE = sys.argv[1:]
    sys.argv = sys.argv[:1]  # LightningCLI must not see the benchmark's arguments
    bench = Bench(package, model, datamodule, optimizer, loss)
    makers = {"plain": bench.plain, "default": bench.default, "bare": bench.bare}
    results: dict[str, list[float]] = {name: [] for name in makers}
    names = list(makers)
    for round_ in range(int(rounds)):
        order = names[round_ % 3 :] + names[: round_ % 3]
        for name, seconds in run_round({name: makers[name](int(steps)) for name in order}).items():
            results[name].append(seconds)
    Path(output).write_text(json.dumps(results))


if __name__ == "__main__":
    # Run as the module `bench_loops`, the one whose TakeTurns and BATON the project's CLI imports.
    importlib.import_module("bench_loops").main()
