"""Experiments over many runs of ``fit``: a hyperparameter search, repeated seeds, and one table of results.

    python -m {{ cookiecutter.package_name }} sweep --config configs/sweep.yaml   # an Optuna study: run it again to resume it,
                                                         # or in several processes to share it
    python -m {{ cookiecutter.package_name }} seeds --seeds "[1,2,3]"             # one configuration over several seeds
    python -m {{ cookiecutter.package_name }} report                              # the runs under logs/: markdown and CSV

Every trial and every seed is a normal ``fit`` in a process of its own, with its run folder, ``config.yaml``,
logs and checkpoints. This module starts those processes and reads back what they logged.
"""
{%- set task = cookiecutter._tasks[cookiecutter.task] %}
{%- set test_metric = "test_" ~ task.metric[4:] if task.metric else "" %}{# a GAN renders no experiments.py #}

import csv
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import optuna
import pytorch_lightning as pl
import yaml
from jsonargparse import CLI
from optuna.trial import TrialState

from {{ cookiecutter.package_name }}.atomic import written_whole
from {{ cookiecutter.package_name }}.errors import InputError
from {{ cookiecutter.package_name }}.runs import logged_metrics, markdown

# What the checkpoints are ranked by and the sweep minimises, and the test metric the report shows beside it.
MONITOR = "{{ task.monitor }}"
TEST_METRIC = "{{ test_metric }}"
# The settings that a process started by `sweep` or `seeds` gets from its parent: group, trial, study.
EXPERIMENT = "{{ cookiecutter.package_name | upper }}_EXPERIMENT"
# The exit status of a trial's fit that the study pruned.
PRUNED_EXIT = 3
HOST = socket.gethostname()
RUNS = "logs/default"
SETTINGS = ("model", "data", "trainer")  # the parts of a run's config.yaml whose differences the report shows


class Pruned(Exception):
    """Raised in a trial's ``fit`` when the study prunes the trial."""


class ReportToTrial(pl.Callback):
    """A trial's ``fit``: report the monitored metric to the study after each validation, stop when it prunes.

    optuna-integration's Lightning callback is written for the ``lightning.pytorch`` namespace, whose classes
    this project (``pytorch_lightning``) does not share: this one is the few lines it needs.
    """

    def __init__(self, study: optuna.Study, trial_id: int) -> None:
        self.trial = optuna.trial.Trial(study, trial_id)
        self.parent = os.getppid()

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.is_global_zero:
            self.trial.set_user_attr("run", trainer.log_dir)

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        if os.getppid() != self.parent:  # the sweep was killed: its study will retry this trial
            raise SystemExit("the sweep that started this trial has stopped")

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get(MONITOR)
        if trainer.sanity_checking or value is None:
            return
        self.trial.report(float(value), step=trainer.current_epoch)
        if self.trial.should_prune():
            raise Pruned(f"pruned after epoch {trainer.current_epoch} at {MONITOR} {float(value):.4g}")


class TagRun(pl.Callback):
    """Write ``experiment.json`` (the run's group, and trial) into the run folder, for ``report``."""

    def __init__(self, tag: dict[str, Any]) -> None:
        self.tag = tag

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and trainer.is_global_zero and trainer.log_dir:
            with written_whole(Path(trainer.log_dir) / "experiment.json", "w") as file:
                json.dump(self.tag, file)


def run_callbacks() -> list[pl.Callback]:
    """The callbacks of a ``fit`` that ``sweep`` or ``seeds`` started (told by the environment); none otherwise."""
    given = os.environ.get(EXPERIMENT)
    if not given:
        return []
    settings = json.loads(given)
    callbacks: list[pl.Callback] = [TagRun({key: settings[key] for key in ("group", "trial") if key in settings})]
    if "trial_id" in settings:
        study = optuna.load_study(
            study_name=settings["study"],
            storage=open_storage(settings["storage"]),
            pruner=make_pruner(settings["pruner"]),
        )
        callbacks.append(ReportToTrial(study, settings["trial_id"]))
    return callbacks


def sweep(
    space: dict[str, dict[str, Any]] | None = None,
    study_name: str = "{{ cookiecutter.project_slug }}",
    storage: str = "sqlite:///sweeps.db",
    n_trials: int = 20,
    pruner: Literal["median", "hyperband", "none"] = "median",
    seed: int = 0,
    fit_args: list[str] | None = None,
    output_dir: str = "sweeps",
    heartbeat: int = 30,
) -> None:
    """Search fit's options with Optuna, pruning trials that fall behind; resumable and shareable.

    Run it again after a kill and the study continues up to n_trials; run it in several processes or on several
    machines with the same storage and study_name and they share the trials. A trial whose process died is
    failed and retried once with its parameters; a trial whose fit fails (a NaN loss, bad input) ends FAIL
    with its reason. At the end, and with --n_trials equal to the trials done, the best trial's options are
    written to OUTPUT_DIR/STUDY_NAME/best.yaml with a summary.

    Args:
        space: Option -> range: {low, high} (a float; log: true to search on a log scale), {low, high, type: int},
            or {choices: [...]}, with options as fit takes them: model.lr, data.batch_size, ...
        study_name: The study: processes with the same name and storage share it.
        storage: An SQLite file (sqlite:///sweeps.db), any database URL Optuna takes, or journal:FILE for
            Optuna's journal file.
        n_trials: Trials to finish (completed or pruned), counted over every process.
        pruner: When to stop a trial early: median (below the median of earlier trials at the same epoch),
            hyperband, or none.
        seed: The sampler's seed: trial N draws from seed + N.
        fit_args: What each trial's fit gets before its sampled options, e.g. [--config, configs/config.yaml].
        output_dir: Where each trial's output and the study's summary go.
        heartbeat: Seconds between a running trial's heartbeats in a database storage: a trial silent for
            four of them is failed and retried by the next process that looks.
    """
    check_space(space)
    study = load_study(study_name, storage, pruner, heartbeat)
    folder = Path(output_dir) / study_name
    folder.mkdir(parents=True, exist_ok=True)
    fit = [sys.executable, "-m", __package__, "fit", *(fit_args or []), "--trainer.enable_progress_bar=false"]

    def objective(trial: optuna.Trial) -> float:
        if surplus(study, trial, n_trials):
            trial.set_user_attr("surplus", True)
            trial.set_user_attr("reason", f"the study had its {n_trials} trials when this one started")
            raise TrialFailed(trial.user_attrs["reason"])
        trial.set_user_attr("host", HOST)
        trial.set_user_attr("pid", os.getpid())
        study.sampler = optuna.samplers.TPESampler(seed=seed + trial.number)  # reproducible, and distinct per trial
        options = [f"--{option}={suggest(trial, option, spec)}" for option, spec in (space or {}).items()]
        settings = {
            "group": f"sweep-{study_name}",
            "trial": trial.number,
            "study": study_name,
            "storage": storage,
            "pruner": pruner,
            "trial_id": trial._trial_id,  # Optuna's Trial() takes the storage's id, which has no public getter
        }
        log = folder / f"trial_{trial.number}.log"
        with log.open("w") as output:
            status = subprocess.run(
                [*fit, *options],
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
                env=os.environ | {EXPERIMENT: json.dumps(settings)},
            ).returncode
        if status == PRUNED_EXIT:
            raise optuna.TrialPruned()
        values = study.get_trials(deepcopy=False)[trial.number].intermediate_values.values()
        if status != 0 or not values:
            trial.set_user_attr("reason", failure(log, status))
            raise TrialFailed(trial.user_attrs["reason"])
        return min(values)

    while True:
        fail_dead_trials(study)
        counts = count(study)
        if counts["done"] >= n_trials:
            break
        if counts["failed"] >= max(n_trials, 3):
            raise InputError(f"{counts['failed']} trials failed: see why in {folder}/trial_*.log")
        if counts["done"] + counts["running"] >= n_trials:  # the last trials run in other processes
            time.sleep(2)
            continue
        study.optimize(objective, n_trials=1, catch=(TrialFailed,), callbacks=[say])
    summarize(study, folder)


def seeds(seeds: list[int] | None = None, fit_args: list[str] | None = None, group: str | None = None) -> None:
    """Run one configuration once per seed (--seed_everything), as runs of one group that report summarizes.

    Args:
        seeds: The seeds, e.g. "[1,2,3]" (by default [0,1,2]).
        fit_args: What each fit gets besides its seed, e.g. [--config, configs/config.yaml].
        group: The group's name in the report (by default seeds-<date>-<time>).
    """
    group = group or f"seeds-{datetime.now():%Y%m%d-%H%M%S}"
    failed = []
    for seed in seeds or [0, 1, 2]:
        print(f"seed {seed}:", flush=True)
        command = [sys.executable, "-m", __package__, "fit", *(fit_args or []), f"--seed_everything={seed}"]
        env = os.environ | {EXPERIMENT: json.dumps({"group": group})}
        if subprocess.run(command, env=env, check=False).returncode != 0:
            failed.append(seed)
    report(group=group)
    if failed:
        raise InputError(f"the runs with seeds {failed} failed: see their output above")


def report(
    runs: str = RUNS,
    output: str = "reports/runs.csv",
    group: str | None = None,
    study_name: str | None = None,
    storage: str = "sqlite:///sweeps.db",
) -> None:
    """Print a markdown table of the runs under RUNS and write it as CSV, with mean and deviation per group.

    A row per run: its group and seed or trial, the settings that differ between the runs, the best {{ task.monitor }}
    and the {{ test_metric }} it logged. Runs that logged nothing (stopped before their first epoch) are left out.

    Args:
        runs: The folder of the run folders (version_N).
        output: The CSV file; the groups' means and deviations go beside it, as <name>-groups.csv.
        group: Only the runs of this group.
        study_name: Only the trials of this study, with their state in it (complete, pruned, fail).
        storage: The study's storage, as sweep takes it.
    """
    rows = [row for folder in run_folders(Path(runs)) if (row := read_run(folder)) is not None]
    if study_name is not None:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.load_study(study_name=study_name, storage=open_storage(storage))
        states = {trial.number: trial.state.name.lower() for trial in study.get_trials(deepcopy=False)}
        group = f"sweep-{study_name}"
        for row in rows:
            row["state"] = states.get(row["trial"]) if row["group"] == group else None
    if group is not None:
        rows = [row for row in rows if row["group"] == group]
    if not rows:
        raise InputError(f"no runs with logged metrics in {runs}: train with fit first")
    varying = differing_settings([row["settings"] for row in rows])
    state = ["state"] if study_name is not None else []
    columns = ["run", "group", "seed", "trial", *state, *varying, f"best {MONITOR}", TEST_METRIC]
    table = []
    for row in rows:
        settings = [row[key] for key in state] + [row["settings"].get(key) for key in varying]
        table.append([row["run"], row["group"], row["seed"], row["trial"], *settings, row["best"], row["test"]])
    groups = group_summary(rows)
    print(markdown(columns, table))
    if groups:
        print()
        print(markdown(["group", "runs", f"best {MONITOR} mean", "std", f"{TEST_METRIC} mean", "std"], groups))
    write_csv(Path(output), columns, table)
    if groups:
        columns = ["group", "runs", "best mean", "best std", "test mean", "test std"]
        write_csv(Path(output).with_name(f"{Path(output).stem}-groups.csv"), columns, groups)


class TrialFailed(Exception):
    """A trial's fit failed (its reason is in the trial's user attributes): the sweep goes on."""


def open_storage(url: str, heartbeat: int | None = None) -> optuna.storages.BaseStorage:
    """``journal:FILE`` as Optuna's journal file, anything else as a database URL (with heartbeats if asked)."""
    try:
        return connect(url, heartbeat)
    except Exception as error:  # SQLAlchemy's many kinds: an unknown scheme, a missing driver, a refused login
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(
            f"cannot open the study's storage {url!r} ({reason}): give sqlite:///FILE, journal:FILE or a database URL"
        ) from None


def connect(url: str, heartbeat: int | None) -> optuna.storages.BaseStorage:
    if url.startswith("journal:"):
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(url.removeprefix("journal:")))
    if heartbeat is None:
        return optuna.storages.RDBStorage(url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats are Optuna's own
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=heartbeat,
            grace_period=4 * heartbeat,
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1),
        )


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner()
    return optuna.pruners.NopPruner()


