"""The command line as a user runs it."""

import inspect
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import CLI, DEFAULT_CONFIG, run_cli
from {{ cookiecutter.package_name }}.data import {{ cookiecutter.__datamodule_class }}
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}

from .conftest import PROJECT_ROOT, RUN_DIR, CommandRun


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
{%- if cookiecutter.logger_tensorboard or cookiecutter.logger_csv %}
    assert sorted(run.name for run in (path / RUN_DIR).parent.iterdir()) == ["version_0"]
{%- endif %}
{%- if cookiecutter.callback_checkpoint %}
    assert (path / RUN_DIR / "checkpoints" / "last.ckpt").is_file()
{%- endif %}
    assert "test_{{ {"regression": "mae", "gan": "d_loss"}.get(cookiecutter.task, "acc") }}" in result.stdout
