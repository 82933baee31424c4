"""MLflow records the run, its parameters and its metrics in the local SQLite store."""
{%- set gan = cookiecutter.task == "gan" %}
{%- set val_metric = "val_d_loss" if gan else "val_loss" %}
{%- set test_metric = {"regression": "test_mae", "gan": "test_d_loss"}.get(cookiecutter.task, "test_acc") %}

from pathlib import Path

{% if cookiecutter.callback_checkpoint -%}
import yaml
{% endif -%}
from mlflow.entities import Run
from mlflow.tracking import MlflowClient

from .conftest import {{ "CHECKPOINT_DIR, " if cookiecutter.callback_checkpoint }}QUIET, CommandRun, finish_command, start_command

# Short real runs: a few batches per epoch, two epochs unless a later --trainer.max_epochs says otherwise.
SHORT = ["--config", "configs/debug/limit_batches.yaml", *QUIET]


def read_runs(path: Path) -> tuple[MlflowClient, list[Run]]:
    """The store of a project run in ``path``, and its runs, oldest first."""
    client = MlflowClient(tracking_uri=f"sqlite:///{path / 'mlruns.db'}")
    experiment = client.get_experiment_by_name("{{ cookiecutter.project_slug }}")
    return client, sorted(client.search_runs([experiment.experiment_id]), key=lambda run: run.info.start_time)


def run_command(path: Path, *args: str) -> None:
    """Run ``python -m {{ cookiecutter.package_name }} ARGS`` in ``path`` in a fresh process, as a user does.

    Fresh processes, because MLflow keeps one store per tracking URI per process: in-process runs in different
    folders would share the first folder's ``mlruns.db``.
    """
    result = finish_command(start_command(*args, cwd=path), path)
    assert result.returncode == 0, result.stderr


def test_a_fit_is_recorded_in_the_store(ddp_fit: CommandRun) -> None:
    # A fit in fresh processes, as a user runs it; under DDP only rank 0 records, so the store holds exactly one run.
    path, result = ddp_fit
    assert result.returncode == 0, result.stderr

    _, (run,) = read_runs(path)
    assert run.info.status == "FINISHED"
    assert float(run.data.params["lr"]) > 0
{%- if gan %}
    assert {"train_g_loss", "train_d_loss", "val_g_loss", "val_d_loss", "test_d_loss"} <= set(run.data.metrics)
{%- else %}
    assert {"train_loss", "val_loss", "{{ "val_mae" if cookiecutter.task == "regression" else "val_acc" }}", "{{ test_metric }}"} <= set(run.data.metrics)
{%- endif %}
{%- if cookiecutter.callback_checkpoint %}


def test_a_checkpoint_logs_into_its_run_and_every_fit_has_a_name_of_its_own(workdir: Path) -> None:
{%- if cookiecutter.scheduler == "onecycle" %}
    # The one-cycle schedule is fixed when training starts: the resumed fit keeps max_epochs, so it only tests.
    run_command(workdir, "fit", *SHORT)
    run_command(workdir, "fit", *SHORT, "--ckpt_path", "last")
{%- else %}
    run_command(workdir, "fit", *SHORT, "--trainer.max_epochs=1")
    run_command(workdir, "fit", *SHORT, "--ckpt_path", "last")  # resumes for the second epoch
{%- endif %}
    (checkpoint,) = (workdir / CHECKPOINT_DIR).glob("{{ "epoch=*.ckpt" if gan else "best-*.ckpt" }}")
    # With a batch size the run was not trained with: MLflow refuses to change a parameter of a run.
    run_command(workdir, "test", *SHORT, "--ckpt_path", str(checkpoint), "--data.batch_size=7")
    run_command(workdir, "fit", *SHORT, "--trainer.max_epochs=1")  # seeded as the first one, a new run

    client, (first, second) = read_runs(workdir)
    assert first.info.run_name != second.info.run_name
    assert first.info.run_name.startswith("fit-")
    assert (first.info.status, second.info.status) == ("FINISHED", "FINISHED")
{%- if cookiecutter.scheduler == "onecycle" %}
    # Two epochs in the first run; fit tests after each fit, and then the test command.
{%- else %}
    # The resumed fit added the second epoch to the first run; fit tests after each, and then the test command.
{%- endif %}
    assert len(client.get_metric_history(first.info.run_id, "{{ val_metric }}")) == 2
    assert len(client.get_metric_history(first.info.run_id, "{{ test_metric }}")) == 3
    trained_with = yaml.safe_load((workdir / "configs" / "config.yaml").read_text())["data"]["batch_size"]
    assert first.data.params["batch_size"] == str(trained_with)
    assert len(client.get_metric_history(second.info.run_id, "{{ val_metric }}")) == 1
{%- else %}


def test_every_fit_has_a_name_of_its_own(workdir: Path) -> None:
    # Both seeded alike (seed_everything: 42), which must not give them the same MLflow name.
    run_command(workdir, "fit", *SHORT, "--trainer.max_epochs=1")
    run_command(workdir, "fit", *SHORT, "--trainer.max_epochs=1")
    _, (first, second) = read_runs(workdir)
    assert first.info.run_name != second.info.run_name
{%- endif %}