def load_study(name: str, storage: str, pruner: str, heartbeat: int) -> optuna.Study:
    # say() prints a line per trial instead of Optuna's log, which adds a stack trace to every failed trial.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.create_study(
        study_name=name,
        storage=open_storage(storage, heartbeat),
        pruner=make_pruner(pruner),
        direction="minimize",
        load_if_exists=True,
    )


def check_space(space: dict[str, dict[str, Any]] | None) -> None:
    if not space:
        raise InputError("the search space is empty: give --space (in configs/sweep.yaml) at least one option")
    for option, spec in (space or {}).items():
        if "choices" not in spec and not {"low", "high"} <= set(spec):
            raise InputError(f"space {option}: give low and high, or choices")


def suggest(trial: optuna.Trial, option: str, spec: dict[str, Any]) -> Any:
    if "choices" in spec:
        return trial.suggest_categorical(option, spec["choices"])
    if spec.get("type") == "int":
        return trial.suggest_int(option, spec["low"], spec["high"], log=spec.get("log", False))
    return trial.suggest_float(option, spec["low"], spec["high"], log=spec.get("log", False))


def count(study: optuna.Study) -> dict[str, int]:
    trials = study.get_trials(deepcopy=False)
    states = [trial.state for trial in trials]
    return {
        "done": sum(state in (TrialState.COMPLETE, TrialState.PRUNED) for state in states),
        "running": sum(state == TrialState.RUNNING for state in states),
        # Trials of a process that died are retried, and surplus ones were never run: neither failed by itself.
        "failed": sum(
            trial.state == TrialState.FAIL and "retried" not in trial.user_attrs and "surplus" not in trial.user_attrs
            for trial in trials
        ),
    }


