"""Callbacks of this project; Lightning's own ones are configured in ``configs/config.yaml``."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import BasePredictionWriter


class PredictionWriter(BasePredictionWriter):
    """Save what ``predict`` returns to ``output_dir/predictions.pt`` (one file per process)."""

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
        name = "predictions.pt" if trainer.world_size == 1 else f"predictions-rank{trainer.global_rank}.pt"
        self.output_dir.mkdir(parents=True, exist_ok=True)
        torch.save(torch.cat(list(predictions)), self.output_dir / name)
