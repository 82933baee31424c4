"""A confusion matrix in TensorBoard after every validation epoch, drawn with matplotlib's Agg backend."""

from typing import Any

import pytorch_lightning as pl
from matplotlib.figure import Figure
from torch import Tensor
from torchmetrics.classification import MulticlassConfusionMatrix

from {{ cookiecutter.package_name }}.callbacks import tensorboard_writer


class ValidationFigure(pl.Callback):
    """Count true against predicted classes over the validation set and draw the matrix as ``val_confusion_matrix``.

    ``validation_step`` returns the logits that this callback counts.
    """

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.writer = tensorboard_writer(trainer, type(self).__name__)
        self.classes = [str(label) for label in pl_module.hparams.classes]
        self.confusion = MulticlassConfusionMatrix(len(self.classes))

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.confusion = self.confusion.to(pl_module.device)

    def on_validation_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Tensor,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self.confusion.update(outputs, batch[1])

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        matrix = self.confusion.compute()  # summed over all processes
        self.confusion.reset()
        if self.writer is None or trainer.sanity_checking:
            return
        figure = Figure(figsize=(6, 6), layout="constrained")
        self.confusion.plot(matrix, ax=figure.add_subplot(), labels=self.classes)
        self.writer.add_figure("val_confusion_matrix", figure, trainer.global_step)
