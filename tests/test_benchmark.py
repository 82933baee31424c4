"""benchmarks/run.py and bench_images.py run end to end on a short setting and write what they promise."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TEMPLATE_DIR

KEYS = {"ratio_default_vs_plain", "ratio_bare_vs_plain", "first_step_seconds", "generated_tests_seconds"}


def test_a_short_benchmark_writes_its_table_and_json(tmp_path: Path) -> None:
    # One round of 12 steps, one round of whole processes on a small data set, and no test suite: this
    # checks that the loops and processes run and do the same work as the project they measure (the
    # plain and hand-written loops rebuild its optimizer, loss and schedule), not how fast they are.
    output = tmp_path / "latest.json"
    short = ["--rounds", "1", "--steps", "12", "--pairs", "1", "--samples", "2048", "--epochs", "1", "2"]
    command = [sys.executable, "benchmarks/run.py", *short, "--no-tests", "--no-images", "--json", output]
    result = subprocess.run(command, cwd=TEMPLATE_DIR, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| ratio default / plain, per step |" in result.stdout
    assert "| whole `fit` / hand loop, 2 epochs |" in result.stdout
    results = json.loads(output.read_text())
    assert set(results) >= KEYS
    assert set(results["per_round_ms"]) == {"plain", "default", "bare"}
    assert all(len(times) == 1 and times[0] > 0 for times in results["per_round_ms"].values())
    assert results["ratio_default_vs_plain"] > 0 and results["first_step_seconds"] > 0
    assert results["generated_tests_seconds"] is None  # --no-tests
    whole = results["whole"]
    assert set(whole["times"]["fit"]) == set(whole["times"]["hand"]) == {"1", "2"}
    assert whole["ratio_2_epochs"] > 0
    # One pair: the line through its two runs gives each one's time back (the slope alone is noise at this size).
    for name in ("fit", "hand"):
        for epochs in (1, 2):
            cost = whole[f"{name}_fixed_seconds"] + epochs * whole[f"{name}_per_epoch_seconds"]
            assert cost == pytest.approx(whole[f"{name}_seconds"][str(epochs)]), (name, epochs)
    # The same work: the hand-written loop and fit test their best checkpoints to about the same accuracy.
    accuracy = whole["test_acc"]
    assert accuracy["fit"] > 0.5 and abs(accuracy["fit"] - accuracy["hand"]) < 0.05, accuracy
    loader = results["loader"]
    assert len(loader["rounds"]["project"]) == len(loader["rounds"]["per_sample"]) == 3
    assert loader["samples_per_second"]["project"] > 0


def test_a_short_image_folder_benchmark_caches_once_and_compares_the_three_paths(tmp_path: Path) -> None:
    output = tmp_path / "images.json"
    short = ["--photos", "60", "--epochs", "2", "--rounds", "1", "--json", output]
    command = [sys.executable, "benchmarks/bench_images.py", *short]
    result = subprocess.run(command, cwd=TEMPLATE_DIR, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| ratio old / new, epochs 2+ |" in result.stdout
    results = json.loads(output.read_text())
    assert len(results["cache_files"]) == 1  # the first fit wrote it, the later ones read it
    assert set(results["later_epoch_seconds"]) == {"old", "uncached", "new"}
    assert all(len(run["epoch_seconds"]) == 2 for runs in results["fits"].values() for run in runs)
    assert results["ratio_later_epochs_old_vs_new"] > 0 and results["ratio_later_epochs_uncached_vs_new"] > 0
    loaders = {(entry["loader"], entry["workers"]) for entry in results["loaders"]}
    assert ("plain per-sample", 0) in loaders and all(entry["images_per_second"] > 0 for entry in results["loaders"])
