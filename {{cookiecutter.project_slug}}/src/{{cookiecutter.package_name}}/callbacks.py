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
    """Stop the run with :class:`NonFiniteLossError` as soon as a logged training loss is NaN or infinite."""

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        for name, value in trainer.callback_metrics.items():
            if name.startswith("train_") and name.endswith("loss") and not torch.isfinite(value):
                raise NonFiniteLossError(
                    f"{name} is {value.item()} at step {trainer.global_step}: lower --model.lr, look for NaN or"
                    " infinite values in the data, or train with --trainer.precision=32-true"
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
