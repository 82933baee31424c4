"""A histogram of every weight in TensorBoard, to watch for layers that die, explode or stop learning."""

import pytorch_lightning as pl

from {{ cookiecutter.package_name }}.callbacks import tensorboard_writer


class WeightHistograms(pl.Callback):
    """Add a histogram of each parameter to TensorBoard after every ``every_n_epochs`` training epochs."""

    def __init__(self, every_n_epochs: int = 1) -> None:
        self.every_n_epochs = every_n_epochs

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.writer = tensorboard_writer(trainer, type(self).__name__)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.writer is None or (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        for name, parameter in pl_module.named_parameters():
            self.writer.add_histogram(f"weights/{name}", parameter.detach().float().cpu(), trainer.global_step)
