{%- set tag = {"regression": "val_predicted_vs_true", "gan": "val_samples"}.get(cookiecutter.task, "val_confusion_matrix") -%}
"""ValidationFigure: one figure per validation epoch, read back from the TensorBoard event files."""

from pathlib import Path

import pytest
{%- if cookiecutter.task == "gan" %}
import torch
{%- endif %}
from tensorboard.backend.event_processing.event_accumulator import IMAGES, EventAccumulator

from {{ cookiecutter.package_name }}.cli import run_cli
{%- if cookiecutter.task == "gan" %}
from {{ cookiecutter.package_name }}.figures import tile
{%- endif %}

from .conftest import QUIET, RUN_DIR, TRAIN_EPOCHS, TrainedRun


def test_a_figure_per_validation_epoch(trained: TrainedRun) -> None:
    events = EventAccumulator(str(trained.path / RUN_DIR), size_guidance={IMAGES: 0}).Reload()
    figures = events.Images("{{ tag }}")
    assert len(figures) == TRAIN_EPOCHS  # one per epoch, none for the sanity check
    assert figures[-1].encoded_image_string.startswith(b"\x89PNG")
    assert figures[-1].width >= 300
    assert figures[-1].height >= 300
{%- if cookiecutter.task == "gan" %}


def test_tile_lays_images_out_in_rows() -> None:
    images = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 3, 2, 2)  # four 2x2 RGB images: all 0, 1, 2, 3
    grid = tile(images, rows=2)
    assert grid.shape == (4, 4, 3)
    assert grid[:2, :2].eq(0).all()
    assert grid[:2, 2:].eq(1).all()
    assert grid[2:, :2].eq(2).all()
{%- endif %}


def test_without_tensorboard_it_says_what_to_change(workdir: Path) -> None:
{%- if cookiecutter.callback_weight_histograms %}
    # WeightHistograms comes first in the configuration, so it is the one that complains.
    with pytest.raises(ValueError, match=r"WeightHistograms writes to TensorBoard: add .*TensorBoardLogger"):
{%- else %}
    with pytest.raises(ValueError, match=r"ValidationFigure writes to TensorBoard: add .*TensorBoardLogger"):
{%- endif %}
        run_cli(["fit", "--trainer.logger=false", *QUIET])
