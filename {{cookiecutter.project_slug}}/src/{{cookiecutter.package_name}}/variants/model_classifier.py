{%- set image = cookiecutter.task == "image_classification" -%}
{%- set csv_data = cookiecutter.data_source == "csv" -%}
"""The LightningModule: how the network is trained, evaluated and used for prediction."""

{% if csv_data -%}
import pandas as pd
{% endif -%}
import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.nn import functional as F
from torchmetrics.classification import MulticlassAccuracy

{% if image -%}
from {{ cookiecutter.package_name }}.errors import InputError
{% endif -%}
from {{ cookiecutter.package_name }}.net import {{ "ConvNet" if image else "MLP" }}
{%- if csv_data %}
from {{ cookiecutter.package_name }}.preprocessing import Standardize, TablePreprocessing, check_cells
{%- endif %}

Batch = tuple[Tensor, Tensor]


class {{ cookiecutter.__model_class }}(pl.LightningModule):
    """Classify {{ "images with :class:`ConvNet`" if image else "rows of features with :class:`MLP`" }}, tracking loss and accuracy per stage.

    ``classes`` are the labels of the network's outputs, in order: predictions are written in them.
{%- if csv_data %}
    ``preprocessing`` is what the data module learned from the training rows: the model standardises
    raw rows with it, so a checkpoint predicts from rows as they are in the file (:meth:`predict_rows`).
{%- endif %}
    The hyperparameters are plain values, so checkpoints load under torch's ``weights_only`` loading
    and ``hparams.yaml`` describes the whole model.
    """

    def __init__(
        self,
        classes: list,
{%- if csv_data %}
        preprocessing: dict,
{%- endif %}
{%- if image %}
        in_channels: int = 1,
        image_size: int = 16,
        hidden_channels: int = 16,
        channels_last: bool = True,
{%- else %}
{%- if not csv_data %}
        num_features: int = 20,
{%- endif %}
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
        self.net = ConvNet(in_channels, image_size, len(classes), hidden_channels)
        if channels_last:
            # Convolutions and max pooling run faster on images stored channels-last (NHWC), the layout a GPU's
            # tensor cores read and one that CPU kernels vectorise: a training step of the default model on a
            # CPU took 0.6 times as long. The weights are kept that way; each layer's output follows them.
            self.net = self.net.to(memory_format=torch.channels_last)
{%- elif csv_data %}
        self.preprocessing = TablePreprocessing(**preprocessing)
        self.standardize = Standardize(*self.preprocessing.scaling())
        self.net = MLP(self.preprocessing.num_features, len(classes), hidden_size, num_layers, dropout)
{%- else %}
        self.net = MLP(num_features, len(classes), hidden_size, num_layers, dropout)
{%- endif %}
{%- if cookiecutter.torch_compile %}
        if compile_model:
            # Compiled on the first batch; the state dict keeps its plain parameter names.
            self.net.compile()
{%- endif %}
        # Accuracy over all samples (micro), one metric object per stage.
        self.train_acc = MulticlassAccuracy(len(classes), average="micro")
        self.val_acc = MulticlassAccuracy(len(classes), average="micro")
        self.test_acc = MulticlassAccuracy(len(classes), average="micro")

    def forward(self, x: Tensor) -> Tensor:
{%- if csv_data %}
        """Logits for rows of raw features (``TablePreprocessing.features``), standardised here."""
        return self.net(self.standardize(x))
{%- else %}
        return self.net(x)
{%- endif %}

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
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True, sync_dist=True)
        self.val_acc.update(logits, y)
{%- if cookiecutter.callback_figures %}
        return logits  # for the confusion matrix of ValidationFigure
{%- endif %}

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.log("test_loss", F.cross_entropy(logits, y), sync_dist=True)
        self.test_acc.update(logits, y)

    def on_validation_epoch_end(self) -> None:
        self.log("val_acc", self.val_acc, prog_bar=True)

    def on_test_epoch_end(self) -> None:
        self.log("test_acc", self.test_acc)

    def predict_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> Tensor:
        """The probability of every class (float32, also under mixed precision)."""
        return F.softmax(self(batch[0]).float(), dim=1)

    def prediction_table(self, probabilities: Tensor) -> dict[str, list]:
        """The columns of predictions.csv for what ``predict_step`` returned: the class, then its probabilities."""
        classes = self.hparams.classes
        columns = {"prediction": [classes[index] for index in probabilities.argmax(dim=1).tolist()]}
        for label, column in zip(classes, probabilities.T.tolist(), strict=True):
            columns[f"probability_{label}"] = column
        return columns
{%- if csv_data %}

    @torch.no_grad()
    def predict_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Predict raw rows (as ``read_table`` or ``pandas.read_csv`` reads them): the class in the data's labels.

        One row per row of ``rows``, with the same index; cells must be filled (see ``fill_missing``).
        """
        check_cells(rows, self.preprocessing.columns, "rows")
        self.eval()
        probabilities = self.predict_step((self.preprocessing.features(rows).to(self.device),), 0)
        return pd.DataFrame(self.prediction_table(probabilities), index=rows.index)
{%- endif %}

{% include "configure_optimizers.py.j2" %}