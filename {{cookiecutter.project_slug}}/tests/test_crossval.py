{%- set classify = cookiecutter.task != "regression" -%}
{%- set files = cookiecutter.data_source == "image_folder" -%}
"""Cross-validation: the folds that the data module makes, and ``cv`` as a user runs it, killed and started again."""

{% if not cookiecutter.logger_tensorboard -%}
import csv
{% endif -%}
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from {{ cookiecutter.package_name }}.data import {{ cookiecutter.__datamodule_class }}

from .conftest import QUIET, RUN_DIR, run_main

FOLDS = 3
# Short fits: enough to check what cv does with them.
FIT_ARGS = [
    *("--trainer.max_epochs=2", "--trainer.limit_train_batches=3", "--trainer.limit_test_batches=2"),
    *("--trainer.enable_progress_bar=false", *QUIET),
]


def fold_data(fold: int | None) -> {{ cookiecutter.__datamodule_class }}:
    data = {{ cookiecutter.__datamodule_class }}(folds=FOLDS, fold=fold)
    data.prepare_data()
    data.setup("fit")
    data.setup("test")
    return data


def samples(split) -> list:
    """A key per sample of a split: {{ "its file" if files else "its bytes" }}."""
{%- if files %}
    return [str(path) for path in split.files]
{%- else %}
    return [row.numpy().tobytes() for row in split.tensors[0]]
{%- endif %}
{%- if classify %}


def labels(split) -> list[int]:
{%- if files %}
    return list(split.labels)
{%- else %}
    return split.tensors[1].tolist()
{%- endif %}
{%- endif %}


def test_the_folds_cut_train_and_val_into_disjoint_parts_and_keep_the_test_split(workdir: Path) -> None:
    whole = fold_data(None)
    pool = Counter(samples(whole.splits["train"]) + samples(whole.splits["val"]))
    test = samples(whole.splits["test"])
{%- if classify %}
    pool_labels = Counter(labels(whole.splits["train"]) + labels(whole.splits["val"]))
{%- endif %}
    validated = Counter()
    for fold in range(FOLDS):
        data = fold_data(fold)
        train, val = Counter(samples(data.splits["train"])), Counter(samples(data.splits["val"]))
        assert train + val == pool  # every sample once: in the fold's train or in its val
        assert not train & val
        assert samples(data.splits["test"]) == test  # held out, the same in every fold
        assert abs(val.total() - pool.total() / FOLDS) <= 1
{%- if classify %}
        # Stratified: each class is in every fold's val in its share, give or take one sample.
        val_labels = Counter(labels(data.splits["val"]))
        assert all(abs(val_labels[label] - count / FOLDS) <= 1 for label, count in pool_labels.items())
{%- endif %}
        validated += val
    assert validated == pool  # the folds' val parts cover the train and val data


def test_a_fold_out_of_range_and_options_fit_does_not_take_are_refused_in_one_line(workdir: Path) -> None:
    refused = run_main("fit", "--data.fold=3", "--data.folds=3")
    assert refused == "error: --data.fold=3 is not one of 3 folds: give 0 to 2"
    assert run_main("cv", "--folds=1") == "error: --folds=1: cross-validation needs at least 2 folds"
    refused = run_main("cv", "--fit_args=[--trainer.no_such_option=3]")
    assert refused.startswith("error: fit does not take these fit_args: ") and "no_such_option" in refused
    assert not Path("logs").exists()


def logged(run: Path) -> dict[str, list[float]]:
    """The metrics a fold logged, read here from its {{ "TensorBoard events" if cookiecutter.logger_tensorboard else "metrics.csv" }}."""
{%- if cookiecutter.logger_tensorboard %}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run), size_guidance={"scalars": 0})
    events.Reload()
    return {tag: [event.value for event in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
{%- else %}
    with (run / "metrics.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    return {name: [float(row[name]) for row in rows if row[name]] for name in rows[0]}
{%- endif %}


def test_cv_killed_and_started_again_skips_the_finished_fold_and_sums_up_both(workdir: Path) -> None:
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "cv", "--name=cv-test"]
    folder = RUN_DIR.parent / "cv-test"
    first = subprocess.Popen(
        [*command, "--folds=2", f"--fit_args=[{', '.join(FIT_ARGS)}]"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill below takes the fold's fit with it
    )
    deadline = time.monotonic() + 240
    while not (folder / "fold_1").exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)  # as the second fold starts
    first.wait()
    assert (folder / "fold_0" / "fold.json").is_file()
    assert not (folder / "summary.json").exists()
    finished_fold = {path: path.stat().st_mtime_ns for path in (folder / "fold_0").rglob("*")}

    again = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)

    assert again.returncode == 0, again.stderr[-3000:]
    assert "fold 0: finished before, skipped" in again.stdout
    assert {path: path.stat().st_mtime_ns for path in (folder / "fold_0").rglob("*")} == finished_fold
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["folds"] == 2
    results = summary["results"]
    for fold in (0, 1):
        run = folder / f"fold_{fold}"
        config = (run / "config.yaml").read_text()
        assert f"fold: {fold}\n" in config and "folds: 2\n" in config
        metrics = logged(run)
        result = results[str(fold)]
        assert result["best {{ cookiecutter._tasks[cookiecutter.task].monitor }}"] == min(metrics["{{ cookiecutter._tasks[cookiecutter.task].monitor }}"])
        tested = {name: values[-1] for name, values in metrics.items() if name.startswith("test_")}
        assert tested and {name: result[name] for name in tested} == tested
{%- if cookiecutter.callback_checkpoint %}
        assert len(list((run / "checkpoints").glob("best-*.ckpt"))) == 1  # the checkpoint its test read
{%- endif %}
    for metric, mean in summary["mean"].items():
        values = [results[fold][metric] for fold in ("0", "1")]
        assert mean == statistics.mean(values)
        assert summary["std"][metric] == statistics.stdev(values)
    table = (folder / "summary.md").read_text()
    assert all(f"\n| {row} |" in table for row in ("0", "1", "mean", "std"))
