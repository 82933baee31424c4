"""The run's metrics, read back from the CSV log."""

import csv
from pathlib import Path

from .conftest import {{ "GOOD_MAE, " if cookiecutter.task == "regression" }}TRAIN_EPOCHS, TrainedRun

CSV_RUN_DIR = Path("logs/{{ "csv" if cookiecutter.logger_tensorboard else "default" }}/version_0")


def test_metrics_are_in_the_csv_log(trained: TrainedRun) -> None:
    with (trained.path / CSV_RUN_DIR / "metrics.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
{%- set metric = {"regression": "mae", "gan": "d_loss"}.get(cookiecutter.task, "acc") %}
    val_{{ metric }} = [float(row["val_{{ metric }}"]) for row in rows if row["val_{{ metric }}"]]
    assert len(val_{{ metric }}) == TRAIN_EPOCHS
{%- if cookiecutter.task == "regression" %}
    assert min(val_mae) < GOOD_MAE
{%- elif cookiecutter.task == "gan" %}
    assert all(loss > 0 for loss in val_d_loss)
{%- else %}
    assert max(val_acc) >= 0.9
{%- endif %}
    assert {{ '{"train_g_loss", "train_d_loss", "val_g_loss"' if cookiecutter.task == "gan" else '{"train_loss", "val_loss"' }}, "test_{{ metric }}"} <= set(rows[0])
{%- if cookiecutter.callback_lr_monitor %}
    assert "lr-{{ cookiecutter.optimizer }}" in rows[0]
{%- endif %}
