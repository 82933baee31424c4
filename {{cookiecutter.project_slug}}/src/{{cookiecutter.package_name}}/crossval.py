"""K-fold cross-validation: ``python -m {{ cookiecutter.package_name }} cv --folds 5``.
{%- set task = cookiecutter._tasks[cookiecutter.task] %}

Each fold is a normal ``fit --data.folds=N --data.fold=K`` in a process of its own, in the run folder
``<save_dir>/<name>/cv-<id>/fold_<K>/`` (``logs/default/cv-<id>/fold_0/``...): it trains on the other folds of
the train and val data, validates on its own fold and tests its best checkpoint on the test split, which is
the same in every fold. The data module makes the folds{{ " (stratified: each class in the same proportion)" if task.metric == "val_acc" }}, from its seed.
When every fold has finished, ``summary.json`` and ``summary.md`` in the cv-<id> folder give each fold's
metrics and their mean and standard deviation. Run the same command with ``--name cv-<id>`` after a kill
and it skips the folds that finished.
"""

import fcntl
import io
import json
import shutil
import statistics
import subprocess
import sys
import warnings
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import yaml
from jsonargparse import CLI

from {{ cookiecutter.package_name }}.atomic import written_whole
from {{ cookiecutter.package_name }}.cli import run_cli
from {{ cookiecutter.package_name }}.errors import InputError
from {{ cookiecutter.package_name }}.runs import logged_metrics, markdown

# What the checkpoints are ranked by: each fold's best value of it is its validation result.
MONITOR = "{{ task.monitor }}"
# The loggers that write into run folders (save_dir/name/<run>): a fold's folder is one of those runs.
RUN_LOGGERS = ("TensorBoardLogger", "CSVLogger")
# Written into a fold's folder once its fit has ended well: a fold that has it is not run again.
FOLD_RESULT = "fold.json"


def cv(folds: int | None = None, name: str | None = None, fit_args: list[str] | None = None) -> None:
    """Cross-validate fit's configuration over FOLDS folds of the train and val data; resumable.

    Args:
        folds: How many folds (5 for a new cross-validation): each is the validation split of one fit, the
            others its training data.
        name: The cross-validation's folder, cv-<date>-<time> for a new one. Give the name of one that was
            stopped to finish it: the folds that finished are skipped, with its folds and fit_args.
        fit_args: What each fold's fit gets besides its fold, e.g. "[--trainer.max_epochs=5]".
    """
    if folds is not None and folds < 2:
        raise InputError(f"--folds={folds}: cross-validation needs at least 2 folds")
    name = name or f"cv-{datetime.now():%Y%m%d-%H%M%S}"
    if name in (".", "..") or Path(name).name != name:
        raise InputError(f"--name={name!r} is not a folder name: give one without / (cv-<date>-<time> by default)")
    roots = run_roots(fit_args or [])
    folder = roots[0] / name
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{folder} is in use by another cv, or by a fold that it started: wait for it") from None
        settings = settle(folder, folds, fit_args)
        print(f"cross-validation {name}, {settings['folds']} folds, in {folder}: if it stops, run cv --name {name}")
        try:
            results = {fold: run_fold(folder, roots, fold, settings, lock) for fold in range(settings["folds"])}
        except KeyboardInterrupt:
            raise InputError(f"stopped: run `python -m {__package__} cv --name {name}` to go on") from None
    summarize(folder, settings, results)


def run_roots(fit_args: list[str]) -> list[Path]:
    """The folders in which fit's run-folder loggers (TensorBoard, CSV) keep their runs, as fit_args set them.

    fit's own parser reads them (``fit --print_config``), in this process: Lightning is imported already.
    """
    printed, errors = io.StringIO(), io.StringIO()
    with redirect_stdout(printed), redirect_stderr(errors), warnings.catch_warnings():
        # fit's options are given as args, with cv's on the command line: not the mistake Lightning warns of.
        warnings.filterwarnings("ignore", message="LightningCLI's args parameter", category=UserWarning)
        try:
            run_cli(["fit", *fit_args, "--print_config"])
            status = 1  # not reached: --print_config ends the parsing
        except SystemExit as ended:
            status = ended.code or 0
    if status != 0:
        lines = errors.getvalue().strip().splitlines()
        reason = lines[-1].removeprefix("error: ") if lines else f"exit status {status}"
        raise InputError(f"fit does not take these fit_args: {reason}")
    loggers = yaml.safe_load(printed.getvalue())["trainer"].get("logger")
    loggers = loggers if isinstance(loggers, list) else [loggers]
    roots = [
        Path(logger["init_args"]["save_dir"]) / logger["init_args"]["name"]
        for logger in loggers
        if isinstance(logger, dict) and logger["class_path"].endswith(RUN_LOGGERS)
    ]
    if not roots:
        raise InputError("cv keeps each fold in a run folder, which a TensorBoard or CSV logger makes: keep one")
    return roots


