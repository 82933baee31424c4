"""The LightningModule: how the network is trained, evaluated and used for prediction."""

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.nn import functional as F
from torchmetrics import MeanAbsoluteError

from {{ cookiecutter.package_name }}.net import MLP

Batch = tuple[Tensor, Tensor]


class Regressor(pl.LightningModule):
    """Predict one number per row of features with :class:`MLP`: mean squared error as the loss, MAE as a metric.

    The hyperparameters are plain numbers, so checkpoints load under torch's
    ``weights_only`` loading and ``hparams.yaml`` describes the whole model.
    """

    def __init__(
        self,
        num_features: int = 20,
        hidden_size: int = 64,
        num_layers: int = 2,
        dropout: float = 0.0,
{% include "optimizer_arguments.py.j2" %}    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = MLP(num_features, 1, hidden_size, num_layers, dropout)
{%- if cookiecutter.torch_compile %}
        if compile_model:
            # Compiled on the first batch; the state dict keeps its plain parameter names.
            self.net.compile()
{%- endif %}
        # One metric object per stage.
        self.train_mae = MeanAbsoluteError()
        self.val_mae = MeanAbsoluteError()
        self.test_mae = MeanAbsoluteError()

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(-1)

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        x, y = batch
        y_hat = self(x)
        loss = F.mse_loss(y_hat, y)
        # Per step: the loss for the progress bar and the logger. The MAE only gathers sums here.
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=False)
        self.train_mae.update(y_hat, y)
        return loss

    def on_train_epoch_end(self) -> None:
        # Logging the metric object computes the epoch's MAE (across processes) and resets it.
        self.log("train_mae", self.train_mae)

    def validation_step(self, batch: Batch, batch_idx: int) -> {{ "Tensor" if cookiecutter.callback_figures else "None" }}:
        x, y = batch
        y_hat = self(x)
        self.val_mae(y_hat, y)
        self.log("val_loss", F.mse_loss(y_hat, y), prog_bar=True, sync_dist=True)
        self.log("val_mae", self.val_mae, prog_bar=True)
{%- if cookiecutter.callback_figures %}
        return y_hat  # for the scatter plot of ValidationFigure
{%- endif %}

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        x, y = batch
        y_hat = self(x)
        self.test_mae(y_hat, y)
        self.log("test_loss", F.mse_loss(y_hat, y), sync_dist=True)
        self.log("test_mae", self.test_mae)

    def predict_step(self, batch: Batch, batch_idx: int) -> Tensor:
        x, _ = batch
        return self(x).float()  # float32 predictions, also under mixed precision

{% include "configure_optimizers.py.j2" %}