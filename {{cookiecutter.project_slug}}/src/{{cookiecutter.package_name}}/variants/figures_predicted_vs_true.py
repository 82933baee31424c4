"""Predicted against true values in TensorBoard after every validation epoch, drawn with matplotlib's Agg backend."""

from typing import Any

import pytorch_lightning as pl
import torch
from matplotlib.figure import Figure
from torch import Tensor

from {{ cookiecutter.package_name }}.callbacks import tensorboard_writer


class ValidationFigure(pl.Callback):
    """Scatter the validation predictions against their targets as ``val_predicted_vs_true``.

    ``validation_step`` returns the predictions that this callback collects.
    """

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.writer = tensorboard_writer(trainer, type(self).__name__)
        self.predictions: list[Tensor] = []
        self.targets: list[Tensor] = []

    def on_validation_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Tensor,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self.predictions.append(outputs.detach().float())
        self.targets.append(batch[1].float())

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Every process holds its share of the validation set: gather them all (each process must take part).
        predicted = pl_module.all_gather(torch.cat(self.predictions)).flatten().cpu().numpy()
        true = pl_module.all_gather(torch.cat(self.targets)).flatten().cpu().numpy()
        self.predictions.clear()
        self.targets.clear()
        if self.writer is None or trainer.sanity_checking:
            return
        figure = Figure(figsize=(6, 6), layout="constrained")
        ax = figure.add_subplot()
        ax.scatter(true, predicted, s=4, alpha=0.5)
        low, high = true.min(), true.max()
        ax.plot([low, high], [low, high], color="black", linewidth=1, label="perfect prediction")
        ax.set(xlabel="true value", ylabel="predicted value")
        ax.legend()
        self.writer.add_figure("val_predicted_vs_true", figure, trainer.global_step)
