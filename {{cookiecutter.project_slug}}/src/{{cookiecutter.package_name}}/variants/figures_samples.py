"""A grid of generated images in TensorBoard after every validation epoch, drawn with matplotlib's Agg backend."""

import pytorch_lightning as pl
import torch
from matplotlib.figure import Figure
from torch import Tensor

from {{ cookiecutter.package_name }}.callbacks import tensorboard_writer


def tile(images: Tensor, rows: int) -> Tensor:
    """Lay ``rows`` x ``rows`` images of shape (channels, height, width) out as one (height, width, channels) image."""
    _, channels, height, width = images.shape
    grid = images[: rows * rows].reshape(rows, rows, channels, height, width)
    return grid.permute(0, 3, 1, 4, 2).reshape(rows * height, rows * width, channels)


class ValidationFigure(pl.Callback):
    """Draw ``rows`` x ``rows`` images from the same latent vectors every epoch as ``val_samples``.

    Fixed latent vectors show how the generator's output for the same input changes as it trains.
    """

    def __init__(self, rows: int = 8, seed: int = 0) -> None:
        self.rows = rows
        self.seed = seed

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.writer = tensorboard_writer(trainer, type(self).__name__)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.writer is None or trainer.sanity_checking:
            return
        with torch.no_grad():
            images = pl_module(pl_module.noise(self.rows * self.rows, seed=self.seed)).float().cpu()
        grid = tile(images, self.rows)
        grid = (grid - grid.min()) / (grid.max() - grid.min()).clamp(min=1e-8)  # to [0, 1] for imshow
        figure = Figure(figsize=(6, 6), layout="constrained")
        ax = figure.add_subplot()
        ax.imshow((grid.squeeze(-1) if grid.shape[-1] == 1 else grid).numpy(), cmap="gray")
        ax.set_axis_off()
        self.writer.add_figure("val_samples", figure, trainer.global_step)
