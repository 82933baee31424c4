"""sweep, seeds and report as a user runs them: commands in fresh processes, in a copy of the project root.

Each trial is a short fit (limit_batches.yaml, three epochs): the tests check what the study, the run folders
and the report hold, not how well the model learns.
"""
{%- set csv_only = cookiecutter.logger_csv and not cookiecutter.logger_tensorboard %}

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from {{ cookiecutter.package_name }}.experiments import MONITOR, TEST_METRIC

FIT_ARGS = [
    "--config",
    "configs/config.yaml",
    "--config",
    "configs/debug/limit_batches.yaml",
    "--trainer.max_epochs=3",
    "--trainer.enable_model_summary=false",
]
STORAGE = "sqlite:///sweeps.db"
LR = {"model.lr": {"low": 1.0e-4, "high": 0.1, "log": True}}
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "{{ cookiecutter.package_name }}", *args]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    return subprocess.run(command(*args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def sweep_config(workdir: Path, n_trials: int, storage: str = STORAGE, space: dict = LR) -> Path:
    path = workdir / "sweep.yaml"
    config = {"study_name": "test", "storage": storage, "n_trials": n_trials, "fit_args": FIT_ARGS, "space": space}
    path.write_text(yaml.safe_dump(config))
    return path


def queued_study(lrs: list[float], storage: str = STORAGE) -> optuna.Study:
    """The study the sweep will continue, with trials queued in order: the test chooses what they try."""
    study = optuna.create_study(study_name="test", storage=storage, direction="minimize")
    for lr in lrs:
        study.enqueue_trial({"model.lr": lr})
    return study


def trials(storage: str = STORAGE) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name="test", storage=storage).get_trials()


def logged(run: Path, name: str) -> list[float]:
    """A metric's values as the run's logger wrote them (none for a run that never logged it)."""
{%- if csv_only %}
    with (run / "metrics.csv").open(newline="") as file:
        return [float(row[name]) for row in csv.DictReader(file) if row.get(name)]
{%- else %}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run), size_guidance={"scalars": 0})
    events.Reload()
    return [event.value for event in events.Scalars(name)] if name in events.Tags()["scalars"] else []
{%- endif %}


