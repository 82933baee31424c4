"""The command line as a user runs it."""

import inspect
import os
import re
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import CLI, DEFAULT_CONFIG, run_cli
from {{ cookiecutter.package_name }}.data import {{ cookiecutter.__datamodule_class }}
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}

from .conftest import PROJECT_ROOT, QUIET, RUN_DIR, CommandRun, {{ "TrainedRun, " if cookiecutter.logger_tensorboard or cookiecutter.logger_csv or cookiecutter.logger_wandb or cookiecutter.logger_mlflow }}finish_command, start_command


def test_config_file_shows_the_code_defaults() -> None:
    # configs/config.yaml spells the defaults out for the reader: they must not drift from the code's.
    config = yaml.safe_load((PROJECT_ROOT / "configs" / "config.yaml").read_text())
    for section, cls in (("model", {{ cookiecutter.__model_class }}), ("data", {{ cookiecutter.__datamodule_class }})):
        defaults = {name: parameter.default for name, parameter in inspect.signature(cls).parameters.items()}
        assert config[section] == {name: defaults[name] for name in config[section]}, section


def test_print_config_shows_defaults_and_command_line_overrides(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_cli(["fit", "--print_config", "--trainer.max_epochs=3", "--model.lr=0.01"])
    assert exit_info.value.code == 0
    config = yaml.safe_load(capsys.readouterr().out)
{%- set loggers = [] %}
{%- if cookiecutter.logger_tensorboard %}{% set _ = loggers.append("TensorBoardLogger") %}{% endif %}
{%- if cookiecutter.logger_csv %}{% set _ = loggers.append("CSVLogger") %}{% endif %}
{%- if cookiecutter.logger_wandb %}{% set _ = loggers.append("WandbLogger") %}{% endif %}
{%- if cookiecutter.logger_mlflow %}{% set _ = loggers.append("MLFlowLogger") %}{% endif %}
{%- if loggers %}
    loggers = [logger["class_path"].rsplit(".", 1)[1] for logger in config["trainer"]["logger"]]
    assert loggers == [{{ loggers | map("tojson") | join(", ") }}]
{%- else %}
    assert config["trainer"]["logger"] is False
{%- endif %}
    assert config["trainer"]["precision"] == "{{ cookiecutter.precision }}"
    assert (config["trainer"]["max_epochs"], config["model"]["lr"]) == (3, 0.01)
    assert config["data"]["batch_size"] == {{ {"synthetic": 256 if cookiecutter.task == "image_classification" else 64, "digits": 32, "csv": 64, "image_folder": 64, "mnist": 256}[cookiecutter.data_source] }}
    assert config["seed_everything"] == 42


def test_the_cli_builds_everything_without_running(workdir: Path) -> None:
    # As a notebook or a benchmark uses it: the configured objects, no subcommand.
    parser_kwargs = {"default_config_files": [DEFAULT_CONFIG]}
    cli = CLI({{ cookiecutter.__model_class }}, {{ cookiecutter.__datamodule_class }}, run=False, args=[], parser_kwargs=parser_kwargs)
    assert isinstance(cli.model, {{ cookiecutter.__model_class }})
    assert isinstance(cli.datamodule, {{ cookiecutter.__datamodule_class }})
    assert cli.trainer.max_epochs == yaml.safe_load(Path(DEFAULT_CONFIG).read_text())["trainer"]["max_epochs"]


def test_ddp_fit_on_two_cpu_processes(ddp_fit: CommandRun) -> None:
    # `python -m {{ cookiecutter.package_name }} fit` in fresh processes, as a user runs it; Lightning starts rank 1.
    path, result = ddp_fit
    assert result.returncode == 0, result.stderr
    assert (path / RUN_DIR / "config.yaml").is_file()
{%- if cookiecutter.__runs_dir == "logs" %}
    assert sorted(run.name for run in (path / RUN_DIR).parent.iterdir()) == ["version_0"]
{%- endif %}
{%- if cookiecutter.callback_checkpoint %}
    assert (path / RUN_DIR / "checkpoints" / "last.ckpt").is_file()
{%- endif %}
    assert "test_{{ {"regression": "mae", "gan": "d_loss"}.get(cookiecutter.task, "acc") }}" in result.stdout


def test_a_many_core_machine_is_not_told_to_add_loader_workers(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Lightning advises more workers for a loader with two or fewer on a machine with more CPUs. The data are
    # served from memory, where workers would only copy the batches, so the CLI filters that advice; warnings
    # are errors here, so without the filter this fit would fail.
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    cli = run_cli(["fit", "--config", "configs/debug/fast_dev_run.yaml", *QUIET])
    assert cli.trainer.state.finished
    assert cli.datamodule.train_dataloader().num_workers == 0


def test_a_fit_prints_no_warning_and_no_version_number(workdir: Path) -> None:
    # In a fresh process, as a user runs it: warnings that the stack prints once per process show up here.
    result = finish_command(start_command("fit", "--config", "configs/debug/limit_batches.yaml", cwd=workdir), workdir)
    assert result.returncode == 0, result.stderr
{%- set wanted = [] %}
{%- if cookiecutter.precision == "16-mixed" %}{% set _ = wanted.append("AMP with fp16 is not supported on CPU") %}{% endif %}
{%- if cookiecutter.logger_wandb %}{% set _ = wanted.append("The anonymous setting has no effect") %}{% endif %}
{%- if wanted %}
    # Expected, and left to show:
{%- if cookiecutter.precision == "16-mixed" %}
    # - on a CPU, 16-mixed precision falls back to bf16-mixed, and Lightning says so;
{%- endif %}
{%- if cookiecutter.logger_wandb %}
    # - W&B's "The anonymous setting has no effect": pytorch-lightning 2.6 passes that setting to W&B (as None),
    #   which recent wandb releases warn about; a later Lightning release has to stop passing it.
{%- endif %}
    expected = ({{ wanted | map("tojson") | join(", ") }}{{ "," if wanted | length == 1 }})
    stderr = "\n".join(line for line in result.stderr.splitlines() if not any(text in line for text in expected))
{%- else %}
    stderr = result.stderr
{%- endif %}
    # Python's warnings read "file.py:LINE: SomeWarning: message", Lightning's "file.py:LINE: message".
    assert not re.search(r"Warning\b|WARNING|\.py:\d+: ", stderr), stderr
    # The progress bar shows the losses and metrics, not the logger's version number.
    assert "train_" in result.stdout
    assert "v_num" not in result.stdout + result.stderr
{%- if cookiecutter.logger_tensorboard or cookiecutter.logger_csv or cookiecutter.logger_wandb or cookiecutter.logger_mlflow %}


def test_the_saved_configuration_starts_a_run_of_its_own(trained: TrainedRun) -> None:
    # `fit --config <run folder>/config.yaml` repeats a run as a new one: the logger options that the command
    # filled in for its own run (its version folder, name, ids) are saved as they were given.
    config = yaml.safe_load((trained.path / RUN_DIR / "config.yaml").read_text())
    for logger in config["trainer"]["logger"]:
        chosen = {"version", "id", "resume", "run_id", "run_name"} & set(logger["init_args"])
        assert {name: logger["init_args"][name] for name in chosen} == dict.fromkeys(chosen), logger["class_path"]
{%- endif %}