def surplus(study: optuna.Study, trial: optuna.Trial, n_trials: int) -> bool:
    """Whether trials started before this one, finished or running, already make n_trials (processes raced)."""
    earlier = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING))
    return sum(other.number < trial.number for other in earlier) >= n_trials


def fail_dead_trials(study: optuna.Study) -> None:
    """Fail the running trials whose sweep process on this machine has died, and queue them again once.

    A trial killed before its options were chosen has none to repeat: the next trial takes its place. A
    database storage also fails trials of dead processes on any machine by their heartbeat.
    """
    if isinstance(study._storage, optuna.storages.RDBStorage):
        optuna.storages.fail_stale_trials(study)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if trial.user_attrs.get("host") == HOST and not alive(trial.user_attrs.get("pid")):
            reason = f"its sweep process ({HOST}, pid {trial.user_attrs.get('pid')}) died"
            study._storage.set_trial_user_attr(trial._trial_id, "reason", reason)
            retry = bool(trial.params) and "retry_of" not in trial.user_attrs
            study._storage.set_trial_user_attr(trial._trial_id, "retried", retry)
            study.tell(trial.number, state=TrialState.FAIL)
            if retry:
                study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})


def alive(pid: int | None) -> bool:
    if pid is None:
        return True  # not ours to judge
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def failure(log: Path, status: int) -> str:
    """The reason a trial's fit failed: its one-line error, or its exit status."""
    lines = log.read_text(errors="replace").splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    return errors[-1].removeprefix("error: ") if errors else f"fit exited with status {status}: see {log}"