def test_a_sweep_prunes_the_trial_that_falls_behind_and_its_best_options_reproduce(workdir: Path) -> None:
    # The third trial barely learns in three epochs: below the median of the first two after its second epoch.
    queued_study([0.01, 0.005, 1e-7, 0.02])
    result = run("sweep", "--config", str(sweep_config(workdir, n_trials=4)), cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    done = trials()
    assert [trial.state for trial in done] == [TrialState.COMPLETE] * 2 + [TrialState.PRUNED, TrialState.COMPLETE]
    assert len(done[2].intermediate_values) == 2  # stopped after its second epoch
    for trial in done:  # every trial is a normal run, in a folder of its own
        run_folder = Path(trial.user_attrs["run"])
        assert (workdir / run_folder / "config.yaml").is_file()
        assert min(logged(workdir / run_folder, MONITOR)) == pytest.approx(min(trial.intermediate_values.values()))
    assert len({trial.user_attrs["run"] for trial in done}) == 4

    best = min((trial for trial in done if trial.state == TrialState.COMPLETE), key=lambda trial: trial.value)
    folder = workdir / "sweeps" / "test"
    assert yaml.safe_load((folder / "best.yaml").read_text()) == {"model": {"lr": best.params["model.lr"]}}
    assert (folder / "history.png").read_bytes().startswith(b"\x89PNG")
    assert f"trial {best.number}" in (folder / "summary.md").read_text()

    best_options = ["--config", str(folder / "best.yaml")]
    again = run("fit", "--config", "configs/config.yaml", *best_options, *FIT_ARGS[2:], cwd=workdir)
    assert again.returncode == 0, again.stderr
    newest = max((workdir / "logs" / "default").glob("version_*"), key=lambda path: int(path.name[8:]))
    assert yaml.safe_load((newest / "config.yaml").read_text())["model"]["lr"] == best.params["model.lr"]

    report = run("report", "--study_name", "test", cwd=workdir)
    assert report.returncode == 0, report.stderr
    with (workdir / "reports" / "runs.csv").open(newline="") as file:
        rows = {row["trial"]: row for row in csv.DictReader(file)}
    assert set(rows) == {"0", "1", "2", "3"}  # the study's trials, not the fit of best.yaml
    assert [rows[str(number)]["state"] for number in range(4)] == ["complete", "complete", "pruned", "complete"]
    for trial in done:
        row = rows[str(trial.number)]
        assert float(row[f"best {MONITOR}"]) == pytest.approx(min(trial.intermediate_values.values()))
        test_values = logged(workdir / trial.user_attrs["run"], TEST_METRIC)
        assert (float(row[TEST_METRIC]) if row[TEST_METRIC] else None) == (test_values[-1] if test_values else None)
    assert float(rows[str(best.number)]["model.lr"]) == pytest.approx(best.params["model.lr"])


def test_a_trial_that_fails_ends_fail_with_its_reason_and_the_sweep_goes_on(workdir: Path) -> None:
    queued_study([0.01, -1.0, 1e30, 0.01])  # an option out of range; a rate that makes the loss NaN
    linear = {"model.lr": {"low": 1.0e-4, "high": 0.1}}  # a log scale has no room for -1
    result = run("sweep", "--config", str(sweep_config(workdir, n_trials=2, space=linear)), cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    states = [trial.state for trial in trials()]
    assert states == [TrialState.COMPLETE, TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE]
    reasons = [trial.user_attrs["reason"] for trial in trials()[1:3]]
    assert "--model.lr=-1.0 is out of range" in reasons[0]
    assert "the training loss turned" in reasons[1], reasons[1]


def test_a_killed_sweep_started_again_finishes_exactly_the_trials_asked_for(workdir: Path) -> None:
    config = sweep_config(workdir, n_trials=5)
    queued_study([])  # made here, so that the test can read it from the first moment the sweep runs
    sweep = subprocess.Popen(
        command("sweep", "--config", str(config)),
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and sweep.poll() is None:
        time.sleep(0.5)
        if sum(trial.state in FINISHED for trial in trials()) >= 3:
            break
    os.killpg(sweep.pid, signal.SIGKILL)  # the sweep and the fit it was running, as a job's end does
    sweep.wait()
    assert sum(trial.state in FINISHED for trial in trials()) >= 3

    result = run("sweep", "--config", str(config), cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    done = trials()
    assert sum(trial.state in FINISHED for trial in done) == 5
    assert not [trial for trial in done if trial.state == TrialState.RUNNING]
    killed = [trial for trial in done if "died" in trial.user_attrs.get("reason", "")]
    for trial in killed:  # retried once with its options; killed before it had any, the next trial replaced it
        retries = [other.params for other in done if other.user_attrs.get("retry_of") == trial.number]
        assert retries == ([trial.params] if trial.params else [])


def test_two_processes_on_one_storage_share_the_trials(workdir: Path) -> None:
    config = sweep_config(workdir, n_trials=4, storage="journal:sweeps.journal")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend("sweeps.journal"))
    optuna.create_study(study_name="test", storage=storage, direction="minimize")
    processes = [
        subprocess.Popen(
            command("sweep", "--config", str(config)),
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    done = optuna.load_study(study_name="test", storage=storage).get_trials()
    finished = [trial for trial in done if trial.state in FINISHED]
    assert len(finished) == 4
    assert len({trial.user_attrs["pid"] for trial in finished}) == 2  # both processes ran trials
    assert len({trial.user_attrs["run"] for trial in finished}) == 4


def test_seeds_run_one_configuration_per_seed_and_report_their_spread(workdir: Path) -> None:
    fit_args = "[" + ", ".join(FIT_ARGS) + "]"
    result = run("seeds", "--seeds", "[1, 2]", "--group", "twice", "--fit_args", fit_args, cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    with (workdir / "reports" / "runs.csv").open(newline="") as file:
        rows = [row for row in csv.DictReader(file) if row["group"] == "twice"]
    assert [row["seed"] for row in rows] == ["1", "2"]
    best = [min(logged(workdir / "logs" / "default" / row["run"], MONITOR)) for row in rows]
    assert [float(row[f"best {MONITOR}"]) for row in rows] == pytest.approx(best)
    with (workdir / "reports" / "runs-groups.csv").open(newline="") as file:
        group = next(row for row in csv.DictReader(file) if row["group"] == "twice")
    assert float(group["best mean"]) == pytest.approx(sum(best) / 2)
    assert "| twice | 2 |" in result.stdout


def test_a_storage_that_cannot_be_opened_is_one_line_and_nothing_runs(workdir: Path) -> None:
    result = run("sweep", "--config", str(sweep_config(workdir, n_trials=1, storage="nosuchdb://host/db")), cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: cannot open the study's storage 'nosuchdb://host/db'")
    assert not (workdir / "logs").exists()
