"""The run's scalars, read back from the TensorBoard event files."""

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from .conftest import RUN_DIR, TrainedRun


def test_scalars_are_in_tensorboard(trained: TrainedRun) -> None:
    scalars = EventAccumulator(str(trained.path / RUN_DIR)).Reload()
    val_acc = [event.value for event in scalars.Scalars("val_acc")]
    assert len(val_acc) == 3
    assert max(val_acc) >= 0.9
    assert scalars.Scalars("test_acc")[-1].value == pytest.approx(trained.metrics["test_acc"])
    tags = set(scalars.Tags()["scalars"])
    assert {"train_loss", "train_acc", "val_loss", "test_loss"} <= tags
    assert "hp_metric" not in tags
{%- if cookiecutter.callback_lr_monitor %}
    assert "lr-{{ cookiecutter.optimizer }}" in tags
{%- endif %}
