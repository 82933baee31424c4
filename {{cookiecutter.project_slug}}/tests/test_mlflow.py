"""MLflow records the run, its parameters and its metrics in the local SQLite store."""

import subprocess
import sys
from pathlib import Path

from mlflow.tracking import MlflowClient


def test_a_fit_is_recorded_in_the_store(workdir: Path) -> None:
    # A fresh process, as a user runs it: MLflow keeps one store per tracking URI for the whole process.
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "fit"]
    command += ["--config", "configs/debug/limit_batches.yaml"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr

    client = MlflowClient(tracking_uri=f"sqlite:///{workdir / 'mlruns.db'}")
    experiment = client.get_experiment_by_name("{{ cookiecutter.project_slug }}")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert float(run.data.params["lr"]) > 0
    assert {"train_loss", "val_loss", "{{ "val_mae" if cookiecutter.task == "regression" else "val_acc" }}", "{{ "test_mae" if cookiecutter.task == "regression" else "test_acc" }}"} <= set(run.data.metrics)
