"""The run's metrics, read back from the CSV log."""

import csv
from pathlib import Path

from .conftest import TrainedRun

CSV_RUN_DIR = Path("logs/{{ "csv" if cookiecutter.logger_tensorboard else "default" }}/version_0")


def test_metrics_are_in_the_csv_log(trained: TrainedRun) -> None:
    with (trained.path / CSV_RUN_DIR / "metrics.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    val_acc = [float(row["val_acc"]) for row in rows if row["val_acc"]]
    assert len(val_acc) == 3
    assert max(val_acc) >= 0.9
    assert {"train_loss", "val_loss", "test_acc"} <= set(rows[0])
{%- if cookiecutter.callback_lr_monitor %}
    assert "lr-{{ cookiecutter.optimizer }}" in rows[0]
{%- endif %}