def say(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
    value = "" if trial.value is None else f" {MONITOR} {trial.value:.4g}"
    reason = f" ({trial.user_attrs['reason']})" if "reason" in trial.user_attrs else ""
    print(f"trial {trial.number} {trial.state.name.lower()}{value}{reason} {trial.params}", flush=True)


def summarize(study: optuna.Study, folder: Path) -> None:
    """best.yaml (the best trial's options, to add to fit with --config), summary.md, and the two pictures."""
    finished = [trial for trial in study.get_trials(deepcopy=False) if trial.state.is_finished()]
    completed = [trial for trial in finished if trial.state == TrialState.COMPLETE]
    if not completed:
        raise InputError(f"no trial of study {study.study_name!r} completed: nothing to summarize")
    best = study.best_trial
    nested: dict[str, Any] = {}
    for option, value in best.params.items():
        *parents, name = option.split(".")
        place = nested
        for parent in parents:
            place = place.setdefault(parent, {})
        place[name] = value
    with written_whole(folder / "best.yaml", "w") as file:
        file.write(f"# The best of {len(completed)} completed trials of study {study.study_name}: trial {best.number},")
        file.write(f" {MONITOR} {best.value:.6g}.\n# fit --config configs/config.yaml --config {folder}/best.yaml\n")
        yaml.safe_dump(nested, file, sort_keys=False)
    importances = param_importances(study)
    rows = []
    for trial in finished:
        params = [trial.params.get(option) for option in best.params]
        rows.append([trial.number, trial.state.name.lower(), trial.value, trial.user_attrs.get("reason", ""), *params])
    text = [
        f"# Study {study.study_name}\n",
        f"Best: trial {best.number}, {MONITOR} {best.value:.6g}, {best.params}; options in `best.yaml`.\n",
        markdown(["trial", "state", MONITOR, "reason", *best.params], rows),
    ]
    if importances:
        text += ["\n## Parameter importances (fANOVA)\n", markdown(["option", "importance"], list(importances.items()))]
    with written_whole(folder / "summary.md", "w") as file:
        file.write("\n".join(text) + "\n")
    draw(study, folder, bool(importances))
    print(f"best: trial {best.number} {MONITOR} {best.value:.4g} {best.params} -> {folder}/best.yaml, summary.md")


def param_importances(study: optuna.Study) -> dict[str, float]:
    """How much each option mattered; empty while too few trials completed to say."""
    try:
        return optuna.importance.get_param_importances(study)
    except (RuntimeError, ValueError):
        return {}


def draw(study: optuna.Study, folder: Path, importances: bool) -> None:
    """history.png and importances.png, drawn by Optuna with matplotlib's Agg backend (no display)."""
    import matplotlib

    matplotlib.use("Agg")
    from optuna.visualization import matplotlib as plots

    pictures = {"history.png": plots.plot_optimization_history}
    if importances:
        pictures["importances.png"] = plots.plot_param_importances
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for name, plot in pictures.items():
            figure = plot(study).figure
            figure.set_size_inches(8, 5)
            figure.tight_layout()
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=100)
            with written_whole(folder / name, "wb") as file:
                file.write(buffer.getvalue())
            matplotlib.pyplot.close(figure)