def settle(folder: Path, folds: int | None, fit_args: list[str] | None) -> dict[str, Any]:
    """The settings of the cross-validation in ``folder``: those it started with, or, for a new one, these."""
    settings_file = folder / "cv.json"
    if settings_file.is_file():
        started = json.loads(settings_file.read_text())
        given = {"folds": folds, "fit_args": fit_args}
        for key, value in given.items():
            if value is not None and value != started[key]:
                raise InputError(
                    f"{folder} was started with {key} {started[key]}, not {value}: drop --{key} to finish it,"
                    " or give another --name"
                )
        return started
    settings = {"folds": 5 if folds is None else folds, "fit_args": fit_args or []}
    with written_whole(settings_file, "w") as file:
        json.dump(settings, file, indent=2)
    return settings


def run_fold(folder: Path, roots: list[Path], fold: int, settings: dict[str, Any], lock: TextIO) -> dict[str, Any]:
    """Fit fold ``fold`` (unless it has finished) and return its result: the metrics it logged.

    The fit holds the cross-validation's lock too, so a fold that outlives a killed cv keeps its folder.
    """
    run = folder / f"fold_{fold}"
    result_file = run / FOLD_RESULT
    if result_file.is_file():
        print(f"fold {fold}: finished before, skipped ({run})", flush=True)
        return json.loads(result_file.read_text())
    for root in roots:  # what a killed fit of this fold left: it starts again
        shutil.rmtree(root / folder.name / run.name, ignore_errors=True)
    print(f"fold {fold} of {settings['folds']}: {run}", flush=True)
    command = [
        *(sys.executable, "-m", __package__, "fit", *settings["fit_args"]),
        *(f"--data.folds={settings['folds']}", f"--data.fold={fold}", f"--run_name={folder.name}/{run.name}"),
    ]
    status = subprocess.run(command, check=False, pass_fds=(lock.fileno(),)).returncode
    if status != 0:
        raise InputError(
            f"the fit of fold {fold} failed (exit status {status}, its output is above): run"
            f" `python -m {__package__} cv --name {folder.name}` again to go on from it"
        )
    metrics = logged_metrics(run)
    if not metrics.get(MONITOR):
        raise InputError(f"fold {fold} logged no {MONITOR} in {run}: give it at least one validation epoch")
    result = {"run": str(run), "best " + MONITOR: min(metrics[MONITOR])}
    result |= {metric: values[-1] for metric, values in sorted(metrics.items()) if metric.startswith("test_")}
    with written_whole(result_file, "w") as file:
        json.dump(result, file, indent=2)
    return result


def summarize(folder: Path, settings: dict[str, Any], results: dict[int, dict[str, Any]]) -> None:
    """summary.json and summary.md: each fold's metrics, and their mean and (sample) standard deviation."""
    metrics = [metric for metric in results[0] if metric != "run"]
    mean = {metric: statistics.mean(result[metric] for result in results.values()) for metric in metrics}
    std = {metric: statistics.stdev(result[metric] for result in results.values()) for metric in metrics}
    summary = {"name": folder.name, **settings, "results": results, "mean": mean, "std": std}
    with written_whole(folder / "summary.json", "w") as file:
        json.dump(summary, file, indent=2)
    rows = [[fold, *(result[metric] for metric in metrics)] for fold, result in results.items()]
    rows += [["mean", *mean.values()], ["std", *std.values()]]
    table = markdown(["fold", *metrics], rows)
    with written_whole(folder / "summary.md", "w") as file:
        file.write(f"# Cross-validation {folder.name}: {settings['folds']} folds\n\n")
        file.write(f"fit arguments: `{' '.join(settings['fit_args']) or '(none)'}`\n\n{table}\n")
    print(table)
    print(f"-> {folder}/summary.json, summary.md")


def main(args: list[str]) -> None:
    """``cv``: jsonargparse makes its options, help and --config from the signature."""
    CLI(cv, args=args, prog=f"python -m {__package__} cv")
