"""The run's scalars, read back from the TensorBoard event files."""

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from .conftest import {{ "GOOD_MAE, " if cookiecutter.task == "regression" }}RUN_DIR, TRAIN_EPOCHS, TrainedRun


def test_scalars_are_in_tensorboard(trained: TrainedRun) -> None:
    scalars = EventAccumulator(str(trained.path / RUN_DIR)).Reload()
{%- set metric = {"regression": "mae", "gan": "d_loss"}.get(cookiecutter.task, "acc") %}
    val_{{ metric }} = [event.value for event in scalars.Scalars("val_{{ metric }}")]
    assert len(val_{{ metric }}) == TRAIN_EPOCHS
{%- if cookiecutter.task == "regression" %}
    assert min(val_mae) < GOOD_MAE
{%- elif cookiecutter.task == "gan" %}
    assert all(loss > 0 for loss in val_d_loss)
{%- else %}
    assert max(val_acc) >= 0.9
{%- endif %}
    assert scalars.Scalars("test_{{ metric }}")[-1].value == pytest.approx(trained.metrics["test_{{ metric }}"])
    tags = set(scalars.Tags()["scalars"])
{%- if cookiecutter.task == "gan" %}
    assert {"train_g_loss", "train_d_loss", "val_g_loss", "val_d_loss", "test_g_loss", "test_d_loss"} <= tags
{%- else %}
    assert {"train_loss", "train_{{ metric }}", "val_loss", "test_loss"} <= tags
{%- endif %}
    assert "hp_metric" not in tags
{%- if cookiecutter.callback_lr_monitor %}
    assert "lr-{{ cookiecutter.optimizer }}" in tags
{%- endif %}
