"""Callbacks of this project; Lightning's own ones are configured in ``configs/config.yaml``."""
{%- set tensorboard = cookiecutter.callback_weight_histograms or cookiecutter.callback_figures %}
{%- set gan = cookiecutter.task == "gan" %}
{%- set follows = cookiecutter.callback_checkpoint and (cookiecutter.logger_wandb or cookiecutter.logger_mlflow) %}
{%- set progress_bar = "RichProgressBar" if cookiecutter.progress_bar == "rich" else "TQDMProgressBar" %}
{%- set loggers = [] %}
{%- if follows and cookiecutter.logger_mlflow %}{% set _ = loggers.append("MLFlowLogger") %}{% endif %}
{%- if tensorboard %}{% set _ = loggers.append("TensorBoardLogger") %}{% endif %}
{%- if follows and cookiecutter.logger_wandb %}{% set _ = loggers.append("WandbLogger") %}{% endif %}

{% if not gan -%}
import csv
{% endif -%}
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import BasePredictionWriter, {{ progress_bar }}
{%- if loggers %}
from pytorch_lightning.loggers import {{ loggers | join(", ") }}
{%- endif %}
from torch import Tensor
{%- if tensorboard %}
from torch.utils.tensorboard import SummaryWriter
{%- endif %}

from {{ cookiecutter.package_name }}.atomic import written_whole
from {{ cookiecutter.package_name }}.errors import NonFiniteLossError
{%- if follows %}

# The key of a checkpoint that holds the ids of the runs it belongs to, by logger: see RunIds.
RUN_IDS = "run_ids"
{%- endif %}


class PredictionWriter(BasePredictionWriter):
{%- if gan %}
    """Save what ``predict`` returns to ``output_dir/predictions.pt`` (one file per process)."""
{%- else %}
    """Write what ``predict`` returns to ``output_dir/predictions.csv``: one row per sample, in the data's order.

    The first column names the sample (the data module's ``predict_keys``: a row of the file, an id, a file
    name...), the model's ``prediction_table`` gives the others. Each process of a distributed run writes its
    share to ``predictions-rank<N>.csv``.
    """
{%- endif %}

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
{%- if gan %}
        name = "predictions.pt" if trainer.world_size == 1 else f"predictions-rank{trainer.global_rank}.pt"
        with written_whole(self.output_dir / name, "wb") as file:
            torch.save(torch.cat(list(predictions)), file)
{%- else %}
        keys = trainer.datamodule.predict_keys
        order = [index for batch in batch_indices[0] for index in batch]  # the samples, as the loader served them
        columns = {name: [values[index] for index in order] for name, values in keys.items()}
        columns |= pl_module.prediction_table(torch.cat(list(predictions)))
        name = "predictions.csv" if trainer.world_size == 1 else f"predictions-rank{trainer.global_rank}.csv"
        with written_whole(self.output_dir / name, "w") as file:
            writer = csv.writer(file)
            writer.writerow(columns)
            writer.writerows(zip(*columns.values(), strict=True))
{%- endif %}


class NonFiniteLossCheck(pl.Callback):
    """Stop the run with :class:`NonFiniteLossError` when a training loss turns NaN or infinite.

    The losses that ``training_step`` returns are summed on their device, and the sum is read every
    ``log_every_n_steps`` batches and at the end of each epoch: a GPU is not made to wait for the host
    after every step just for this check. A NaN or an infinity anywhere makes the sum NaN or infinite.
    """

    def __init__(self) -> None:
        self._sum: Tensor | None = None
        self._first_step = 0

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        losses = [value.detach().float() for name, value in outputs.items() if name.endswith("loss")]
        if losses:
            step_sum = torch.stack(losses).sum()
            if self._sum is None:
                self._sum, self._first_step = step_sum, trainer.global_step
            else:
                self._sum += step_sum
        if (batch_idx + 1) % trainer.log_every_n_steps == 0:
            self._check(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check(trainer)

    def _check(self, trainer: pl.Trainer) -> None:
        total, self._sum = self._sum, None
        if total is not None and not torch.isfinite(total):
            raise NonFiniteLossError(
                f"the training loss turned {total.item()} between steps {self._first_step} and {trainer.global_step}:"
                " lower --model.lr, look for NaN or infinite values in the data, or train with"
                " --trainer.precision=32-true"
            )


class ProgressBar({{ progress_bar }}):
    """Lightning's {{ cookiecutter.progress_bar }} progress bar without ``v_num``, the logger's version, which says nothing about training."""

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, Any]:
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        return metrics
{%- if follows %}


class RunIds(pl.Callback):
    """Keep the ids of the training's {{ "W&B and MLflow runs" if cookiecutter.logger_wandb and cookiecutter.logger_mlflow else "W&B run" if cookiecutter.logger_wandb else "MLflow run" }} in every checkpoint, as ``checkpoint[RUN_IDS]``.

    ``test``, ``validate``, ``predict`` and a resumed ``fit`` with the checkpoint log into the same {{ "runs" if cookiecutter.logger_wandb and cookiecutter.logger_mlflow else "run" }}:
    the command line reads the ids back (``cli.py``).
    """

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        run_ids = {}
        for logger in trainer.loggers:
{%- if cookiecutter.logger_wandb %}
            if isinstance(logger, WandbLogger):
                run_ids["wandb"] = logger.version
{%- endif %}
{%- if cookiecutter.logger_mlflow %}
            {{ "elif" if cookiecutter.logger_wandb else "if" }} isinstance(logger, MLFlowLogger):
                run_ids["mlflow"] = logger.run_id
{%- endif %}
        checkpoint[RUN_IDS] = run_ids
{%- endif %}
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
