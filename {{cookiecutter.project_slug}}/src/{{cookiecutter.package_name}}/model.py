"""The LightningModule: how the network is trained, evaluated and used for prediction."""

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.nn import functional as F
from torchmetrics.classification import MulticlassAccuracy

from {{ cookiecutter.package_name }}.net import ConvNet

Batch = tuple[Tensor, Tensor]


class ImageClassifier(pl.LightningModule):
    """Classify images with :class:`ConvNet`, tracking loss and accuracy per stage.

    The hyperparameters are plain numbers, so checkpoints load under torch's
    ``weights_only`` loading and ``hparams.yaml`` describes the whole model.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        image_size: int = 16,
        hidden_channels: int = 16,
        lr: float = {{ "0.05" if cookiecutter.optimizer == "SGD" else "3e-3" }},
        weight_decay: float = {{ "0.01" if cookiecutter.optimizer == "AdamW" else "0.0" }},
{%- if cookiecutter.optimizer == "SGD" %}
        momentum: float = 0.9,
{%- endif %}
{%- if cookiecutter.scheduler == "step" %}
        step_size: int = 3,
        gamma: float = 0.5,
{%- elif cookiecutter.scheduler == "plateau" %}
        plateau_patience: int = 1,
        plateau_factor: float = 0.5,
{%- endif %}
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = ConvNet(in_channels, image_size, num_classes, hidden_channels)
        # Accuracy over all samples (micro), one metric object per stage.
        self.train_acc = MulticlassAccuracy(num_classes, average="micro")
        self.val_acc = MulticlassAccuracy(num_classes, average="micro")
        self.test_acc = MulticlassAccuracy(num_classes, average="micro")

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.train_acc(logits, y)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=False)
        self.log("train_acc", self.train_acc, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.val_acc(logits, y)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True, sync_dist=True)
        self.log("val_acc", self.val_acc, prog_bar=True)

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.test_acc(logits, y)
        self.log("test_loss", F.cross_entropy(logits, y), sync_dist=True)
        self.log("test_acc", self.test_acc)

    def predict_step(self, batch: Batch, batch_idx: int) -> Tensor:
        x, _ = batch
        return self(x).argmax(dim=1)

    def configure_optimizers(self) -> {{ "torch.optim.Optimizer" if cookiecutter.scheduler == "none" else "dict" }}:
{%- if cookiecutter.optimizer == "SGD" %}
        optimizer = torch.optim.SGD(
            self.parameters(),
            lr=self.hparams.lr,
            momentum=self.hparams.momentum,
            weight_decay=self.hparams.weight_decay,
        )
{%- else %}
        optimizer = torch.optim.{{ cookiecutter.optimizer }}(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
{%- endif %}
{%- if cookiecutter.scheduler == "none" %}
        return optimizer
{%- elif cookiecutter.scheduler == "cosine" %}
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.trainer.max_epochs)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}
{%- elif cookiecutter.scheduler == "step" %}
        scheduler = torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=self.hparams.step_size, gamma=self.hparams.gamma
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}
{%- elif cookiecutter.scheduler == "onecycle" %}
        # One cycle over the whole run, updated every step. Its length is fixed when training starts:
        # resume with the same max_epochs.
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=self.hparams.lr, total_steps=int(self.trainer.estimated_stepping_batches)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
{%- elif cookiecutter.scheduler == "plateau" %}
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=self.hparams.plateau_factor, patience=self.hparams.plateau_patience
        )
        # The monitored key must be a metric logged every epoch (see validation_step).
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": "val_loss", "interval": "epoch"},
        }
{%- endif %}
