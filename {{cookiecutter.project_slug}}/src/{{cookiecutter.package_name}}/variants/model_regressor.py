{%- set csv_data = cookiecutter.data_source == "csv" -%}
"""The LightningModule: how the network is trained, evaluated and used for prediction."""

{% if csv_data -%}
import pandas as pd
{% endif -%}
import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.nn import functional as F
from torchmetrics import MeanAbsoluteError

from {{ cookiecutter.package_name }}.net import MLP
{%- if csv_data %}
from {{ cookiecutter.package_name }}.preprocessing import Standardize, TablePreprocessing, check_cells
{%- endif %}

Batch = tuple[Tensor, Tensor]


class Regressor(pl.LightningModule):
    """Predict one number per row of features with :class:`MLP`: mean squared error as the loss, MAE as a metric.
{% if csv_data %}
    ``preprocessing`` is what the data module learned from the training rows: the model standardises
    raw rows and the target with it, and predicts in the target's own units, so the MAE, the checkpoint's
    monitor and a checkpoint's predictions (:meth:`predict_rows`) are in those units.
{%- endif %}
    The hyperparameters are plain values, so checkpoints load under torch's
    ``weights_only`` loading and ``hparams.yaml`` describes the whole model.
    """

    def __init__(
        self,
{%- if csv_data %}
        preprocessing: dict,
{%- else %}
        num_features: int = 20,
{%- endif %}
        hidden_size: int = 64,
        num_layers: int = 2,
        dropout: float = 0.0,
{% include "optimizer_arguments.py.j2" %}    ) -> None:
        super().__init__()
        self.save_hyperparameters()
{%- if csv_data %}
        self.preprocessing = TablePreprocessing(**preprocessing)
        self.standardize = Standardize(*self.preprocessing.scaling())
        # The network predicts the standardised target; forward turns it back into the target's units.
        target_mean, target_std = self.preprocessing.target_scale
        self.register_buffer("target_mean", torch.tensor(target_mean), persistent=False)
        self.register_buffer("target_std", torch.tensor(target_std), persistent=False)
        self.net = MLP(self.preprocessing.num_features, 1, hidden_size, num_layers, dropout)
{%- else %}
        self.net = MLP(num_features, 1, hidden_size, num_layers, dropout)
{%- endif %}
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
{%- if csv_data %}
        """Predictions in the target's units for rows of raw features (``TablePreprocessing.features``)."""
        return self.net(self.standardize(x)).squeeze(-1) * self.target_std + self.target_mean

    def loss(self, y_hat: Tensor, y: Tensor) -> Tensor:
        """The squared error in units of the target's spread, so the learning rate suits any scale of target."""
        return F.mse_loss(y_hat, y) / self.target_std**2
{%- else %}
        return self.net(x).squeeze(-1)

    def loss(self, y_hat: Tensor, y: Tensor) -> Tensor:
        return F.mse_loss(y_hat, y)
{%- endif %}

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        x, y = batch
        y_hat = self(x)
        loss = self.loss(y_hat, y)
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
        self.log("val_loss", self.loss(y_hat, y), prog_bar=True, sync_dist=True)
        self.val_mae.update(y_hat, y)
{%- if cookiecutter.callback_figures %}
        return y_hat  # for the scatter plot of ValidationFigure
{%- endif %}

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        x, y = batch
        y_hat = self(x)
        self.log("test_loss", self.loss(y_hat, y), sync_dist=True)
        self.test_mae.update(y_hat, y)

    def on_validation_epoch_end(self) -> None:
        self.log("val_mae", self.val_mae, prog_bar=True)

    def on_test_epoch_end(self) -> None:
        self.log("test_mae", self.test_mae)

    def predict_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> Tensor:
        """The predicted values (float32, also under mixed precision)."""
        return self(batch[0]).float()

    def prediction_table(self, values: Tensor) -> dict[str, list]:
        """The columns of predictions.csv for what ``predict_step`` returned."""
        return {"prediction": values.tolist()}
{%- if csv_data %}

    @torch.no_grad()
    def predict_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Predict raw rows (as ``read_table`` or ``pandas.read_csv`` reads them), in the target's units.

        One row per row of ``rows``, with the same index; cells must be filled (see ``fill_missing``).
        """
        check_cells(rows, self.preprocessing.columns, "rows")
        self.eval()
        values = self.predict_step((self.preprocessing.features(rows).to(self.device),), 0)
        return pd.DataFrame(self.prediction_table(values), index=rows.index)
{%- endif %}

{% include "configure_optimizers.py.j2" %}