def run_folders(root: Path) -> list[Path]:
    folders = [path for path in root.glob("version_*") if path.name[8:].isdigit()]
    return sorted(folders, key=lambda path: int(path.name[8:]))


def read_run(folder: Path) -> dict[str, Any] | None:
    """A run's group, seed, trial, settings and the metrics it logged; None if it logged none."""
    metrics = logged_metrics(folder)
    if not metrics.get(MONITOR):
        return None
    config_file = folder / "config.yaml"
    config = yaml.safe_load(config_file.read_text()) if config_file.is_file() else {}
    tag_file = folder / "experiment.json"
    tag = json.loads(tag_file.read_text()) if tag_file.is_file() else {}
    return {
        "run": folder.name,
        "group": tag.get("group", ""),
        "trial": tag.get("trial", ""),
        "seed": config.get("seed_everything", ""),
        "settings": flatten({key: config.get(key) for key in SETTINGS}),
        "best": min(metrics[MONITOR]),
        "test": metrics[TEST_METRIC][-1] if metrics.get(TEST_METRIC) else None,
    }


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"model": {"lr": 0.1}}`` -> ``{"model.lr": 0.1}``; lists (loggers, callbacks) are left out."""
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= flatten(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            flat[f"{prefix}{key}"] = value
    return flat


def differing_settings(settings: list[dict[str, Any]]) -> list[str]:
    keys = sorted({key for run in settings for key in run})
    return [key for key in keys if len({json.dumps(run.get(key)) for run in settings}) > 1]


def group_summary(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """Mean and standard deviation of each group's best validation and test metrics."""
    summary = []
    for group in sorted({row["group"] for row in rows} - {""}):
        members = [row for row in rows if row["group"] == group]
        best = [row["best"] for row in members]
        test = [row["test"] for row in members if row["test"] is not None]
        test_mean = statistics.mean(test) if test else None
        summary.append([group, len(members), statistics.mean(best), deviation(best), test_mean, deviation(test)])
    return summary


def deviation(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def write_csv(path: Path, columns: list[str], rows: list[list[Any]]) -> None:
    with written_whole(path, "w") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows(rows)


def main(args: list[str]) -> None:
    """``sweep``, ``seeds`` and ``report``: jsonargparse makes their options, help and --config from the signatures."""
    CLI([sweep, seeds, report], args=args, prog=f"python -m {__package__}")
