{%- set image = cookiecutter.task == "image_classification" -%}
"""The LightningModule: how the network is trained, evaluated and used for prediction."""

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.nn import functional as F
from torchmetrics.classification import MulticlassAccuracy

{% if image -%}
from {{ cookiecutter.package_name }}.errors import InputError
{% endif -%}
from {{ cookiecutter.package_name }}.net import {{ "ConvNet" if image else "MLP" }}

Batch = tuple[Tensor, Tensor]


class {{ cookiecutter.__model_class }}(pl.LightningModule):
    """Classify {{ "images with :class:`ConvNet`" if image else "rows of features with :class:`MLP`" }}, tracking loss and accuracy per stage.

    The hyperparameters are plain numbers, so checkpoints load under torch's
    ``weights_only`` loading and ``hparams.yaml`` describes the whole model.
    """

    def __init__(
        self,
        num_classes: int = 10,
{%- if image %}
        in_channels: int = 1,
        image_size: int = 16,
        hidden_channels: int = 16,
{%- else %}
        num_features: int = 20,
        hidden_size: int = 64,
        num_layers: int = 2,
        dropout: float = 0.1,
{%- endif %}
{% include "optimizer_arguments.py.j2" %}    ) -> None:
        super().__init__()
        self.save_hyperparameters()
{%- if image %}
        if image_size < 4:
            raise InputError(
                f"images of {image_size}x{image_size} pixels are too small: the network halves them twice;"
                " pass --data.image_size=8 or more"
            )
        self.net = ConvNet(in_channels, image_size, num_classes, hidden_channels)
{%- else %}
        self.net = MLP(num_features, num_classes, hidden_size, num_layers, dropout)
{%- endif %}
{%- if cookiecutter.torch_compile %}
        if compile_model:
            # Compiled on the first batch; the state dict keeps its plain parameter names.
            self.net.compile()
{%- endif %}
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
        # Per step: the loss for the progress bar and the logger. Accuracy only gathers counts here.
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=False)
        self.train_acc.update(logits, y)
        return loss

    def on_train_epoch_end(self) -> None:
        # Logging the metric object computes the epoch's accuracy (across processes) and resets it.
        self.log("train_acc", self.train_acc)

    def validation_step(self, batch: Batch, batch_idx: int) -> {{ "Tensor" if cookiecutter.callback_figures else "None" }}:
        x, y = batch
        logits = self(x)
        self.val_acc(logits, y)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True, sync_dist=True)
        self.log("val_acc", self.val_acc, prog_bar=True)
{%- if cookiecutter.callback_figures %}
        return logits  # for the confusion matrix of ValidationFigure
{%- endif %}

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.test_acc(logits, y)
        self.log("test_loss", F.cross_entropy(logits, y), sync_dist=True)
        self.log("test_acc", self.test_acc)

    def predict_step(self, batch: Batch, batch_idx: int) -> Tensor:
        x, _ = batch
        return self(x).argmax(dim=1)

{% include "configure_optimizers.py.j2" %}