"""MLflow records the run, its parameters and its metrics in the local SQLite store."""

from mlflow.tracking import MlflowClient

from .conftest import CommandRun


def test_a_fit_is_recorded_in_the_store(ddp_fit: CommandRun) -> None:
    # A fit in fresh processes, as a user runs it (MLflow keeps one store per tracking URI per process);
    # under DDP only rank 0 records, so the store holds exactly one run.
    path, result = ddp_fit
    assert result.returncode == 0, result.stderr

    client = MlflowClient(tracking_uri=f"sqlite:///{path / 'mlruns.db'}")
    experiment = client.get_experiment_by_name("{{ cookiecutter.project_slug }}")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert float(run.data.params["lr"]) > 0
{%- if cookiecutter.task == "gan" %}
    assert {"train_g_loss", "train_d_loss", "val_g_loss", "val_d_loss", "test_d_loss"} <= set(run.data.metrics)
{%- else %}
    assert {"train_loss", "val_loss", "{{ "val_mae" if cookiecutter.task == "regression" else "val_acc" }}", "{{ "test_mae" if cookiecutter.task == "regression" else "test_acc" }}"} <= set(run.data.metrics)
{%- endif %}
