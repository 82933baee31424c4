"""The command line as a user runs it."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import run_cli

from .conftest import RUN_DIR

PACKAGE = "{{ cookiecutter.package_name }}"


def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -m {{ cookiecutter.package_name }} ARGS`` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


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


def test_fit_in_a_fresh_process(workdir: Path) -> None:
    result = run("fit", "--config", "configs/debug/limit_batches.yaml")
    assert result.returncode == 0, result.stderr
    assert (workdir / RUN_DIR / "config.yaml").is_file()
{%- if cookiecutter.callback_checkpoint %}
    assert (workdir / RUN_DIR / "checkpoints" / "last.ckpt").is_file()
{%- endif %}


def test_ddp_on_two_cpu_processes(workdir: Path) -> None:
    # A subprocess: DDP re-launches the current command for rank 1, which must not be pytest.
    result = run(
        "fit",
        "--config",
        "configs/trainer/ddp_cpu.yaml",
        "--config",
        "configs/debug/limit_batches.yaml",
    )
    assert result.returncode == 0, result.stderr
{%- if cookiecutter.logger_tensorboard or cookiecutter.logger_csv %}
    assert sorted(path.name for path in (workdir / RUN_DIR).parent.iterdir()) == ["version_0"]
{%- endif %}
{%- if cookiecutter.callback_checkpoint %}
    assert (workdir / RUN_DIR / "checkpoints" / "last.ckpt").is_file()
{%- endif %}
    assert "{{ "test_mae" if cookiecutter.task == "regression" else "test_acc" }}" in result.stdout
