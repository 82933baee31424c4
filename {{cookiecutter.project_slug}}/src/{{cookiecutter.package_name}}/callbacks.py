"""Callbacks of this project; Lightning's own ones are configured in ``configs/config.yaml``."""
{%- set tensorboard = cookiecutter.callback_weight_histograms or cookiecutter.callback_figures %}

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import BasePredictionWriter
{%- if tensorboard %}
from pytorch_lightning.loggers import TensorBoardLogger
{%- endif %}
from torch import Tensor
{%- if tensorboard %}
from torch.utils.tensorboard import SummaryWriter
{%- endif %}

from {{ cookiecutter.package_name }}.errors import NonFiniteLossError


class PredictionWriter(BasePredictionWriter):
    """Save what ``predict`` returns to ``output_dir/predictions.pt`` (one file per process)."""

    def __init__(self, output_dir: str = "predictions") -> None:
        super().__init__(write_interval="epoch")
        self.output_dir = Path(output_dir)

    def write_on_epoch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        predictions: Sequence[Any],
        batch_indices: Sequence[Any],
    ) -> None:
        name = "predictions.pt" if trainer.world_size == 1 else f"predictions-rank{trainer.global_rank}.pt"
        self.output_dir.mkdir(parents=True, exist_ok=True)
        torch.save(torch.cat(list(predictions)), self.output_dir / name)


class NonFiniteLossCheck(pl.Callback):
    """Stop the run with :class:`NonFiniteLossError` when a training loss turns NaN or infinite.

    The losses that ``training_step`` returns are summed on their device, and the sum is read every
    ``log_every_n_steps`` batches and at the end of each epoch: a GPU is not made to wait for the host
    after every step just for this check. A NaN or an infinity anywhere makes the sum NaN or infinite.
    """

    def __init__(self) -> None:
        self._sum: Tensor | None = None
        self._first_step = 0

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        losses = [value.detach().float() for name, value in outputs.items() if name.endswith("loss")]
        if losses:
            step_sum = torch.stack(losses).sum()
            if self._sum is None:
                self._sum, self._first_step = step_sum, trainer.global_step
            else:
                self._sum += step_sum
        if (batch_idx + 1) % trainer.log_every_n_steps == 0:
            self._check(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check(trainer)

    def _check(self, trainer: pl.Trainer) -> None:
        total, self._sum = self._sum, None
        if total is not None and not torch.isfinite(total):
            raise NonFiniteLossError(
                f"the training loss turned {total.item()} between steps {self._first_step} and {trainer.global_step}:"
                " lower --model.lr, look for NaN or infinite values in the data, or train with"
                " --trainer.precision=32-true"
            )
{%- if tensorboard %}


def tensorboard_writer(trainer: pl.Trainer, callback: str) -> SummaryWriter | None:
    """The run's TensorBoard writer on the main process; None on the others and in a ``fast_dev_run``."""
    if trainer.fast_dev_run or not trainer.is_global_zero:
        return None
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            return logger.experiment
    raise ValueError(
        f"{callback} writes to TensorBoard: add pytorch_lightning.loggers.TensorBoardLogger to trainer.logger"
        f" in the configuration, or remove {callback} from trainer.callbacks"
    )
{%- endif %}
