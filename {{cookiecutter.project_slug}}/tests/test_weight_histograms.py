"""WeightHistograms: a histogram of every parameter per epoch, read back from the TensorBoard event files."""

from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import HISTOGRAMS, EventAccumulator

from {{ cookiecutter.package_name }}.cli import run_cli
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}

from .conftest import QUIET, RUN_DIR, TRAIN_EPOCHS, TrainedRun


def test_every_parameter_has_a_histogram_per_epoch(trained: TrainedRun) -> None:
    events = EventAccumulator(str(trained.path / RUN_DIR), size_guidance={HISTOGRAMS: 0}).Reload()
    parameters = [name for name, _ in {{ cookiecutter.__model_class }}().named_parameters()]
    assert set(events.Tags()["histograms"]) == {f"weights/{name}" for name in parameters}
    histograms = events.Histograms(f"weights/{parameters[0]}")
    assert len(histograms) == TRAIN_EPOCHS
    assert histograms[-1].histogram_value.num > 0


def test_without_tensorboard_it_says_what_to_change(workdir: Path) -> None:
    with pytest.raises(ValueError, match=r"WeightHistograms writes to TensorBoard: add .*TensorBoardLogger"):
        run_cli(["fit", "--trainer.logger=false", *QUIET])
